"""An accessibility sweep of the portal in Chromium: every main page a student and an instructor
use, in English and in Korean, on a desktop and on a 390 px phone, checked by axe-core (serious
and critical violations fail, naming the rule and the elements) and, on the phone, for sideways
scrolling.

The pages are read, not changed, so one world is built once for the module: the shipped course
with deadlines and a graded attempt, a running scenario whose house bots quote and trade, a
student's open order, trades, API key, deposit and withdrawal, her own chain on a real chain
host (custody provisioned, a token deployed from the studio). One browser, one logged-in tab per
(person, language, screen), reused from page to page. Screenshots: var/screenshots/a11y-*.png.
"""

from contextlib import ExitStack
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from courses.demo import CATALOG, COURSE_SLUG
from courses.grading.attempts import grade, submit_attempt
from courses.models import Course, Deadline, Enrollment, Exercise
from courses.packages.services import import_course
from sandbox.chain.api import ensure_custody, open_chain
from sandbox.chain.hostserver import start_host
from sandbox.chain.models import Chain
from sandbox.chain.selectors import dev_accounts
from sandbox.chain.studio import compile_sources, deploy_artifact
from sandbox.chain.views_studio import STARTER, STARTER_FILE
from sandbox.exchange.api import OrderRequest, create_api_key, market_by_symbol, place_order
from sandbox.exchange.markets import list_default_markets
from sandbox.markets import runner
from sandbox.markets.services import start_scenario
from sandbox.wallet.assets import ensure_standard_assets
from sandbox.wallet.services import open_wallet
from sandbox.wallet.transfers import (
    credit_deposit,
    mark_withdrawal_broadcast,
    record_deposit,
    request_withdrawal,
    settle_withdrawal,
)
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    accessibility_violations,
    horizontal_overflow,
    log_in,
    screenshot,
    sticking_out,
)
from tests.factories import EnrollmentFactory, OfferingFactory, UserFactory
from tests.sandbox.chain.fixtures import _port_block

# A database for the server to read; it is put back as migrated when the module ends (shared_db).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(serialized_rollback=True)]
OFFERING = "dax101-a11y-2026f"
PEOPLE = {"student": "minji", "instructor": "ines"}
SCREENS = {"desktop": DESKTOP, "phone": PHONE}
LANGUAGES = ("en", "ko")
MD5_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"

# (person, page) → (URL name, arguments after the offering's slug)
PAGES = {
    ("student", "offering"): ("offering-detail", ()),
    ("student", "outline"): ("learn-outline", ()),
    ("student", "lesson"): ("learn-lesson", ("order-books-and-amms",)),
    ("student", "exercise-quiz"): ("learn-exercise", ("keys-quiz",)),
    ("student", "exercise-solidity"): ("learn-exercise", ("write-an-erc20",)),
    ("student", "exercise-onchain"): ("learn-exercise", ("register-your-address",)),
    ("student", "exercise-trading"): ("learn-exercise", ("rest-a-post-only-bid",)),
    ("student", "trade"): ("sandbox-trade", ("BTCKRW",)),
    ("student", "wallet"): ("sandbox-wallet", ()),
    ("student", "deposit"): ("wallet-deposit", ()),
    ("student", "withdraw"): ("wallet-withdraw", ()),
    ("student", "transfers"): ("wallet-transfers", ()),
    ("student", "api-keys"): ("sandbox-api-keys", ()),
    ("student", "my-chain"): ("chain-mine", ()),
    ("student", "studio"): ("chain-studio", ()),
    ("student", "explorer"): ("chain-explorer", ()),
    ("student", "leaderboard"): ("markets-leaderboard", ()),
    ("instructor", "offering"): ("offering-detail", ()),
    ("instructor", "markets-control"): ("markets-control", ()),
    ("instructor", "leaderboard"): ("markets-leaderboard", ()),
    ("instructor", "gradebook"): ("teach-gradebook", ()),
    ("instructor", "progress"): ("teach-progress", ()),
    ("instructor", "deadlines"): ("teach-deadlines", ()),
    ("instructor", "reserves"): ("wallet-reserves", ()),
    ("instructor", "students-chains"): ("chain-roster", ()),
}


def tx(n: int) -> str:
    return "0x" + f"{n:064x}"


# -- the world, built once -------------------------------------------------------------------------


