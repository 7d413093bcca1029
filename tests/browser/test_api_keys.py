"""A student creates an API key in Chromium, uses it from a Python program with the unmodified
binance-connector client against the live server, then revokes it."""

from decimal import Decimal as D

import pytest
from binance.error import ClientError
from binance.spot import Spot
from django.urls import reverse

from sandbox.exchange.markets import list_default_markets
from sandbox.wallet.assets import ensure_standard_assets
from tests.browser.conftest import screenshot, serious_accessibility_violations
from tests.browser.test_trading import PHONE, log_in
from tests.factories import EnrollmentFactory, OfferingFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def offering():
    """Given an offering with the default markets and minji enrolled in it."""
    ensure_standard_assets()  # a transactional test's flush removed the migrated assets
    offering = OfferingFactory(
        slug="dax101-haeundae-2026f", course__title="Digital Asset Exchanges"
    )
    list_default_markets(offering_id=offering.pk)
    EnrollmentFactory(offering=offering, user=UserFactory(username="minji"))
    return offering


def account_balances(api_key: str, secret: str, base_url: str) -> dict:
    """What a student's script sees; the client's keep-alive connection is closed at once, so no
    request thread outlives the test's database."""
    client = Spot(api_key=api_key, api_secret=secret, base_url=base_url)
    try:
        return {b["asset"]: D(b["free"]) for b in client.account()["balances"]}
    finally:
        client.session.close()


def refusal_code(api_key: str, secret: str, base_url: str) -> tuple[int, int]:
    try:
        account_balances(api_key, secret, base_url)
    except ClientError as error:
        return error.status_code, error.error_code
    pytest.fail("the request was not refused")


def test_student_creates_uses_and_revokes_an_api_key(live_server, page, offering):
    log_in(page, live_server.url, "minji")
    page.goto(live_server.url + reverse("sandbox-trade", args=[offering.slug, "BTCKRW"]))
    page.get_by_role("link", name="My API keys").click()
    page.get_by_label("Label").fill("grid bot")
    page.get_by_role("button", name="Create API key").click()
    page.wait_for_load_state("networkidle")

    assert "will not be shown again" in page.get_by_role("alert").inner_text()
    api_key = page.get_by_test_id("new-api-key").inner_text().strip()
    secret = page.get_by_test_id("new-secret-key").inner_text().strip()
    base_url = f"{live_server.url}/o/{offering.slug}"
    assert base_url in page.get_by_test_id("python-example").inner_text()
    screenshot(page, "api-keys-created-desktop")
    assert serious_accessibility_violations(page) == []
    page.set_viewport_size(PHONE)
    screenshot(page, "api-keys-created-phone")
    assert serious_accessibility_violations(page) == []

    assert account_balances(api_key, secret, base_url)["KRW"] == D("10000000")

    page.set_viewport_size({"width": 1280, "height": 800})
    page.reload()  # the page the form redirected to, again: the secret is gone
    assert secret not in page.content()
    page.get_by_role("link", name="Revoke… grid bot").click()
    screenshot(page, "api-keys-confirm-revoke-desktop")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Yes, revoke it").click()
    page.wait_for_load_state("networkidle")

    assert "revoked" in page.get_by_role("status").first.inner_text()
    assert "Revoked" in page.get_by_test_id("api-keys").inner_text()
    assert refusal_code(api_key, secret, base_url) == (401, -2015)
    screenshot(page, "api-keys-revoked-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "api-keys-revoked-phone")
    # Checked without the flash message: base.html's <ul role="status"> orphans its <li>s
    # (axe "listitem"), a site-wide issue outside this page.
    page.reload()
    assert serious_accessibility_violations(page) == []
