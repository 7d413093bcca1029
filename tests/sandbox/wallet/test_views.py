"""The wallet page: balances, what is locked and why, and the postings behind each balance."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from sandbox.exchange.filters import OrderRequest
from sandbox.exchange.services import cancel_order, place_order
from sandbox.wallet.models import Wallet
from tests.factories import EnrollmentFactory, OfferingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_client(client, exchange):
    """Given alice enrolled in the exchange's offering and logged in."""
    EnrollmentFactory(offering=exchange.offering, user=exchange.alice)
    client.force_login(exchange.alice)
    return client


def wallet_url(exchange):
    return reverse("sandbox-wallet", args=[exchange.offering.slug])


def buy(exchange, price="100000000", quantity="0.01"):
    return place_order(
        owner_id=exchange.alice.pk,
        market=exchange.btc,
        request=OrderRequest(
            side="BUY", type="LIMIT", time_in_force="GTC", price=D(price), quantity=D(quantity)
        ),
    )


def history(response, asset):
    return next(h for h in response.context["histories"] if h.account.asset_id == asset)


def test_wallet_shows_every_balance_available_locked_and_total(alice_client, exchange):
    buy(exchange)

    response = alice_client.get(wallet_url(exchange))

    rows = {b.asset: (b.available, b.locked, b.total) for b in response.context["balances"]}
    assert rows == {
        "BTC": ("0.05", "0", "0.05"),
        "ETH": ("1", "0", "1"),
        "KRW": ("9,000,000", "1,000,000", "10,000,000"),
        "KUSD": ("1,000", "0", "1,000"),
    }


def test_wallet_shows_the_postings_behind_a_balance_most_recent_first(alice_client, exchange):
    order = buy(exchange)
    cancel_order(owner_id=exchange.alice.pk, market=exchange.btc, order_id=order.pk)

    response = alice_client.get(wallet_url(exchange))

    rows = history(response, "KRW").rows
    assert [(r.kind, r.available, r.locked) for r in rows] == [
        ("Hold released", "+1,000,000", "−1,000,000"),
        ("Order hold", "−1,000,000", "+1,000,000"),
        ("Starting grant", "+10,000,000", ""),
    ]
    assert f"locked for order #{order.pk}: Buy Limit on BTC-KRW" in rows[1].detail
    assert rows[1].url == reverse("sandbox-trade", args=[exchange.offering.slug, "BTCKRW"])
    assert "Hold released" in response.content.decode()


def test_wallet_explains_which_open_order_locked_what(alice_client, exchange):
    order = buy(exchange, price="90000000")

    response = alice_client.get(wallet_url(exchange))

    [hold] = response.context["holds"]
    assert (hold.order_id, hold.locked) == (order.pk, "900,000 KRW")
    assert "Buy Limit: 0.01 BTC left at 90,000,000 KRW" in hold.description


def test_wallet_lists_only_the_latest_movements_and_links_to_all_of_them(alice_client, exchange):
    for _ in range(6):
        cancel_order(owner_id=exchange.alice.pk, market=exchange.btc, order_id=buy(exchange).pk)

    response = alice_client.get(wallet_url(exchange))

    krw = history(response, "KRW")
    assert (len(krw.rows), krw.total) == (10, 13)
    assert "?asset=KRW" in response.content.decode()


def test_one_asset_is_paginated_oldest_on_the_last_page(alice_client, exchange):
    for _ in range(13):
        cancel_order(owner_id=exchange.alice.pk, market=exchange.btc, order_id=buy(exchange).pk)

    response = alice_client.get(wallet_url(exchange), {"asset": "KRW", "page": 2})

    [krw] = response.context["histories"]
    assert krw.page.paginator.num_pages == 2
    assert [r.kind for r in krw.rows][-1] == "Starting grant"
    assert len(krw.rows) == 27 - 25


def test_first_visit_opens_the_wallet(client, exchange):
    carol = UserFactory()
    EnrollmentFactory(offering=exchange.offering, user=carol)
    client.force_login(carol)

    response = client.get(wallet_url(exchange))

    assert Wallet.objects.filter(owner=carol, offering=exchange.offering).exists()
    assert "Starting grant" in response.content.decode()


def test_wallet_of_another_offering_is_404(client, exchange):
    outsider = UserFactory()
    EnrollmentFactory(offering=OfferingFactory(), user=outsider)
    client.force_login(outsider)

    assert client.get(wallet_url(exchange)).status_code == 404
    assert not Wallet.objects.filter(owner=outsider, offering=exchange.offering).exists()


def test_wallet_in_korean(alice_client, exchange):
    alice_client.cookies["django_language"] = "ko"

    page = alice_client.get(wallet_url(exchange)).content.decode()

    assert "내 지갑" in page and "최초 지급" in page
