"""The instructor's read-only view of one student's exchange activity, and its wallet reset."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from sandbox.exchange.models import Order, Trade
from sandbox.exchange.services import place_order
from sandbox.wallet.models import Account, Journal
from sandbox.wallet.services import starting_grant
from tests.factories import EnrollmentFactory, OfferingFactory, UserFactory
from tests.sandbox.trades import bob_sells_to_alice, limit

pytestmark = pytest.mark.django_db


@pytest.fixture
def classroom(exchange):
    """alice bought BTC from bob and has a bid resting; ines teaches the offering."""
    for user in (exchange.alice, exchange.bob):
        EnrollmentFactory(offering=exchange.offering, user=user)
    exchange.ines = UserFactory(username="ines")
    EnrollmentFactory(offering=exchange.offering, user=exchange.ines, role="instructor")
    bob_sells_to_alice(exchange)
    exchange.bid = place_order(
        owner_id=exchange.alice.pk, market=exchange.btc, request=limit("BUY", "0.01", "90000000")
    )
    return exchange


def page_url(exchange, user) -> str:
    return reverse("sandbox-student-activity", args=[exchange.offering.slug, user.pk])


def reset_url(exchange, user) -> str:
    return reverse("sandbox-student-reset-wallet", args=[exchange.offering.slug, user.pk])


def holdings(exchange, user) -> dict:
    rows = Account.objects.filter(offering=exchange.offering, owner=user)
    return {a.asset_id: (a.available, a.locked) for a in rows if a.available or a.locked}


def test_the_instructor_sees_the_students_balances_orders_and_trades(client, classroom):
    client.force_login(classroom.ines)

    response = client.get(page_url(classroom, classroom.alice))

    assert response.status_code == 200
    page = response.content.decode()
    bought = Order.objects.get(owner=classroom.alice, type="MARKET")
    trade = Trade.objects.get(buyer=classroom.alice)
    assert "alice on the exchange" in page
    assert [row.row.id for row in response.context["open_orders"]] == [classroom.bid.pk]
    assert [row.row.id for row in response.context["history"]] == [classroom.bid.pk, bought.pk]
    assert f'data-order-id="{classroom.bid.pk}"' in page
    assert f'data-trade-id="{trade.pk}"' in page
    assert "BTC-KRW" in page
    assert '<tr data-asset="BTC">' in page
    assert "0.05999" in page  # her BTC: the grant, what she bought, less the taker fee
    assert "<td>Open" in page and "<td>Filled</td>" in page  # statuses in words, as she sees them
    assert "<td>NEW" not in page and "<td>FILLED</td>" not in page


def test_the_page_shows_only_that_students_activity(client, classroom):
    client.force_login(classroom.ines)

    response = client.get(page_url(classroom, classroom.bob))

    assert response.context["open_orders"] == []
    assert f'data-order-id="{classroom.bid.pk}"' not in response.content.decode()
    assert [row.row.side for row in response.context["trades"]] == ["SELL"]


def test_a_student_cannot_see_another_students_activity(client, classroom):
    client.force_login(classroom.bob)

    response = client.get(page_url(classroom, classroom.alice))

    assert response.status_code == 404


def test_an_instructor_of_another_offering_gets_a_404(client, classroom):
    stranger = UserFactory(username="other-instructor")
    EnrollmentFactory(offering=OfferingFactory(), user=stranger, role="instructor")
    client.force_login(stranger)

    assert client.get(page_url(classroom, classroom.alice)).status_code == 404
    assert client.post(reset_url(classroom, classroom.alice)).status_code == 404
    assert Order.objects.get(pk=classroom.bid.pk).status == "NEW"


def test_someone_not_enrolled_in_the_offering_has_no_page_here(client, classroom):
    outsider = UserFactory(username="outsider")
    client.force_login(classroom.ines)

    assert client.get(page_url(classroom, outsider)).status_code == 404


def test_the_reset_button_puts_the_wallet_back_to_the_grant_with_orders_cancelled(
    client, classroom
):
    client.force_login(classroom.ines)
    grant = starting_grant(classroom.offering.pk)

    response = client.post(reset_url(classroom, classroom.alice), follow=True)

    assert "alice&#x27;s wallet is back to the starting grant" in response.content.decode()
    assert holdings(classroom, classroom.alice) == {
        code: (amount, 0) for code, amount in grant.items()
    }
    assert Order.objects.get(pk=classroom.bid.pk).status == "CANCELED"
    assert Journal.objects.filter(
        kind=Journal.Kind.RESET, reference=f"reset:{classroom.alice.pk}"
    ).exists()
    assert holdings(classroom, classroom.bob) != {code: (a, 0) for code, a in grant.items()}
    call_command("ledger_check")


def test_the_page_offers_the_reset_with_what_the_grant_is(client, classroom):
    client.force_login(classroom.ines)

    page = client.get(page_url(classroom, classroom.alice)).content.decode()

    assert f'action="{reset_url(classroom, classroom.alice)}"' in page
    assert "Reset this student's wallet to the starting grant" in page
    assert "10,000,000 KRW" in page


def test_a_student_cannot_reset_a_wallet(client, classroom):
    client.force_login(classroom.alice)

    response = client.post(reset_url(classroom, classroom.alice))

    assert response.status_code == 404
    assert Order.objects.get(pk=classroom.bid.pk).status == "NEW"


def test_a_student_without_a_wallet_is_said_to_have_none_and_cannot_be_reset(client, classroom):
    carol = UserFactory(username="carol")
    EnrollmentFactory(offering=classroom.offering, user=carol)
    client.force_login(classroom.ines)

    page = client.get(page_url(classroom, carol)).content.decode()
    reset = client.post(reset_url(classroom, carol), follow=True).content.decode()

    assert "has not opened the sandbox yet" in page
    assert "Reset this student" not in page
    assert "carol has no wallet here yet" in reset


def test_resetting_is_a_post(client, classroom):
    client.force_login(classroom.ines)

    assert client.get(reset_url(classroom, classroom.alice)).status_code == 405
