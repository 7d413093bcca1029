import pytest

from tests.factories import EnrollmentFactory, UserFactory


@pytest.fixture
def course(exchange):
    """Given alice and bob enrolled as students and ines teaching the exchange's offering."""
    for user in (exchange.alice, exchange.bob):
        EnrollmentFactory(offering=exchange.offering, user=user)
    exchange.ines = UserFactory(username="ines")
    EnrollmentFactory(offering=exchange.offering, user=exchange.ines, role="instructor")
    return exchange
