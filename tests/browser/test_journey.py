"""Two whole journeys in Chromium against the whole site (uvicorn serving campus.asgi), a real
chain host with Anvil, the real matching engine and the shipped course.

The student logs in, trades against a house bot of a running scenario, opens their chain, deploys
a contract from the studio and answers a quiz of the shipped course; the instructor starts a
scenario from the markets control page and watches the leaderboard move. Celery's part is played
in-process: beat's market ticks by `ScenarioClock` (runner.tick at simulated seconds) and the
grading worker by `grading_worker` (the real task, run when the test says), so what a live page
shows can only have come by its WebSocket. Screenshots: var/screenshots/journey-*.png.
"""

import re
from datetime import timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from courses.demo import CATALOG, COURSE_SLUG
from courses.models import Course, Enrollment
from courses.packages.services import import_course
from sandbox.exchange.api import Order, OrderRequest, Trade, market_by_symbol, place_order
from sandbox.exchange.markets import list_default_markets
from sandbox.markets import runner
from sandbox.markets.leaderboard import standings
from sandbox.markets.models import ScenarioRun
from sandbox.markets.services import start_scenario
from sandbox.wallet.assets import ensure_standard_assets
from sandbox.wallet.services import open_wallet
from tests.browser.conftest import (
    DESKTOP,
    SOON_MS,
    accessibility_violations,
    log_in,
    screenshot,
    wait_until_live,
)
from tests.factories import EnrollmentFactory, OfferingFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SEED = 20261
MAX_TICKS = 30


class ScenarioClock:
    """Beat's part, played by the test: `advance(n)` ticks the run once a simulated second for n
    seconds, from where the last call stopped (the seed and these instants fix every bot order)."""

    def __init__(self, run_id: int):
        self.run_id = run_id
        self.start = ScenarioRun.objects.get(pk=run_id).clock_at
        self.seconds = 0

    def advance(self, seconds: int = 1) -> None:
        for _ in range(seconds):
            self.seconds += 1
            runner.tick(self.run_id, now=self.start + timedelta(seconds=self.seconds))


def shot(page, name: str) -> None:
    screenshot(page, f"journey-{name}")


def number(text: str) -> D:
    return D(text.replace(",", "").split()[0])


def best_ask(page) -> tuple[D, D]:
    """The lowest ask in the order book as the page shows it: (price, quantity)."""
    rows = page.get_by_test_id("book-asks").locator("tbody tr.level")
    levels = [
        (
            number(row.locator("td").nth(0).inner_text()),
            number(row.locator("td").nth(1).inner_text()),
        )
        for row in rows.all()
    ]
    assert levels, "the book shows no asks"
    return min(levels)


@pytest.fixture
def dax101(transactional_db):
    """Given the shipped course imported from its package and offered with the default markets."""
    ensure_standard_assets()  # a transactional test's flush removed the migrated assets
    import_course(path=CATALOG / COURSE_SLUG)
    offering = OfferingFactory(
        course=Course.objects.get(slug=COURSE_SLUG), slug="dax101-busan-2026f"
    )
    list_default_markets(offering_id=offering.pk)
    return offering


@pytest.fixture
def minji(dax101, chain_host, student_chain):
    """Given minji enrolled with her wallet (the starting grant) and her own chain."""
    chain, _ = student_chain(
        offering=dax101, user__username="minji", user__first_name="Minji", user__last_name="Kim"
    )
    open_wallet(offering_id=dax101.pk, owner_id=chain.owner_id)
    return chain.owner


