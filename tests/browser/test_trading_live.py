"""The trading page, live, in Chromium against the whole ASGI site (uvicorn in a thread: the WSGI
live_server has no WebSockets): another student's orders reach the book, a crossing order's trade
reaches the tape and the student's own orders, fills and balances, and the candlestick chart draws,
all without a reload."""

import time
from types import SimpleNamespace

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from sandbox.exchange.api import place_order
from tests.browser.conftest import screenshot, serious_accessibility_violations, two_traders
from tests.factories import TEST_PASSWORD
from tests.sandbox.trades import limit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 375, "height": 812}
SOON_MS = 10_000

# Pixels of the chart's candles and volume bars (up: green, down: red), counted on its canvases.
COLOURED_PIXELS = """() => {
  let count = 0;
  for (const canvas of document.querySelectorAll('#price-chart canvas')) {
    if (!canvas.width || !canvas.height) continue;
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < pixels.length; i += 4) {
      const [r, g, b, a] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
      if (a > 200 && Math.abs(r - g) > 60 && Math.max(r, g) > Math.max(b, 0) + 30) count += 1;
    }
  }
  return count;
}"""


@pytest.fixture
def sandbox(transactional_db):
    """Given an offering's BTC-KRW market, two enrolled students with wallets, and one trade
    between them already (so the chart has a candle when the page opens)."""
    world = two_traders("dax101-live-2026f")
    offering, btc, minji, junho = world.offering, world.btc, world.minji, world.junho
    place_order(owner_id=junho.pk, market=btc, request=limit("SELL", "0.002", "99000000"))
    place_order(owner_id=minji.pk, market=btc, request=limit("BUY", "0.002", "99000000"))
    return SimpleNamespace(offering=offering, btc=btc, minji=minji, junho=junho)


def open_trading_page(page, site, sandbox) -> list[str]:
    """Log minji in and open the page; wait until both sockets are open. Returns the list the
    page's script errors are collected in."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{site.url}/accounts/login/")
    page.get_by_label("Username").fill("minji")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
    page.goto(site.url + reverse("sandbox-trade", args=[sandbox.offering.slug, "BTCKRW"]))
    expect(page.locator("#live-status")).to_have_text("Live", timeout=SOON_MS)
    time.sleep(0.5)  # Redis confirms the sockets' subscriptions asynchronously
    return errors


def test_another_students_order_appears_in_the_book_without_a_reload(page, site, sandbox):
    open_trading_page(page, site, sandbox)
    bids = page.get_by_test_id("book-bids")
    expect(bids).not_to_contain_text("95,000,000")

    place_order(
        owner_id=sandbox.junho.pk, market=sandbox.btc, request=limit("BUY", "0.03", "95000000")
    )

    expect(bids).to_contain_text("95,000,000", timeout=SOON_MS)
    expect(bids).to_contain_text("2,850,000")  # the level's total in KRW
    screenshot(page, "trade-live-book-desktop")


def test_a_crossing_order_updates_tape_fills_open_orders_and_balances(page, site, sandbox):
    place_order(
        owner_id=sandbox.minji.pk, market=sandbox.btc, request=limit("SELL", "0.01", "100000000")
    )
    open_trading_page(page, site, sandbox)
    expect(page.get_by_test_id("open-orders")).to_contain_text("100,000,000")

    place_order(
        owner_id=sandbox.junho.pk, market=sandbox.btc, request=limit("BUY", "0.01", "100000000")
    )

    expect(page.get_by_test_id("recent-trades").locator("tbody tr").first).to_contain_text(
        "100,000,000", timeout=SOON_MS
    )
    fill = page.get_by_test_id("my-trades").locator("tbody tr").first
    expect(fill).to_contain_text("Sell", timeout=SOON_MS)
    expect(fill).to_contain_text("500 KRW")
    expect(fill).to_contain_text("maker")
    expect(page.locator("#open-orders")).to_contain_text("You have no open orders")
    expect(page.get_by_test_id("market-balances")).to_contain_text("10,801,500")
    expect(page.get_by_test_id("last-price")).to_contain_text("100,000,000")
    expect(page.locator("#last-trade")).to_contain_text(
        "0.01 BTC at 100,000,000 KRW", timeout=SOON_MS
    )
    expect(page.get_by_test_id("book-asks")).not_to_contain_text("100,000,000")


def test_candlestick_chart_draws_and_page_reads_well_on_desktop_and_phone(page, site, sandbox):
    errors = open_trading_page(page, site, sandbox)

    chart = page.get_by_role("img", name="Candlestick chart of BTC-KRW")
    expect(chart).to_be_visible()
    expect(chart.locator("canvas").first).to_be_attached()
    page.wait_for_function(f"({COLOURED_PIXELS})() > 20", timeout=SOON_MS)
    place_order(
        owner_id=sandbox.junho.pk, market=sandbox.btc, request=limit("SELL", "0.004", "98000000")
    )
    place_order(
        owner_id=sandbox.minji.pk, market=sandbox.btc, request=limit("BUY", "0.004", "101000000")
    )
    expect(page.get_by_test_id("recent-trades").locator("tbody tr")).to_have_count(
        2, timeout=SOON_MS
    )
    time.sleep(0.5)  # the book's next render (at most every 100 ms) and the fresh rows' glow

    screenshot(page, "trade-live-desktop")
    assert serious_accessibility_violations(page) == []
    page.set_viewport_size(PHONE)
    time.sleep(0.3)  # the chart resizes to its new width
    screenshot(page, "trade-live-phone")
    assert serious_accessibility_violations(page) == []
    assert errors == []
