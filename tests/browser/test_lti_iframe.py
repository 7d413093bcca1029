"""The LTI launch inside the LMS iframe, in real Chromium: the simulated LMS on http://localhost:<port>
embeds the tool on http://127.0.0.1:<port>, another site as far as cookies and frames go.

Each test runs Chromium with third-party cookies explicitly allowed or blocked (the profile's
cookie_controls_mode), so the outcome does not depend on the browser's default of the day:
allowed, the launch completes in the frame and the student reads the offering there; blocked, the
OIDC state is read back from the LMS's platform storage where it offers one, and otherwise the
student gets "Open in a new window", which then completes the launch in a window of its own.
"""

import json
import os

import pytest
from playwright.sync_api import expect

from campus.lti.models import ContextLink, Deployment, Launch, LtiIdentity, Registration
from courses.api import Enrollment
from tests.browser.conftest import CHROMIUM, screenshot, serious_accessibility_violations
from tests.campus.lti.platform import Platform
from tests.factories import OfferingFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def playwright():
    """Per module, as tests/browser/conftest.py's browser: Playwright's sync API keeps an event
    loop in this thread while it runs."""
    if not CHROMIUM.exists():
        message = "Chromium is not installed: apt-get install chromium chromium-driver"
        if os.environ.get("BLOCKCAMPUS_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as instance:
        yield instance


@pytest.fixture
def chromium(playwright, tmp_path):
    """chromium(third_party_cookies=...) → a fresh browser profile with that cookie setting."""
    contexts = []

    def launch(*, third_party_cookies: bool):
        profile = tmp_path / f"profile-{len(contexts)}"
        (profile / "Default").mkdir(parents=True)
        prefs = {"profile": {"cookie_controls_mode": 0 if third_party_cookies else 1}}
        (profile / "Default" / "Preferences").write_text(json.dumps(prefs))
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield launch
    for context in contexts:
        context.close()


@pytest.fixture
def lms(site):
    """The simulated LMS on another site than the tool, registered with it; a student launches."""
    platform = Platform(host="localhost").start()
    platform.tool_url = site.url
    platform.browser_claims = {"sub": "student-7", "roles": ["Learner"], "given_name": "Mina"}
    registration = Registration.objects.create(**platform.registration_fields())
    Deployment.objects.create(registration=registration, deployment_id=platform.deployment_id)
    yield platform
    platform.stop()


@pytest.fixture
def offering(lms):
    """The offering the LMS course ctx-1 is linked to."""
    offering = OfferingFactory()
    registration = Registration.objects.get(issuer=lms.issuer)
    ContextLink.objects.create(registration=registration, context_id="ctx-1", offering=offering)
    return offering


def tool_frame(page):
    return page.frame_locator("iframe[name=tool-frame]")


def wait_until_closed(window, *, waiting_on, seconds: float = 5) -> None:
    """`window` closes itself; wait on another page (a closed one cannot be waited on)."""
    for _ in range(int(seconds * 10)):
        if window.is_closed():
            return
        waiting_on.wait_for_timeout(100)
    raise AssertionError("the registration window stayed open")


def student_enrolled(offering) -> bool:
    identity = LtiIdentity.objects.filter(sub="student-7").first()
    return identity is not None and (
        Enrollment.objects.filter(offering=offering, user=identity.user, is_active=True).exists()
    )


def test_launch_completes_in_the_iframe_and_lands_on_the_offering(chromium, lms, offering):
    page = chromium(third_party_cookies=True).new_page()

    page.goto(lms.course_url(storage=True))

    heading = tool_frame(page).get_by_role("heading", name=offering.course.title, level=1)
    expect(heading).to_be_visible()
    assert page.frame(name="tool-frame").url == f"{lms.tool_url}/offerings/{offering.slug}/"
    messages = page.evaluate("window.platformMessages")
    assert any(m.startswith("lti.put_data state_") for m in messages)
    assert any(m.startswith("lti.put_data nonce_") for m in messages)
    assert student_enrolled(offering)
    screenshot(page, "lti-iframe-launch-offering")


def test_blocked_cookies_read_the_state_from_platform_storage_then_open_a_new_window(
    chromium, lms, offering
):
    context = chromium(third_party_cookies=False)
    page = context.new_page()

    page.goto(lms.course_url(storage=True))

    frame = tool_frame(page)
    expect(frame.get_by_role("heading", name="Open BlockCampus in a new window")).to_be_visible()
    messages = page.evaluate("window.platformMessages")
    assert any(m.startswith("lti.get_data state_") for m in messages)
    assert any(m.startswith("lti.get_data nonce_") for m in messages)
    assert Launch.objects.count() == 1 and student_enrolled(offering)
    screenshot(page, "lti-iframe-storage-new-window")

    with context.expect_page() as opened:
        frame.get_by_role("link", name="Open in a new window").click()
    window = opened.value
    heading = window.get_by_role("heading", name=offering.course.title, level=1)
    expect(heading).to_be_visible()
    assert window.url == f"{lms.tool_url}/offerings/{offering.slug}/"
    screenshot(window, "lti-iframe-storage-new-window-offering")


def test_blocked_cookies_without_platform_storage_offer_a_new_window(chromium, lms, offering):
    context = chromium(third_party_cookies=False)
    page = context.new_page()

    page.goto(lms.course_url(storage=False))

    frame = tool_frame(page)
    expect(frame.get_by_role("heading", name="Open BlockCampus in a new window")).to_be_visible()
    expect(frame.get_by_text("Connecting to your LMS…")).to_be_hidden()
    assert not Launch.objects.exists()  # no login loop: the frame never went to the LMS
    screenshot(page, "lti-iframe-no-storage-new-window")

    with context.expect_page() as opened:
        frame.get_by_role("link", name="Open in a new window").click()
    window = opened.value
    heading = window.get_by_role("heading", name=offering.course.title, level=1)
    expect(heading).to_be_visible()
    assert student_enrolled(offering)
    screenshot(window, "lti-iframe-no-storage-new-window-offering")


def test_dynamic_registration_from_the_lms_dialog_closes_it(chromium, site, settings):
    settings.LTI_REGISTRATION_HTTPS_ONLY = False
    platform = Platform(host="localhost", client_id="dyn-client", deployment_id="dyn-dep").start()
    platform.tool_url = site.url
    platform.registration_token = "reg-token-1"
    admin = UserFactory(username="campus-admin", is_superuser=True, is_staff=True)
    admin.set_password("a-long-admin-passphrase")
    admin.save()
    context = chromium(third_party_cookies=False)
    page = context.new_page()
    try:
        page.goto(platform.url + "/tool-registration")
        frame = page.frame_locator("#registration-frame")
        expect(frame.get_by_role("link", name="Continue in a new window")).to_be_visible()
        screenshot(page, "lti-register-relay-in-lms")

        with context.expect_page() as opened:
            frame.get_by_role("link", name="Continue in a new window").click()
        window = opened.value
        window.get_by_label("Username").fill("campus-admin")
        window.get_by_label("Password").fill("a-long-admin-passphrase")
        window.get_by_role("button", name="Log in").click()
        expect(
            window.get_by_role("heading", name="Register BlockCampus with your LMS")
        ).to_be_visible()
        screenshot(window, "lti-register-confirm")
        assert serious_accessibility_violations(window) == []
        window.get_by_role("button", name="Register BlockCampus").click()

        expect(page.locator("body[data-closed='1']")).to_be_attached()
        expect(page.get_by_role("status")).to_have_text("The tool closed the registration.")
        wait_until_closed(window, waiting_on=page)
        registration = Registration.objects.get()
        assert (registration.issuer, registration.client_id) == (platform.issuer, "dyn-client")
        assert list(registration.deployments.values_list("deployment_id", flat=True)) == ["dyn-dep"]
        assert platform.registration_requests[0]["authorization"] == "Bearer reg-token-1"
        screenshot(page, "lti-register-closed")
    finally:
        platform.stop()