def test_a_students_journey_trade_chain_studio_and_quiz(site, page, dax101, minji, grading_worker):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    run = start_scenario(
        offering_id=dax101.pk, scenario="calm-markets", started_by_id=None, seed=SEED
    )
    clock = ScenarioClock(run.pk)

    # She logs in through the login page and reaches her course's page.
    page.goto(site.url + reverse("offering-detail", args=[dax101.slug]))
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    shot(page, "student-01-login")
    log_in(page, site.url, "minji")
    page.goto(site.url + reverse("offering-detail", args=[dax101.slug]))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Digital Asset Exchanges and Smart Contracts"
    )
    shot(page, "student-02-offering")

    # The trading screen goes live; the house market maker's first quotes arrive by the push.
    page.get_by_role("link", name="Trade BTC-KRW").click()
    expect(page.locator("#live-status")).to_have_text("Live", timeout=SOON_MS)
    expect(page.get_by_test_id("book-asks")).to_contain_text("Nobody is selling yet.")
    page.wait_for_timeout(500)  # Redis confirms the sockets' subscriptions asynchronously
    clock.advance(1)
    expect(page.get_by_test_id("book-asks").locator("tr.level").first).to_be_visible(
        timeout=SOON_MS
    )
    price, available = best_ask(page)
    shot(page, "student-03-trade-quoted")

    # A limit buy at the best ask for a little more than it offers: that much fills at once
    # against the bot, the rest rests in the book at her price.
    quantity = available + D("0.01")
    page.get_by_label("Buy").check()
    page.get_by_label("Order type").select_option("LIMIT")
    page.get_by_label("Price (KRW per BTC)").fill(f"{price:,}")
    page.get_by_label("Quantity (BTC)").fill(str(quantity))
    page.get_by_role("button", name="Place order").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("status").first).to_contain_text("placed: Partly filled")
    order = Order.objects.get(owner=minji)
    assert (order.executed_qty, order.status) == (available, "PARTIALLY_FILLED")
    mine = page.get_by_test_id("my-trades").locator("tbody tr")
    expect(mine).to_have_count(1)
    expect(mine.first).to_contain_text("Buy")
    expect(mine.first).to_contain_text("taker")
    expect(page.get_by_test_id("open-orders")).to_contain_text(f"#{order.pk}")
    shot(page, "student-04-trade-partly-filled")

    # The market moves on; the bot's next quotes or trades fill the rest, shown without a reload.
    expect(page.locator("#live-status")).to_have_text("Live", timeout=SOON_MS)
    page.wait_for_timeout(500)
    page.evaluate("window.sameDocument = true")
    for _ in range(MAX_TICKS):
        clock.advance(1)
        order.refresh_from_db()
        if order.status == "FILLED":
            break
    assert order.status == "FILLED", f"not filled after {MAX_TICKS} ticks of seed {SEED}"
    fills = Trade.objects.filter(buyer_order=order).count()
    expect(page.locator("#open-orders")).to_contain_text("You have no open orders", timeout=SOON_MS)
    expect(mine).to_have_count(fills, timeout=SOON_MS)
    expect(mine.filter(has_text="maker")).not_to_have_count(0)
    assert page.evaluate("window.sameDocument") is True
    shot(page, "student-05-trade-filled-live")

    # My chain: her own RPC URL, her chain running.
    page.goto(site.url + reverse("offering-detail", args=[dax101.slug]))
    page.get_by_role("link", name="My chain").click()
    expect(page.get_by_test_id("rpc-url")).to_contain_text("/chain/")
    expect(page.get_by_test_id("chain-status")).to_contain_text("Running")
    shot(page, "student-06-my-chain")

    # The contract studio: the starter token compiles and deploys to her chain.
    page.goto(site.url + reverse("offering-detail", args=[dax101.slug]))
    page.get_by_role("link", name="Contract studio").click()
    page.get_by_role("button", name="Compile").click()
    expect(page.get_by_test_id("compile-messages")).to_contain_text(
        "Compiled: MyToken", timeout=30_000
    )
    deploy = page.get_by_test_id("deploy-form").first
    deploy.get_by_label("name_").fill("Busan Coin")
    deploy.get_by_label("symbol_").fill("BSN")
    deploy.get_by_label("supply").fill("1000")
    deploy.get_by_role("button", name="Deploy MyToken").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("status").first).to_contain_text("MyToken deployed at 0x")
    shot(page, "student-07-studio-deployed")

    # A quiz of the shipped course, with one answer wrong: the feedback arrives by the push.
    page.goto(site.url + reverse("offering-detail", args=[dax101.slug]))
    page.get_by_role("link", name="Open the course: lessons and exercises").click()
    page.get_by_role("link", name="Keys, addresses and wallets").first.click()
    page.get_by_role("link", name="Quiz: keys, addresses and wallets").first.click()
    wait_until_live(page)
    shot(page, "student-08-quiz")
    page.get_by_label("secp256k1", exact=True).check()
    page.get_by_label(re.compile("The last 20 bytes of Keccak-256")).check()
    page.get_by_label("Your answer").fill("132")  # the checksum bits counted too
    for statement in (
        "carried by the upper/lower case",
        "comes from the Keccak-256",
        "still a valid",
    ):
        page.get_by_label(re.compile(re.escape(statement))).check()
    page.get_by_label("m/44'/60'/0'/0/3", exact=True).check()
    page.get_by_role("button", name="Submit answers").click()
    attempt = page.get_by_test_id("attempt").first
    expect(attempt).to_contain_text("Waiting to be graded")
    wait_until_live(page)
    assert grading_worker.run() == 1
    expect(attempt).to_contain_text("Not yet passed", timeout=SOON_MS)
    expect(attempt.get_by_test_id("attempt-score")).to_have_text("8 / 10 points")
    expect(attempt.locator(".check-failed")).to_have_count(1)
    expect(attempt.locator(".check-hint")).to_contain_text("12 × 11 = 132 bits")
    assert page.evaluate("window.sameDocument") is True
    shot(page, "student-09-quiz-feedback")
    assert accessibility_violations(page) == []
    assert errors == []


