"""Instructors put the cohort's wallets back to the starting grant: open orders cancelled, one
balanced journal per asset, the ledger whole, nobody half reset."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from campus.errors import ServiceError
from sandbox.exchange.api import place_order
from sandbox.exchange.models import Order
from sandbox.markets.services import reset_cohort_wallets
from sandbox.wallet.api import reset_wallet
from sandbox.wallet.models import Account
from sandbox.wallet.services import starting_grant
from tests.sandbox.trades import bob_sells_to_alice, limit

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(course):
    """alice bought BTC from bob and still has a bid resting; ines teaches."""
    exchange = course
    bob_sells_to_alice(exchange)
    place_order(
        owner_id=exchange.alice.pk, market=exchange.btc, request=limit("BUY", "0.01", "90000000")
    )
    return exchange


def balances(user, offering) -> dict:
    rows = Account.objects.filter(offering=offering, owner=user)
    return {a.asset_id: (a.available, a.locked) for a in rows if a.available or a.locked}


def test_the_cohorts_wallets_go_back_to_the_starting_grant_with_orders_cancelled(cohort):
    grant = starting_grant(cohort.offering.pk)

    done, problems = reset_cohort_wallets(offering_id=cohort.offering.pk)

    assert (done, problems) == (2, [])
    expected = {code: (amount, 0) for code, amount in grant.items()}
    assert balances(cohort.alice, cohort.offering) == expected
    assert balances(cohort.bob, cohort.offering) == expected
    assert not Order.objects.filter(status__in=["NEW", "PARTIALLY_FILLED"]).exists()
    call_command("ledger_check")


def test_a_wallet_with_funds_on_hold_is_refused_and_left_as_it_was(cohort):
    before = balances(cohort.alice, cohort.offering)

    with pytest.raises(ServiceError) as refused:
        reset_wallet(offering_id=cohort.offering.pk, owner_id=cohort.alice.pk)

    assert refused.value.code == "funds_on_hold"
    assert balances(cohort.alice, cohort.offering) == before


def test_instructors_reset_from_the_control_page_after_confirming(client, cohort):
    client.force_login(cohort.ines)
    url = reverse("markets-reset-wallets", args=[cohort.offering.slug])

    asked = client.get(url)
    done = client.post(url, follow=True)

    assert b"Reset every student" in asked.content
    assert b"2 wallets are back to the starting grant" in done.content
    assert balances(cohort.alice, cohort.offering)["BTC"] == (
        starting_grant(cohort.offering.pk)["BTC"],
        0,
    )


def test_students_cannot_reset_wallets(client, cohort):
    client.force_login(cohort.alice)

    response = client.post(reverse("markets-reset-wallets", args=[cohort.offering.slug]))

    assert response.status_code == 404
    assert Order.objects.filter(owner=cohort.alice, status="NEW").exists()
