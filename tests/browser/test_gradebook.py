"""An instructor opens the gradebook in Chromium, overrides a student's grade from the
student's page, and sees the total change; on a desktop and on a 375 px phone."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from courses.models import Attempt, Deadline, Enrollment
from tests.browser.conftest import screenshot, serious_accessibility_violations
from tests.browser.test_trading import log_in
from tests.factories import (
    EnrollmentFactory,
    ExerciseFactory,
    LessonFactory,
    OfferingFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}
DUE = datetime(2026, 10, 1, 23, 59, tzinfo=ZoneInfo("Asia/Seoul"))


@pytest.fixture
def offering():
    """Given a course with three exercises, an instructor, and three students: Minji passed the
    first quiz a day late, Junho's attempt could not be graded, Seoyeon has done nothing."""
    offering = OfferingFactory(
        slug="dax101-pnu-2026f",
        course__title="Digital Asset Exchanges",
        course__languages=["en", "ko"],
    )
    lesson = LessonFactory(module__course=offering.course, title="Keys and wallets")
    keys = ExerciseFactory(lesson=lesson, slug="keys-quiz", title="Keys and addresses", points=10)
    ExerciseFactory(lesson=lesson, slug="wallet-quiz", title="Wallets", points=10)
    ExerciseFactory(
        lesson=LessonFactory(module__course=offering.course, title="Gas"),
        slug="gas-quiz",
        title="Gas and fees",
        points=20,
    )
    Deadline.objects.create(
        offering=offering, exercise=keys, due_at=DUE, late_penalty_percent_per_day=20
    )
    EnrollmentFactory(
        offering=offering, user=UserFactory(username="ines"), role=Enrollment.Role.INSTRUCTOR
    )
    people = {}
    for username, first, last in (
        ("minji", "민지", "김"),
        ("junho", "Junho", "Park"),
        ("seoyeon", "서연", "이"),
    ):
        people[username] = UserFactory(username=username, first_name=first, last_name=last)
        EnrollmentFactory(offering=offering, user=people[username])
    Attempt.objects.create(
        offering=offering,
        exercise=keys,
        user=people["minji"],
        number=1,
        status=Attempt.Status.PASSED,
        score=Decimal(1),
        submitted_at=DUE + timedelta(hours=3),
    )
    Attempt.objects.create(
        offering=offering,
        exercise=keys,
        user=people["junho"],
        number=1,
        status=Attempt.Status.ERRORED,
        error="The grader failed: TimeoutError",
        submitted_at=DUE - timedelta(days=1),
    )
    return offering


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


def total_of(page, username: str) -> str:
    return page.locator(f'tr[data-student="{username}"] [data-testid="total"]').inner_text()


def test_instructor_overrides_a_grade_and_sees_the_total_change(live_server, page, offering):
    log_in(page, live_server.url, "ines")
    page.goto(live_server.url + reverse("offering-detail", args=[offering.slug]))
    page.get_by_role("link", name="Gradebook").click()
    page.wait_for_load_state("networkidle")

    assert total_of(page, "minji") == "8.00"  # 10 × (1 − 20 % × 1 day late)
    assert "1 d late" in page.locator('tr[data-student="minji"]').inner_text()
    looks_right(page, "gradebook")

    page.get_by_role("link", name="민지 김, Keys and addresses:").click()
    page.wait_for_load_state("networkidle")
    record = page.locator("#exercise-keys-quiz")
    record.get_by_text("Override", exact=True).click()
    record.get_by_label("Points:", exact=True).fill("9.5")
    record.get_by_label("Reason:", exact=True).fill("Late by a server outage")
    looks_right(page, "gradebook-student-override")
    record.get_by_role("button", name="Set grade").click()
    page.wait_for_load_state("networkidle")

    assert "overridden" in page.get_by_role("status").inner_text()
    assert page.get_by_test_id("student-total").inner_text() == "9.50"
    looks_right(page, "gradebook-student-overridden")

    page.get_by_role("link", name="Gradebook").click()
    page.wait_for_load_state("networkidle")
    assert total_of(page, "minji") == "9.50"
    assert page.locator('tr[data-student="minji"] .flag-override').count() == 1
    looks_right(page, "gradebook-after-override")


def test_the_other_course_admin_pages_look_right(live_server, page, offering):
    """Progress, deadlines (with a refused save), content and the lesson editor."""
    log_in(page, live_server.url, "ines")
    page.goto(live_server.url + reverse("teach-progress", args=[offering.slug]))
    assert "1/2 passed" in page.locator('tr[data-student="minji"]').inner_text()
    looks_right(page, "teach-progress")

    page.get_by_role("link", name="Deadlines").click()
    row = page.locator('tr[data-exercise="wallet-quiz"]')
    row.get_by_label("Due · Wallets").fill("2026-10-08T23:59")
    row.get_by_label("Hard deadline · Wallets").fill("2026-10-07T23:59")
    row.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    assert (
        "cannot be earlier than the due date" in row.get_by_test_id("deadline-error").inner_text()
    )
    looks_right(page, "teach-deadlines-refused")

    page.get_by_role("link", name="Content", exact=True).click()
    looks_right(page, "teach-content")
    page.get_by_role("link", name="Edit · 한국어 · Keys and wallets").click()
    page.get_by_label("Title:").fill("키와 지갑")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    assert "“키와 지갑” saved" in page.get_by_role("status").inner_text()
    looks_right(page, "teach-lesson-edit")
