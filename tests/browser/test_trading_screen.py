"""The trading screen in Chromium against the whole ASGI site: a student's orders read in words
(from the server and from the user data stream, in English and Korean), the order tables fit
desktop and phone without sideways scrolling, an order that ends moves from open orders to the
history without a reload, and the depth chart draws the live book. Screenshots:
var/screenshots/trade-screen-*.png."""

import re
import time

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from sandbox.exchange.api import cancel_order, place_order
from sandbox.exchange.views_live import STATUS_LABELS
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    SOON_MS,
    accessibility_violations,
    horizontal_overflow,
    log_in,
    screenshot,
    two_traders,
    wider_than_the_screen,
)
from tests.sandbox.trades import limit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# How far each order table's content reaches past its own box (0: nothing to scroll sideways).
TABLES_SPILL = """() => Object.fromEntries(
  ['open-orders-table', 'my-trades-table', 'history-table'].map(id => {
    const box = document.getElementById(id);
    const scroller = box.classList.contains('table-scroll') ? box : box.querySelector('.table-scroll');
    return [id, box.hidden ? 0 : Math.max(0, scroller.scrollWidth - scroller.clientWidth)];
  }))"""


@pytest.fixture
def sandbox(transactional_db):
    """Given an offering's BTC-KRW market and two enrolled students with wallets."""
    return two_traders("dax101-screen-2026f")


