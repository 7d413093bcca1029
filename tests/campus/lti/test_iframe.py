"""Inside the LMS iframe: cross-site cookies, framing, the state kept through platform storage
when cookies are blocked, and "open in a new window" instead of a login loop."""

import re

import pytest

from campus.lti.models import ContextLink, Launch
from tests.campus.lti.conftest import auth_url, start_login
from tests.factories import OfferingFactory

IFRAME = {"Sec-Fetch-Dest": "iframe"}


@pytest.fixture(autouse=True)
def linked(registration):
    offering = OfferingFactory()
    ContextLink.objects.create(registration=registration, context_id="ctx-1", offering=offering)
    return offering


def test_login_sets_a_cross_site_state_cookie(client, platform):
    response = start_login(client, platform)

    [morsel] = [m for name, m in response.cookies.items() if name.startswith("lti1p3_state_")]
    assert morsel["samesite"] == "None" and morsel["secure"] and morsel["httponly"]


def test_login_page_offers_open_in_a_new_window(client, platform):
    response = start_login(client, platform)

    page = response.content.decode()
    assert "Open in a new window" in page
    assert 'target="_blank"' in page and "/lti/login/?" in page


def test_top_level_login_redirects_straight_to_the_platform(client, platform):
    params = platform.login_params(target="http://testserver/lti/launch/")

    response = client.post("/lti/login/", params, headers={"Sec-Fetch-Dest": "document"})

    assert response.status_code == 302
    assert response["Location"].startswith(platform.url + "/auth?")


def test_launch_cookies_are_samesite_none_and_secure(client, platform):
    form = platform.authorize(auth_url(start_login(client, platform)))

    response = client.post("/lti/launch/", form)

    for name in ("sessionid", "csrftoken"):
        assert response.cookies[name]["samesite"] == "None", name
        assert response.cookies[name]["secure"], name


def test_lti_session_pages_may_be_framed_by_the_platform_only(client, platform):
    client.post("/lti/launch/", platform.authorize(auth_url(start_login(client, platform))))

    response = client.get("/lti/jwks/")

    assert "X-Frame-Options" not in response
    assert response["Content-Security-Policy"] == f"frame-ancestors 'self' {platform.url}"


def test_other_visitors_keep_lax_cookies_and_no_framing(client, db):
    response = client.get("/accounts/login/")

    assert response["X-Frame-Options"] == "DENY"
    assert response.cookies["csrftoken"]["samesite"] == "Lax"


def test_launch_in_iframe_checks_cookies_before_going_on(client, platform, linked):
    form = platform.authorize(auth_url(start_login(client, platform)))

    response = client.post("/lti/launch/", form, headers=IFRAME)

    page = response.content.decode()
    assert response.status_code == 200
    assert f'data-path="/offerings/{linked.slug}/"' in page
    assert "Open in a new window" in page
    assert response.cookies["lti_session_probe"]["samesite"] == "None"


def test_new_window_link_logs_in_once_and_lands(client, platform, linked, django_user_model):
    form = platform.authorize(auth_url(start_login(client, platform)))
    page = client.post("/lti/launch/", form, headers=IFRAME).content.decode()
    resume = re.search(r'href="(/lti/launches/[^"]+/resume/)"', page).group(1)
    client.logout()

    first = client.get(resume)
    again = client.get(resume)

    assert first.status_code == 302 and first["Location"] == f"/offerings/{linked.slug}/"
    assert again.status_code == 403 and again["X-LTI-Error"] == "launch_expired"


def test_blocked_cookies_with_platform_storage_reads_state_back(client, platform):
    login = start_login(client, platform, lti_storage_target="_parent")
    client.cookies.clear()  # third-party cookies blocked
    form = platform.authorize(auth_url(login))

    response = client.post("/lti/launch/", form)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="lti-storage-check"' in page and 'data-storage-target="_parent"' in page
    assert not Launch.objects.exists()


def test_state_and_nonce_from_platform_storage_complete_the_launch(client, platform, linked):
    login = start_login(client, platform, lti_storage_target="_parent")
    client.cookies.clear()
    form = platform.authorize(auth_url(login))
    page = client.post("/lti/launch/", form).content.decode()
    nonce = re.search(r'data-nonce="([^"]+)"', page).group(1)

    response = client.post(
        "/lti/launch/", {**form, "lti_storage_state": form["state"], "lti_storage_nonce": nonce}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/offerings/{linked.slug}/"


def test_wrong_values_from_platform_storage_are_refused(client, platform):
    login = start_login(client, platform, lti_storage_target="_parent")
    client.cookies.clear()
    form = platform.authorize(auth_url(login))

    response = client.post(
        "/lti/launch/", {**form, "lti_storage_state": form["state"], "lti_storage_nonce": "guess"}
    )

    assert response.status_code == 403 and response["X-LTI-Error"] == "state_unverified"
    assert not Launch.objects.exists()


def test_blocked_cookies_without_platform_storage_say_open_in_new_window(client, platform):
    login = start_login(client, platform)
    client.cookies.clear()

    response = client.post("/lti/launch/", platform.authorize(auth_url(login)))

    assert response.status_code == 403
    assert "new window" in response.content.decode()


def test_platform_storage_target_is_in_the_login_page(client, platform):
    response = start_login(client, platform, lti_storage_target="post_message_forwarding")

    page = response.content.decode()
    assert 'data-storage-target="post_message_forwarding"' in page
    assert f'data-platform-origin="{platform.url}"' in page
