"""A demo student and a demo instructor log in through Chromium and see their own home."""

import pytest
from django.core.management import call_command

from campus import demo
from courses import demo as course_demo
from tests.browser.conftest import screenshot, serious_accessibility_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_campus():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def log_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")


def test_demo_student_sees_their_course_and_no_roster(live_server, page, demo_campus):
    log_in(page, live_server.url, "student01", demo.DEMO_PASSWORDS["student"])

    offerings = page.get_by_test_id("student-offerings")
    assert offerings.get_by_role("link", name=course_demo.COURSE_TITLE).is_visible()
    assert "Haeundae University" in offerings.inner_text()
    assert page.get_by_test_id("taught-offerings").count() == 0
    screenshot(page, "student-home")
    assert serious_accessibility_violations(page) == []


def test_demo_instructor_sees_their_offering_and_its_roster(live_server, page, demo_campus):
    log_in(page, live_server.url, "instructor2", demo.DEMO_PASSWORDS["instructor"])

    taught = page.get_by_test_id("taught-offerings")
    assert "10 students" in taught.inner_text()
    assert "Gwangan Institute of Technology" in taught.inner_text()
    screenshot(page, "instructor-home")
    taught.get_by_role("link", name="Roster").click()
    roster = page.get_by_test_id("roster").inner_text()
    assert "student11" in roster and "student20" in roster
    assert "student01" not in roster
    screenshot(page, "instructor-roster")
    assert serious_accessibility_violations(page) == []


def test_login_page_in_korean(live_server, page, demo_campus):
    page.goto(f"{live_server.url}/accounts/login/")
    page.select_option("#language-select", "ko")
    page.wait_for_load_state("networkidle")

    assert page.get_by_role("heading", name="로그인").is_visible()
    page.get_by_label("사용자 이름").fill("student01")
    page.get_by_label("비밀번호").fill(demo.DEMO_PASSWORDS["student"])
    page.get_by_role("button", name="로그인").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="환영합니다").is_visible()
    screenshot(page, "student-home-ko")
    assert serious_accessibility_violations(page) == []