def open_trading_page(page, site, sandbox, *, language: str = "en") -> list[str]:
    """Log minji in, in `language`, and open the page until both sockets are open. Returns the
    list the page's script errors are collected in."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.context.add_cookies([{"name": "django_language", "value": language, "url": site.url}])
    log_in(page, site.url, "minji")
    page.goto(site.url + reverse("sandbox-trade", args=[sandbox.offering.slug, "BTCKRW"]))
    expect(page.locator("#live-status")).to_have_class(re.compile("online"), timeout=SOON_MS)
    time.sleep(0.5)  # Redis confirms the sockets' subscriptions asynchronously
    page.evaluate("window.sameDocument = true")
    return errors


def words(status: str, language: str = "en") -> str:
    with translation.override(language):
        return str(STATUS_LABELS[status])


def fits_the_screen(page, name: str) -> None:
    """On desktop and on a phone: nothing scrolls sideways, neither the page nor an order table
    inside its panel; no serious accessibility violation either."""
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        time.sleep(0.3)  # the charts follow the new width
        screenshot(page, f"trade-screen-{name}-{size}")
        assert horizontal_overflow(page) == 0, size
        assert wider_than_the_screen(page) == [], size
        assert page.evaluate(TABLES_SPILL) == dict.fromkeys(
            ["open-orders-table", "my-trades-table", "history-table"], 0
        ), size
        assert accessibility_violations(page) == [], size


def test_a_partly_filled_order_from_the_form_reads_in_words_and_fits_desktop_and_phone(
    page, site, sandbox
):
    place_order(
        owner_id=sandbox.junho.pk, market=sandbox.btc, request=limit("SELL", "0.01", "99000000")
    )
    errors = open_trading_page(page, site, sandbox)

    page.get_by_label("Buy").check()
    page.get_by_label("Order type").select_option("LIMIT")
    page.get_by_label("Price (KRW per BTC)").fill("99,000,000")
    page.get_by_label("Quantity (BTC)").fill("0.03")
    page.get_by_role("button", name="Place order").click()
    page.wait_for_load_state("networkidle")

    expect(page.get_by_role("status").first).to_contain_text("placed: Partly filled.")
    row = page.get_by_test_id("open-orders").locator("tbody tr").first
    expect(row.locator('[data-field="status"]')).to_have_text(words("PARTIALLY_FILLED"))
    expect(row.locator('[data-field="filled"]')).to_have_text("0.01")
    expect(page.locator("#open-orders")).not_to_contain_text("PARTIALLY_FILLED")
    fits_the_screen(page, "partly-filled")
    assert errors == []


def test_a_fill_and_a_cancel_arrive_live_and_the_order_moves_to_the_history(page, site, sandbox):
    order = place_order(
        owner_id=sandbox.minji.pk, market=sandbox.btc, request=limit("BUY", "0.03", "99000000")
    )
    errors = open_trading_page(page, site, sandbox)
    row = page.locator(f'#open-orders-rows tr[data-order-id="{order.pk}"]')
    expect(row.locator('[data-field="status"]')).to_have_text(words("NEW"))
    expect(page.locator("#history-empty")).to_be_visible()

    place_order(
        owner_id=sandbox.junho.pk, market=sandbox.btc, request=limit("SELL", "0.01", "99000000")
    )

    expect(row.locator('[data-field="status"]')).to_have_text(
        words("PARTIALLY_FILLED"), timeout=SOON_MS
    )
    expect(row.locator('[data-field="filled"]')).to_have_text("0.01")
    expect(row.locator('[data-field="locked"]')).to_have_text("1,980,000 KRW")
    expect(page.get_by_test_id("my-trades").locator("tbody tr")).to_have_count(1)

    cancel_order(owner_id=sandbox.minji.pk, market=sandbox.btc, order_id=order.pk)

    finished = page.locator(f'#history-rows tr[data-order-id="{order.pk}"]')
    expect(finished).to_be_visible(timeout=SOON_MS)
    expect(finished.locator('[data-field="status"]')).to_have_text(words("CANCELED"))
    expect(finished.locator('[data-field="filled"]')).to_have_text("0.01")
    expect(finished.locator('[data-field="average"]')).to_have_text("99,000,000")
    expect(finished.locator('[data-field="side"]')).to_have_text("Buy")
    expect(row).to_have_count(0)
    expect(page.locator("#open-orders")).to_contain_text("You have no open orders")
    expect(page.locator("#history-empty")).to_be_hidden()
    assert page.evaluate("window.sameDocument") is True
    fits_the_screen(page, "cancelled-live")
    assert errors == []


def test_in_korean_the_statuses_from_the_server_and_the_stream_are_korean(page, site, sandbox):
    place_order(
        owner_id=sandbox.junho.pk, market=sandbox.btc, request=limit("SELL", "0.01", "99000000")
    )
    order = place_order(
        owner_id=sandbox.minji.pk, market=sandbox.btc, request=limit("BUY", "0.03", "99000000")
    )
    errors = open_trading_page(page, site, sandbox, language="ko")
    expect(page.get_by_role("heading", name="호가창")).to_be_visible()
    row = page.locator(f'#open-orders-rows tr[data-order-id="{order.pk}"]')
    expect(row.locator('[data-field="status"]')).to_have_text(words("PARTIALLY_FILLED", "ko"))

    cancel_order(owner_id=sandbox.minji.pk, market=sandbox.btc, order_id=order.pk)

    finished = page.locator(f'#history-rows tr[data-order-id="{order.pk}"]')
    expect(finished.locator('[data-field="status"]')).to_have_text(
        words("CANCELED", "ko"), timeout=SOON_MS
    )
    expect(finished.locator('[data-field="side"]')).to_have_text("매수")
    expect(page.locator("#history-table")).not_to_contain_text("CANCELED")
    assert page.evaluate("window.sameDocument") is True
    fits_the_screen(page, "ko")
    assert errors == []


def test_the_depth_chart_draws_the_live_book_and_says_it_in_words(page, site, sandbox):
    for side, quantity, price in [
        ("BUY", "0.02", "98000000"),
        ("BUY", "0.01", "99000000"),
        ("SELL", "0.01", "101000000"),
        ("SELL", "0.03", "102000000"),
    ]:
        place_order(
            owner_id=sandbox.junho.pk, market=sandbox.btc, request=limit(side, quantity, price)
        )
    errors = open_trading_page(page, site, sandbox)
    chart = page.get_by_role("img", name=re.compile("Depth chart of BTC-KRW"))
    summary = page.get_by_test_id("depth-summary")
    expect(chart).to_be_visible()
    expect(summary).to_have_text(
        "Best bid: 99,000,000 KRW; best ask: 101,000,000 KRW. "
        "Within 1% of the middle price: 0.01 BTC bid and 0.01 BTC offered."
    )
    bids = page.locator("#depth-chart path.depth-bids")
    asks = page.locator("#depth-chart path.depth-asks")
    expect(bids).to_have_attribute("d", re.compile(r"^M [\d.]+ [\d.]+ V [\d.]+ H [\d.]+ V"))
    expect(asks).to_have_attribute("d", re.compile(r"^M [\d.]+ [\d.]+ V [\d.]+ H [\d.]+ V"))
    drawn = bids.get_attribute("d")

    place_order(
        owner_id=sandbox.minji.pk, market=sandbox.btc, request=limit("BUY", "0.05", "99500000")
    )

    expect(summary).to_contain_text("Best bid: 99,500,000 KRW", timeout=SOON_MS)
    expect(summary).to_contain_text("0.05 BTC bid and 0.01 BTC offered")  # 99,000,000: over 1%
    assert bids.get_attribute("d") != drawn
    box = page.locator("#depth-chart").bounding_box()
    assert box["width"] > 300 and box["height"] > 100
    fits_the_screen(page, "depth")
    box = page.locator("#depth-chart").bounding_box()
    assert 250 < box["width"] <= PHONE["width"]  # redrawn to the phone's width
    assert errors == []
