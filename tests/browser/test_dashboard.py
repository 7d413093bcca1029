"""A student's dashboard (the offering page) in Chromium against the whole ASGI site: next
lessons, deadlines, grades, portfolio, market news, chain and wallet; on a laptop and a 390 px
phone, in English and Korean, checked by axe-core and for sideways scrolling; market news arriving
over the WebSocket without a reload; and a student with nothing yet, whose panels say what will
come. Screenshots: var/screenshots/dashboard-*.png."""

import threading
import time
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from courses.models import Attempt, Deadline
from sandbox.chain.services import open_chain
from sandbox.exchange.engines import forget_all
from sandbox.exchange.filters import OrderRequest
from sandbox.exchange.markets import list_default_markets
from sandbox.exchange.services import place_order
from sandbox.exchange.streams import announcements_group, publish
from sandbox.markets.models import Announcement, ScenarioRun
from sandbox.wallet.assets import ensure_standard_assets
from sandbox.wallet.services import open_wallet
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    SOON_MS,
    accessibility_violations,
    horizontal_overflow,
    log_in,
    screenshot,
    sticking_out,
)
from tests.factories import (
    EnrollmentFactory,
    ExerciseFactory,
    LessonFactory,
    ModuleFactory,
    OfferingFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SLUG = "dax101-haeundae-2026f"
PANELS = ("next-lessons", "deadlines", "grades", "portfolio", "news", "wallet", "chain")

# Count the page's WebSockets, so a test knows when the live news can reach it.
WATCH_SOCKETS = """
(() => {
  const Native = window.WebSocket;
  window.openSockets = () => (window.__sockets || []).filter(s => s.readyState === 1).length;
  window.WebSocket = function (...args) {
    const socket = new Native(...args);
    (window.__sockets = window.__sockets || []).push(socket);
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
})();
"""


def course_with_lessons(offering) -> dict:
    """Two modules, four lessons, three quizzes, in English with Korean beside it."""
    course = offering.course
    course.translations = {"ko": {"title": "디지털 자산 거래소와 스마트 계약"}}
    course.save()
    basics = ModuleFactory(
        course=course, title="Foundations", position=1, translations={"ko": {"title": "기초"}}
    )
    trading = ModuleFactory(
        course=course, title="Markets", position=2, translations={"ko": {"title": "시장"}}
    )
    lessons = {
        slug: LessonFactory(
            module=module,
            slug=slug,
            title=title,
            position=n,
            minutes=minutes,
            translations={"ko": {"title": korean}},
        )
        for n, (module, slug, title, korean, minutes) in enumerate(
            [
                (basics, "keys", "Keys and wallets", "키와 지갑", 25),
                (basics, "gas", "Transactions and gas", "트랜잭션과 가스", 20),
                (trading, "books", "Order books and AMMs", "호가창과 AMM", 30),
                (trading, "orders", "Order types and microstructure", "주문 유형과 미시구조", 35),
            ]
        )
    }
    return {
        slug: ExerciseFactory(
            lesson=lessons[lesson],
            slug=slug,
            title=title,
            points=10,
            translations={"ko": {"title": korean}},
        )
        for lesson, slug, title, korean in [
            ("keys", "keys-quiz", "Quiz: keys and addresses", "퀴즈: 키와 주소"),
            ("gas", "gas-quiz", "Quiz: gas and fees", "퀴즈: 가스와 수수료"),
            ("books", "books-quiz", "Quiz: reading an order book", "퀴즈: 호가창 읽기"),
        ]
    }


@pytest.fixture
def classroom():
    """minji, two quizzes tried (one passed, one half right and late), two deadlines ahead of
    her; she bought BTC from junho and has a bid resting; her chain is opened (stopped); a
    scenario runs with three pieces of news. carol has just enrolled: nothing yet."""
    ensure_standard_assets()  # a transactional test's flush removed the migrated assets
    forget_all()  # this process's matching engines belong to an earlier test's database
    offering = OfferingFactory(
        slug=SLUG,
        course__title="Digital Asset Exchanges and Smart Contracts",
        university__name="Haeundae University",
    )
    markets = {m.symbol: m for m in list_default_markets(offering_id=offering.pk)}
    quizzes = course_with_lessons(offering)
    people = {}
    for username, first, last in (("minji", "Minji", "Kim"), ("junho", "Junho", "Park")):
        people[username] = UserFactory(username=username, first_name=first, last_name=last)
        EnrollmentFactory(offering=offering, user=people[username])
        open_wallet(offering_id=offering.pk, owner_id=people[username].pk)
    people["carol"] = EnrollmentFactory(offering=offering, user__username="carol").user
    now = timezone.now()
    deadlines = {"gas-quiz": (-1, "10"), "books-quiz": (2, "0"), "keys-quiz": (5, "0")}
    for slug, (days, penalty) in deadlines.items():
        Deadline.objects.create(
            offering=offering,
            exercise=quizzes[slug],
            due_at=now + timedelta(days=days, hours=-6 if days < 0 else 6),
            hard_deadline_at=now + timedelta(days=days + 3, hours=6),
            late_penalty_percent_per_day=D(penalty),
        )
    for slug, status, score in (("keys-quiz", "passed", "1"), ("gas-quiz", "failed", "0.5")):
        Attempt.objects.create(
            offering=offering,
            exercise=quizzes[slug],
            user=people["minji"],
            number=1,
            status=status,
            score=D(score),
            submitted_at=now,
        )
    btc = markets["BTCKRW"]
    sell = OrderRequest(
        side="SELL", type="LIMIT", time_in_force="GTC", price=D("100000000"), quantity=D("0.02")
    )
    place_order(owner_id=people["junho"].pk, market=btc, request=sell)
    buy = OrderRequest(side="BUY", type="MARKET", quantity=D("0.02"))
    place_order(owner_id=people["minji"].pk, market=btc, request=buy)
    bid = OrderRequest(
        side="BUY", type="LIMIT", time_in_force="GTC", price=D("104000000"), quantity=D("0.01")
    )
    place_order(owner_id=people["junho"].pk, market=btc, request=bid)
    sell_some = OrderRequest(side="SELL", type="MARKET", quantity=D("0.005"))
    place_order(owner_id=people["minji"].pk, market=btc, request=sell_some)  # BTC now 104,000,000
    rest = OrderRequest(
        side="BUY", type="LIMIT", time_in_force="GTC", price=D("95000000"), quantity=D("0.01")
    )
    place_order(owner_id=people["minji"].pk, market=btc, request=rest)
    open_chain(offering_id=offering.pk, owner_id=people["minji"].pk)
    run = ScenarioRun.objects.create(
        offering=offering, scenario="calm-markets", title="Calm markets", script="", seed=7
    )
    for at, text in (
        (5, "Markets open: bots quote BTC, ETH and KUSD against KRW."),
        (60, "A large buyer lifts the BTC offers."),
        (120, "Liquidity returns; spreads tighten."),
    ):
        Announcement.objects.create(run=run, offering=offering, at=at, text=text)
    return offering, people


def open_dashboard(browser, site, username: str, language: str, viewport: dict):
    context = browser.new_context(viewport=viewport, locale=f"{language}-KR")
    context.add_cookies([{"name": "django_language", "value": language, "url": site.url}])
    context.add_init_script(WATCH_SOCKETS)
    page = context.new_page()
    log_in(page, site.url, username)
    page.goto(site.url + reverse("offering-detail", args=[SLUG]))
    page.wait_for_load_state("networkidle")
    return page


def looks_right(page, name: str, phone: bool) -> None:
    screenshot(page, name)
    found = accessibility_violations(page)
    assert found == [], "\n".join(found)
    if phone:
        overflow = horizontal_overflow(page)
        assert overflow == 0, f"scrolls {overflow}px sideways: {sticking_out(page)}"


@pytest.mark.parametrize("language", ["en", "ko"])
@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_a_student_reads_their_dashboard(site, browser, classroom, language, screen):
    page = open_dashboard(browser, site, "minji", language, PHONE if screen == "phone" else DESKTOP)

    assert page.evaluate("document.documentElement.lang") == language
    for key in PANELS:
        expect(page.get_by_test_id(f"panel-{key}")).to_be_visible()
    title = "디지털 자산 거래소와 스마트 계약" if language == "ko" else "Digital Asset Exchanges"
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    lessons = page.get_by_test_id("next-lesson")
    expect(lessons.first).to_contain_text("트랜잭션과 가스" if language == "ko" else "gas")
    expect(page.get_by_test_id("deadline").first).to_contain_text(
        "퀴즈: 가스와 수수료" if language == "ko" else "Quiz: gas and fees"
    )
    expect(page.get_by_test_id("grade-total")).to_have_text("14")  # 10, and 5 less 20 % (2 d late)
    expect(page.get_by_test_id("portfolio-pnl")).not_to_be_empty()
    expect(page.get_by_test_id("announcements").locator("li")).to_have_count(3)
    expect(page.get_by_test_id("dash-chain-status")).to_be_visible()
    expect(page.get_by_test_id("wallet-balances")).to_contain_text("BTC")
    looks_right(page, f"dashboard-{language}-{screen}", screen == "phone")
    page.context.close()


def test_a_new_student_is_told_what_each_panel_will_show(site, browser, classroom):
    page = open_dashboard(browser, site, "carol", "en", PHONE)

    expect(page.get_by_test_id("portfolio-empty")).to_contain_text("once your wallet is open")
    expect(page.get_by_test_id("wallet-empty")).to_be_visible()
    expect(page.get_by_test_id("chain-empty")).to_contain_text(
        "opens when you first visit My chain"
    )
    expect(page.get_by_test_id("grades-empty")).to_be_visible()
    looks_right(page, "dashboard-new-student-en-phone", phone=True)
    page.context.close()


def test_market_news_arrives_on_the_dashboard_without_a_reload(site, browser, classroom):
    offering, _people = classroom
    page = open_dashboard(browser, site, "minji", "en", DESKTOP)
    page.evaluate("window.sameDocument = true")
    page.wait_for_function("window.openSockets() > 0", timeout=SOON_MS)
    time.sleep(0.5)  # the channel layer confirms the socket's group subscription asynchronously

    news = {"e": "announcements", "E": int(time.time() * 1000), "s": "", "t": "Withdrawals halted."}
    in_a_thread(lambda: publish(announcements_group(offering.pk), {**news, "at": 180}))

    items = page.get_by_test_id("announcements").locator("li")
    expect(items.first).to_contain_text("Withdrawals halted.", timeout=SOON_MS)
    expect(items).to_have_count(3)  # the panel keeps its latest three
    assert page.evaluate("window.sameDocument") is True
    screenshot(page, "dashboard-live-news-en-desktop")
    page.context.close()


def in_a_thread(work) -> None:
    """Run `work` where async_to_sync may run (not in Playwright's thread, which has a loop)."""

    def run():
        try:
            work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=10)
