import pytest

from sandbox.wallet.assets import ensure_standard_assets


@pytest.fixture(autouse=True)
def _fresh_engines():
    """Each test starts from a fresh database, where ids and book versions start over: this
    process's cached matching engines belong to the last test's database, so drop them."""
    from sandbox.exchange import desk
    from sandbox.exchange.engines import forget_all

    forget_all()
    desk._queues.clear()  # and the order desks: one a failed test left led would never free


@pytest.fixture
def assets(db):
    ensure_standard_assets()


@pytest.fixture
def exchange(assets):
    """Given an offering with the default markets and two students with opened wallets."""
    from types import SimpleNamespace

    from sandbox.exchange.markets import list_default_markets
    from sandbox.wallet.services import open_wallet
    from tests.factories import OfferingFactory, UserFactory

    offering = OfferingFactory()
    markets = {m.symbol: m for m in list_default_markets(offering_id=offering.pk)}
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    for user in (alice, bob):
        open_wallet(offering_id=offering.pk, owner_id=user.pk)
    return SimpleNamespace(
        offering=offering, markets=markets, btc=markets["BTCKRW"], alice=alice, bob=bob
    )
