"""Real headless Chromium (Debian's package) driven by Playwright from PyPI.

Screenshots go to var/screenshots/ (not committed): look at them. Without /usr/bin/chromium, or on
SQLite, the tests are skipped with the reason, except in CI (BLOCKCAMPUS_REQUIRE_BROWSER=1), where
they fail.
"""

import json
import os
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.servers import serving_the_site

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = settings.VAR_DIR / "screenshots"
AXE = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def browser():
    """Per module: Playwright's sync API keeps an event loop running in this thread while it is
    open, and tests after it that call async_to_sync (the streams') cannot run under one."""
    message = None
    if not CHROMIUM.exists():
        message = "Chromium is not installed: apt-get install chromium chromium-driver"
    elif settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        message = (
            "browser tests need PostgreSQL (set DATABASE_URL; CI does): the site's threads write "
            "while a test's transaction is open, and SQLite lets one writer in at a time"
        )
    if message and os.environ.get("BLOCKCAMPUS_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    if message:
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make to
    # seed data are still plain synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        # While Playwright runs, this thread's code sees other context variables than before it
        # started (its greenlets): Django's connections opened meanwhile (a TestCase's, say) are
        # not the ones fixtures outside it see. Return them to the pool while they are in reach,
        # or the test database cannot be dropped at the end.
        from django.db import connections

        connections.close_all()
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_accessibility_violations(page) -> list[str]:
    """Run axe-core (from package.json's node_modules) in the page; return serious or critical rule ids."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => JSON.stringify(await axe.run(document))")
    violations = json.loads(result)["violations"]
    return [f"{v['id']}: {v['help']}" for v in violations if v["impact"] in ("serious", "critical")]


# -- shared by the journey and the accessibility sweep ---------------------------------------------

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SOON_MS = 10_000


def log_in(page, base_url: str, username: str) -> None:
    """Through the login page, by the fields' ids: the form reads the same in every language."""
    from tests.factories import TEST_PASSWORD

    page.goto(f"{base_url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" not in page.url, f"{username} could not log in"


def accessibility_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of the given impacts, each as `rule (impact): help → targets`, so a
    failing assertion says which rule broke and on which elements (the first five of each)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => JSON.stringify(await axe.run(document))")
    found = []
    for violation in json.loads(result)["violations"]:
        if violation["impact"] not in impacts:
            continue
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
        more = f" (+{len(targets) - 5} more)" if len(targets) > 5 else ""
        found.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']} → "
            f"{' | '.join(targets[:5])}{more}"
        )
    return found


def horizontal_overflow(page) -> int:
    """How many CSS pixels the document scrolls sideways past the viewport (0 when it fits;
    one pixel of rounding is forgiven)."""
    return page.evaluate(
        "Math.max(0, document.scrollingElement.scrollWidth - window.innerWidth - 1)"
    )


def sticking_out(page) -> list[str]:
    """The innermost elements reaching past the viewport's right edge, outside any box that
    scrolls or clips them, to name in a failure."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
          .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
          .filter(e => { // what a scrolling box (a code block, a wide table's region) clips is fine
            for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
              if (getComputedStyle(a).overflowX !== 'visible') return false;
            return true; })
          .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
          .slice(0, 8)
          .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
               + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
               + ' (right ' + Math.round(e.getBoundingClientRect().right) + ')')"""
    )


@pytest.fixture
def grading_worker(monkeypatch):
    """A stand-in Celery worker (as test_learning's): sending `grade_attempt` only queues the
    attempt id; `run()` runs the queued tasks eagerly in a thread of their own (the page's push
    goes through async_to_sync, which cannot run in this thread, where Playwright keeps an event
    loop). Returns how many it ran."""
    from django.db import connections

    from courses.tasks import grade_attempt

    queued: list[int] = []
    monkeypatch.setattr(grade_attempt, "delay", lambda attempt_id: queued.append(attempt_id))
    monkeypatch.setattr(
        grade_attempt, "apply_async", lambda args, *_, **options: queued.append(args[0])
    )

    def run() -> int:
        ids = list(queued)
        queued.clear()

        def grade_all():
            try:
                for attempt_id in ids:
                    grade_attempt.apply(args=[attempt_id], throw=True)
            finally:
                connections.close_all()

        thread = threading.Thread(target=grade_all)
        thread.start()
        thread.join(timeout=30)
        return len(ids)

    return SimpleNamespace(run=run, queued=queued)


