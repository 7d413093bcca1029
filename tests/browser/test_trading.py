"""A student trades through the portal in Chromium: a limit sell from the form, filled by another
student's crossing buy, then the trade and the new balances after a reload."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from sandbox.exchange.filters import OrderRequest
from sandbox.exchange.services import place_order
from tests.browser.conftest import screenshot, serious_accessibility_violations, two_traders
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def sandbox():
    """Given an offering with the default markets and two enrolled students with wallets."""
    world = two_traders("dax101-haeundae-2026f")
    return world.offering, world.btc, [world.minji, world.junho]


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")


def test_limit_sell_from_the_form_is_filled_by_a_crossing_buy(live_server, page, sandbox):
    offering, btc, (_minji, junho) = sandbox
    for side, price, quantity in [
        ("BUY", "99000000", "0.01"),
        ("BUY", "98000000", "0.02"),
        ("SELL", "102000000", "0.01"),
        ("SELL", "103000000", "0.015"),
    ]:
        resting = OrderRequest(
            side=side, type="LIMIT", time_in_force="GTC", price=D(price), quantity=D(quantity)
        )
        place_order(owner_id=junho.pk, market=btc, request=resting)
    log_in(page, live_server.url, "minji")

    page.goto(live_server.url + reverse("offering-detail", args=[offering.slug]))
    screenshot(page, "offering-sandbox-links-desktop")
    page.get_by_role("link", name="Trade BTC-KRW").click()
    page.get_by_label("Sell").check()
    page.get_by_label("Order type").select_option("LIMIT")
    page.get_by_label("Price (KRW per BTC)").fill("100,000,000")
    page.get_by_label("Quantity (BTC)").fill("0.01")
    page.get_by_role("button", name="Place order").click()
    page.wait_for_load_state("networkidle")

    assert "placed: Open" in page.get_by_role("status").first.inner_text()
    assert "0.01 BTC" in page.get_by_test_id("open-orders").inner_text()
    assert "100,000,000" in page.get_by_test_id("book-asks").inner_text()
    screenshot(page, "trade-sell-resting-desktop")

    buy = OrderRequest(
        side="BUY", type="LIMIT", time_in_force="GTC", price=D("100000000"), quantity=D("0.01")
    )
    assert place_order(owner_id=junho.pk, market=btc, request=buy).status == "FILLED"
    page.reload()
    page.wait_for_load_state("networkidle")

    assert "100,000,000" in page.get_by_test_id("recent-trades").inner_text()
    my_trades = page.get_by_test_id("my-trades").inner_text()
    assert "Sell" in my_trades and "500 KRW" in my_trades and "maker" in my_trades
    balances = page.get_by_test_id("market-balances").inner_text()
    assert "0.04" in balances and "10,999,500" in balances
    assert "You have no open orders" in page.inner_text("#open-orders")
    screenshot(page, "trade-after-fill-desktop")
    assert serious_accessibility_violations(page) == []

    page.set_viewport_size(PHONE)
    screenshot(page, "trade-after-fill-phone")
    assert serious_accessibility_violations(page) == []


def test_refused_order_is_explained_beside_the_form(live_server, page, sandbox):
    offering, _btc, _students = sandbox
    log_in(page, live_server.url, "minji")
    page.goto(live_server.url + reverse("sandbox-trade", args=[offering.slug, "BTCKRW"]))

    page.get_by_label("Buy").check()
    page.get_by_label("Price (KRW per BTC)").fill("100000500")
    page.get_by_label("Quantity (BTC)").fill("0.01")
    page.get_by_role("button", name="Place order").click()
    page.wait_for_load_state("networkidle")

    refusal = page.get_by_test_id("order-refusal").inner_text()
    assert "PRICE_FILTER" in refusal and "multiple of 1,000" in refusal
    assert page.get_by_label("Price (KRW per BTC)").input_value() == "100000500"
    screenshot(page, "trade-refused-desktop")
    assert serious_accessibility_violations(page) == []
    page.set_viewport_size(PHONE)
    screenshot(page, "trade-refused-phone")


def test_wallet_page_shows_balances_holds_and_postings(live_server, page, sandbox):
    offering, btc, (minji, _junho) = sandbox
    hold = OrderRequest(
        side="BUY", type="LIMIT", time_in_force="GTC", price=D("90000000"), quantity=D("0.01")
    )
    order = place_order(owner_id=minji.pk, market=btc, request=hold)
    log_in(page, live_server.url, "minji")

    page.goto(live_server.url + reverse("sandbox-wallet", args=[offering.slug]))

    assert f"#{order.pk}" in page.get_by_test_id("holds").inner_text()
    postings = page.get_by_test_id("postings-KRW").inner_text()
    assert "Order hold" in postings and "Starting grant" in postings
    screenshot(page, "wallet-desktop")
    assert serious_accessibility_violations(page) == []
    page.set_viewport_size(PHONE)
    screenshot(page, "wallet-phone")
    assert serious_accessibility_violations(page) == []


def test_trading_page_in_korean_on_a_phone(live_server, page, sandbox):
    offering, _btc, _students = sandbox
    log_in(page, live_server.url, "minji")
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("sandbox-trade", args=[offering.slug, "BTCKRW"]))
    page.select_option("#language-select", "ko")
    page.wait_for_load_state("networkidle")

    assert page.get_by_role("heading", name="호가창").is_visible()
    screenshot(page, "trade-ko-phone")
    assert serious_accessibility_violations(page) == []
