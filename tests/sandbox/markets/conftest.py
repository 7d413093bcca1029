from decimal import Decimal

import pytest

from sandbox.exchange.models import Market
from tests.factories import EnrollmentFactory, UserFactory
from tests.sandbox.trades import bob_sells_to_alice


@pytest.fixture
def course(exchange):
    """Given alice and bob enrolled as students and ines teaching the exchange's offering."""
    for user in (exchange.alice, exchange.bob):
        EnrollmentFactory(offering=exchange.offering, user=user)
    exchange.ines = UserFactory(username="ines")
    EnrollmentFactory(offering=exchange.offering, user=exchange.ines, role="instructor")
    return exchange


@pytest.fixture
def classroom(exchange):
    """alice buys 0.01 BTC from bob at 100,000,000 KRW; BTC then trades at 120,000,000."""
    for student in (exchange.alice, exchange.bob):
        EnrollmentFactory(offering=exchange.offering, user=student)
    bob_sells_to_alice(exchange)
    Market.objects.filter(pk=exchange.btc.pk).update(last_price=Decimal("120000000"))
    return exchange


def by_user(table) -> dict:
    return {row.user_id: row for row in table}