@pytest.fixture(scope="module")
def shared_db(django_db_setup, django_db_blocker):
    """For a module whose tests only read one world built once (the accessibility sweep): the
    database is open to the module's fixtures and the server's threads throughout, and put back
    at the end as it was after migrating, as a transactional test with serialized rollback does.

    Mark such tests `django_db(serialized_rollback=True)`: the marker makes pytest-django create
    the test database and keep a copy of its migrated contents (the standard assets, say), which
    other modules' tests that run after this one still expect."""
    from django.core.management import call_command
    from django.db import connections

    with django_db_blocker.unblock():
        try:
            yield
        finally:
            connections.close_all()
            connection = connections["default"]
            contents = getattr(connection, "_test_serialized_contents", None)
            # as TransactionTestCase flushes: ids keep counting up, so nothing that outlives the
            # module (the exchange's in-process order books, by market id) meets a reused id
            call_command(
                "flush",
                interactive=False,
                verbosity=0,
                reset_sequences=False,
                inhibit_post_migrate=bool(contents),
            )
            if contents:
                connection.creation.deserialize_db_from_string(contents)
            connections.close_all()


@pytest.fixture(scope="module")
def shared_site(shared_db):
    """`site` for a whole module: started once, after `shared_db` opened the database."""
    with serving_the_site() as served:
        yield served


def wider_than_the_screen(page) -> list[str]:
    """Elements whose box or unwrapped text sticks out to the right of the viewport (elements
    that scroll sideways on purpose, code and tables, are measured by their box)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter(e => {
             const scroller = e.parentElement && e.parentElement.closest('pre, table');
             if (scroller && getComputedStyle(scroller).overflowX === 'auto') return false;
             const box = e.getBoundingClientRect();
             const style = getComputedStyle(e);
             const spill = style.overflowX === 'visible' ? e.scrollWidth - e.clientWidth : 0;
             return box.width > 1 && box.left + Math.max(box.width, e.clientWidth + spill) > innerWidth + 1;
           }).slice(-8).map(e => e.tagName + '.' + e.className)"""
    )


def check_the_page(page, name: str) -> None:
    screenshot(page, name)
    assert serious_accessibility_violations(page) == []
    assert wider_than_the_screen(page) == []


def wait_until_live(page) -> None:
    """Until the page's live socket is open and subscribed (its #live-state says so)."""
    expect(page.locator("#live-state")).to_have_attribute(
        "data-live-state", "open", timeout=SOON_MS
    )
    time.sleep(0.5)  # Redis confirms the socket's group subscription asynchronously
    page.evaluate("window.sameDocument = true")


def two_traders(slug: str) -> SimpleNamespace:
    """Given an offering (`slug`) with its default markets, and two enrolled students, minji and
    junho, with funded wallets: what the trading-page tests start from."""
    from sandbox.exchange.markets import list_default_markets
    from sandbox.wallet.assets import ensure_standard_assets
    from sandbox.wallet.services import open_wallet
    from tests.factories import EnrollmentFactory, OfferingFactory, UserFactory

    ensure_standard_assets()  # a transactional test's flush removed the migrated assets
    offering = OfferingFactory(slug=slug, course__title="Digital Asset Exchanges")
    markets = {m.symbol: m for m in list_default_markets(offering_id=offering.pk)}
    students = []
    for username in ("minji", "junho"):
        student = UserFactory(username=username)
        EnrollmentFactory(offering=offering, user=student)
        open_wallet(offering_id=offering.pk, owner_id=student.pk)
        students.append(student)
    minji, junho = students
    return SimpleNamespace(
        offering=offering, markets=markets, btc=markets["BTCKRW"], minji=minji, junho=junho
    )