def build_course():
    """The shipped course, offered, with deadlines on two of its exercises; an instructor and two
    students with wallets."""
    ensure_standard_assets()  # a transactional test's flush removed the migrated assets
    import_course(path=CATALOG / COURSE_SLUG)
    offering = OfferingFactory(
        course=Course.objects.get(slug=COURSE_SLUG), slug=OFFERING, university__name="Pukyong"
    )
    list_default_markets(offering_id=offering.pk)
    due = timezone.now() + timedelta(days=2, hours=6)
    for slug in ("keys-quiz", "write-an-erc20"):
        Deadline.objects.create(
            offering=offering,
            exercise=Exercise.objects.get(course=offering.course, slug=slug),
            due_at=due,
            hard_deadline_at=due + timedelta(days=3),
            late_penalty_percent_per_day=D("10"),
        )
    EnrollmentFactory(
        offering=offering,
        user=UserFactory(username="ines", first_name="Ines", last_name="Cho"),
        role=Enrollment.Role.INSTRUCTOR,
    )
    students = []
    for username, first, last in (("minji", "민지", "김"), ("junho", "Junho", "Park")):
        student = UserFactory(username=username, first_name=first, last_name=last)
        EnrollmentFactory(offering=offering, user=student)
        open_wallet(offering_id=offering.pk, owner_id=student.pk)
        students.append(student)
    return offering, students


def answer_the_quiz(offering, student) -> None:
    """One graded attempt, one answer wrong: the page shows its feedback."""
    quiz = Exercise.objects.get(course=offering.course, slug="keys-quiz")
    answers = {"curve": ["a"], "address": ["c"], "entropy": ["128"], "checksum": ["a", "b", "d"]}
    attempt = submit_attempt(
        offering=offering, exercise=quiz, user=student, data={**answers, "path": ["c"]}
    )
    grade(attempt.pk)


def run_the_markets(offering, minji) -> None:
    """Calm markets, ticked for ten simulated seconds; minji bought at the market and has a bid
    resting below it."""
    run = start_scenario(
        offering_id=offering.pk, scenario="calm-markets", started_by_id=None, seed=7
    )
    start = run.clock_at
    for second in range(1, 11):
        runner.tick(run.pk, now=start + timedelta(seconds=second))
    btc = market_by_symbol(offering_id=offering.pk, symbol="BTCKRW")
    place_order(
        owner_id=minji.pk,
        market=btc,
        request=OrderRequest(side="BUY", type="MARKET", quantity=D("0.01")),
    )
    resting = OrderRequest(
        side="BUY", type="LIMIT", time_in_force="GTC", price=D("140000000"), quantity=D("0.005")
    )
    place_order(owner_id=minji.pk, market=btc, request=resting)
    create_api_key(user_id=minji.pk, offering_id=offering.pk, label="grid bot")


def build_chain(offering, minji) -> tuple[Chain, str]:
    """Her chain, started, with the exchange's custody provisioned and a token she deployed.
    Returns the chain and the exchange's deposit address on it."""
    chain = open_chain(offering_id=offering.pk, owner_id=minji.pk)
    custody = ensure_custody(chain)
    artifacts, _messages = compile_sources(
        offering_id=offering.pk, owner_id=minji.pk, sources={STARTER_FILE: STARTER}
    )
    deploy_artifact(
        chain=chain,
        artifact=artifacts[0],
        sender=dev_accounts(chain)[0].address,
        constructor_args=["Pukyong Coin", "PKC", "1000"],
    )
    return chain, custody.deposit_address


def move_funds(offering, minji, chain: Chain, deposit_address: str) -> None:
    """A credited deposit, a confirmed withdrawal and a pending one in her history."""
    accounts = dev_accounts(chain)
    deposit = record_deposit(
        offering_id=offering.pk,
        owner_id=minji.pk,
        asset_code="ETH",
        chain_id=chain.chain_id,
        tx_hash=tx(1),
        log_index=0,
        block_number=2,
        block_hash=tx(2),
        from_address=accounts[0].address,
        to_address=deposit_address,
        amount=D("2"),
    )
    credit_deposit(deposit_id=deposit.pk, confirmations=12)
    sent = request_withdrawal(
        offering_id=offering.pk,
        owner_id=minji.pk,
        asset_code="ETH",
        amount=D("0.5"),
        to_address=accounts[1].address,
    )
    mark_withdrawal_broadcast(withdrawal_id=sent.pk, chain_id=chain.chain_id, tx_hash=tx(3))
    settle_withdrawal(withdrawal_id=sent.pk, block_number=3, gas_cost_wei=21000)
    request_withdrawal(
        offering_id=offering.pk,
        owner_id=minji.pk,
        asset_code="ETH",
        amount=D("0.25"),
        to_address=accounts[2].address,
    )


