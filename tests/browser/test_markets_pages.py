"""An instructor runs a market scenario from the markets control page in Chromium, and the class
reads the leaderboard with the scenario's news beside it; on a desktop and on a 375 px phone."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sandbox.exchange.markets import list_default_markets
from sandbox.markets import runner
from sandbox.markets.models import ScenarioRun
from sandbox.markets.services import start_scenario
from sandbox.markets.services_competitions import create_competition
from sandbox.wallet.assets import ensure_standard_assets
from sandbox.wallet.services import open_wallet
from tests.browser.conftest import screenshot, serious_accessibility_violations
from tests.browser.test_trading import log_in
from tests.factories import EnrollmentFactory, OfferingFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def offering():
    """Given an offering with the default markets, two students with wallets and an instructor."""
    ensure_standard_assets()  # a transactional test's flush removed the migrated assets
    offering = OfferingFactory(
        slug="dax101-haeundae-2026f", course__title="Digital Asset Exchanges"
    )
    list_default_markets(offering_id=offering.pk)
    for username, first, last in (("minji", "Minji", "Kim"), ("junho", "Junho", "Park")):
        student = UserFactory(username=username, first_name=first, last_name=last)
        EnrollmentFactory(offering=offering, user=student)
        open_wallet(offering_id=offering.pk, owner_id=student.pk)
    EnrollmentFactory(offering=offering, user=UserFactory(username="ines"), role="instructor")
    return offering


def tick_for(run: ScenarioRun, seconds: int) -> None:
    """What beat would do in `seconds` of wall time."""
    start = ScenarioRun.objects.get(pk=run.pk).clock_at
    for n in range(1, seconds + 1):
        runner.tick(run.pk, now=start + timedelta(seconds=n))


def looks_right(page, name: str) -> None:
    """Screenshots on a desktop and a phone, with no serious accessibility problem on either."""
    page.set_viewport_size(DESKTOP)
    screenshot(page, f"{name}-desktop")
    assert serious_accessibility_violations(page) == []
    page.set_viewport_size(PHONE)
    screenshot(page, f"{name}-phone")
    assert serious_accessibility_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(DESKTOP)


def test_instructor_starts_a_scenario_and_sees_it_running(live_server, page, offering):
    log_in(page, live_server.url, "ines")
    page.goto(live_server.url + reverse("offering-detail", args=[offering.slug]))
    page.get_by_role("link", name="Markets control").click()
    page.get_by_text("Teaching notes").first.click()
    looks_right(page, "markets-control-idle")

    page.get_by_label("Scenario:", exact=True).select_option(label="A flash crash and its recovery")
    page.get_by_label("Speed:", exact=True).fill("5")
    page.get_by_label("Seed (optional):", exact=True).fill("42")
    page.get_by_role("button", name="Start scenario").click()
    page.wait_for_load_state("networkidle")

    assert "is running, with seed 42" in page.get_by_role("status").inner_text()
    assert page.get_by_test_id("run-status").inner_text() == "Running"
    run = ScenarioRun.objects.get(offering=offering)
    tick_for(run, 4)
    page.reload()
    assert "Quiet markets" in page.get_by_test_id("run-announcements").inner_text()
    looks_right(page, "markets-control-running")

    page.get_by_role("button", name="Start scenario").click()  # a second one, while it runs
    assert "already running" in page.get_by_role("alert").inner_text()
    looks_right(page, "markets-control-refused")

    page.get_by_role("link", name="Stop…").click()
    looks_right(page, "markets-control-confirm-stop")
    page.get_by_role("button", name="Yes, stop it").click()
    page.wait_for_load_state("networkidle")
    assert ScenarioRun.objects.get(pk=run.pk).status == "stopped"


def test_student_reads_the_leaderboard_with_the_market_news(live_server, page, offering):
    run = start_scenario(
        offering_id=offering.pk, scenario="flash-crash", started_by_id=None, seed=3, speed=10
    )
    tick_for(run, 3)
    now = timezone.now()
    create_competition(
        offering_id=offering.pk,
        title="Flash crash week",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=6),
    )
    log_in(page, live_server.url, "minji")
    page.goto(live_server.url + reverse("offering-detail", args=[offering.slug]))
    page.get_by_role("link", name="Leaderboard").click()

    rows = page.locator("table.leaderboard tbody tr")
    assert rows.count() == 2
    assert "Minji Kim" in page.locator("tr.me").inner_text()
    assert "Quiet markets" in page.locator("#announcements").inner_text()
    looks_right(page, "markets-leaderboard")

    page.get_by_label("Standings").select_option(label="Flash crash week")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Flash crash week").is_visible()
    assert "Live" in page.get_by_test_id("standings").inner_text()
    looks_right(page, "markets-leaderboard-competition")