@pytest.fixture
def cohort(transactional_db):
    """Given an offering with the default markets, an instructor, and two students with wallets."""
    ensure_standard_assets()
    offering = OfferingFactory(slug="dax101-gwangan-2026f", course__title="Digital Asset Exchanges")
    list_default_markets(offering_id=offering.pk)
    students = {}
    for username, first, last in (("minji", "Minji", "Kim"), ("junho", "Junho", "Park")):
        student = UserFactory(username=username, first_name=first, last_name=last)
        EnrollmentFactory(offering=offering, user=student)
        open_wallet(offering_id=offering.pk, owner_id=student.pk)
        students[username] = student
    EnrollmentFactory(
        offering=offering,
        user=UserFactory(username="ines", first_name="Ines", last_name="Cho"),
        role=Enrollment.Role.INSTRUCTOR,
    )
    return offering, students


def value_of(page, name: str) -> str:
    row = page.locator("table.leaderboard tbody tr").filter(has_text=name)
    return row.locator("td").nth(1).inner_text()


def test_an_instructors_journey_start_a_scenario_and_watch_the_leaderboard(site, page, cohort):
    offering, students = cohort
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size(DESKTOP)

    log_in(page, site.url, "ines")
    page.goto(site.url + reverse("offering-detail", args=[offering.slug]))
    page.get_by_role("link", name="Markets control").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Markets control")
    shot(page, "instructor-01-control")

    page.get_by_label("Scenario:", exact=True).select_option(label="Calm markets")
    page.get_by_label("Seed (optional):", exact=True).fill(str(SEED))
    page.get_by_role("button", name="Start scenario").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("run-status")).to_have_text("Running")
    expect(page.get_by_role("status").first).to_contain_text(f"with seed {SEED}")
    shot(page, "instructor-02-started")

    ScenarioClock(ScenarioRun.objects.get(offering=offering).pk).advance(5)
    page.reload()
    expect(page.get_by_test_id("run-announcements")).to_contain_text("Markets are open.")
    expect(
        page.get_by_test_id("markets").locator("tr").filter(has_text="BTC-KRW")
    ).not_to_contain_text("—")
    shot(page, "instructor-03-ticked")

    page.get_by_role("link", name="Leaderboard").first.click()
    expect(page.locator("table.leaderboard tbody tr")).to_have_count(2)
    before = value_of(page, "Minji Kim")
    shot(page, "instructor-04-leaderboard")

    # Minji buys BTC from the house bot: her portfolio now counts more BTC at a new mark.
    btc = market_by_symbol(offering_id=offering.pk, symbol="BTCKRW")
    buy = OrderRequest(side="BUY", type="MARKET", quantity=D("0.03"))
    assert place_order(owner_id=students["minji"].pk, market=btc, request=buy).status == "FILLED"
    page.reload()

    after = value_of(page, "Minji Kim")
    assert after != before
    expected = {s.name: s.value for s in standings(offering.pk)}["Minji Kim"]
    assert number(after) == expected.quantize(D(1), rounding=ROUND_HALF_UP)
    shot(page, "instructor-05-leaderboard-moved")
    assert accessibility_violations(page) == []
    assert errors == []