@pytest.fixture(scope="module")
def world(shared_db, tmp_path_factory):
    """The module's one world (see the module's docstring); its chain host runs until the end."""
    with ExitStack() as stack:
        # the tests' password hasher (tests/conftest.py), so the people here can log in
        stack.enter_context(override_settings(PASSWORD_HASHERS=[MD5_HASHER]))
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        # no worker: move_funds plays a withdrawal's broadcast with the services the watcher calls
        patch.setattr("sandbox.wallet.withdrawals._send_broadcast_task", lambda pk: None)
        supervisor, server = start_host(
            bind="127.0.0.1:0",
            directory=tmp_path_factory.mktemp("chains"),
            ports=_port_block(200),
            capacity=10,
            idle_seconds=3600,
        )
        stack.callback(supervisor.shutdown)
        stack.callback(server.server_close)
        stack.callback(server.shutdown)
        offering, (minji, _junho) = build_course()
        answer_the_quiz(offering, minji)
        run_the_markets(offering, minji)
        move_funds(offering, minji, *build_chain(offering, minji))
        yield offering


@pytest.fixture(scope="module")
def tabs(world, shared_site, browser):
    """`tabs(person, language, screen)`: a logged-in tab for each, opened once and reused."""
    opened = {}

    def open_tab(person: str, language: str, screen: str):
        key = (person, language, screen)
        if key not in opened:
            context = browser.new_context(viewport=SCREENS[screen], locale=f"{language}-KR")
            context.add_cookies(
                [{"name": "django_language", "value": language, "url": shared_site.url}]
            )
            opened[key] = context.new_page()
            log_in(opened[key], shared_site.url, PEOPLE[person])
        return opened[key]

    yield open_tab
    for page in opened.values():
        page.context.close()


def visit(tabs, site, person: str, name: str, language: str, screen: str):
    """The page, loaded and settled, in the person's tab for that language and screen."""
    url_name, args = PAGES[(person, name)]
    page = tabs(person, language, screen)
    url = site.url + reverse(url_name, args=[OFFERING, *args])
    response = page.goto(url)
    assert response is not None and response.ok, f"{url} answered {response and response.status}"
    assert page.url == url, f"{url} led to {page.url}"
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.lang") == language
    return page


def ids(person, name, language, screen="") -> str:
    return "-".join(filter(None, (person, name, language, screen)))


EVERY_SCREEN = [
    pytest.param(person, name, language, screen, id=ids(person, name, language, screen))
    for screen in SCREENS
    for language in LANGUAGES
    for person, name in PAGES
]
PHONE_ONLY = [
    pytest.param(person, name, language, id=ids(person, name, language))
    for language in LANGUAGES
    for person, name in PAGES
]


@pytest.mark.parametrize(("person", "name", "language", "screen"), EVERY_SCREEN)
def test_page_has_no_serious_accessibility_violations(
    world, shared_site, tabs, person, name, language, screen
):
    page = visit(tabs, shared_site, person, name, language, screen)

    found = accessibility_violations(page)

    screenshot(page, f"a11y-{ids(person, name, language, screen)}")
    assert found == [], f"{page.url}:\n" + "\n".join(found)


@pytest.mark.parametrize(("person", "name", "language"), PHONE_ONLY)
def test_page_fits_a_390px_phone_without_sideways_scrolling(
    world, shared_site, tabs, person, name, language
):
    page = visit(tabs, shared_site, person, name, language, "phone")

    overflow = horizontal_overflow(page)

    assert overflow == 0, f"{page.url} scrolls {overflow}px sideways: {sticking_out(page)}"


# -- the sweep's own checks, on pages made to fail them --------------------------------------------


def test_the_axe_check_names_the_rule_and_the_element_it_fails(browser):
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.set_content(
        '<html lang="en"><title>Chart</title><main><img src="chart.png" id="chart"></main></html>'
    )

    found = accessibility_violations(page)

    page.context.close()
    assert len(found) == 1 and found[0].startswith("image-alt (critical)")
    assert found[0].endswith("→ #chart")


def test_the_phone_check_measures_and_names_what_sticks_out(browser):
    page = browser.new_context(viewport=PHONE).new_page()
    page.set_content(
        '<html lang="en"><title>Wide</title><body style="margin:0"><p><code id="url">'
        + "x" * 120
        + '</code></p><pre style="overflow-x:auto">'
        + "y" * 200
        + "</pre></body></html>"
    )

    overflow, culprits = horizontal_overflow(page), sticking_out(page)

    page.context.close()
    assert overflow > 500
    assert [culprit.split(" (")[0] for culprit in culprits] == ["code#url"]  # not the <pre>
