import pytest

from sandbox.wallet.assets import ensure_standard_assets


@pytest.fixture
def assets(db):
    ensure_standard_assets()
