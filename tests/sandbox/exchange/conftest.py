import pytest
from django.core.cache import cache


@pytest.fixture
def empty_cache():
    """The cache (where the stream beat keeps candles and ticker windows) empty before and after."""
    cache.clear()
    yield
    cache.clear()
