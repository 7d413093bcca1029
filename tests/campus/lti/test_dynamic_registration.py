"""LTI Dynamic Registration against the simulated platform over HTTP: the platform opens
/lti/register/ with its configuration URL and a registration token; an administrator confirms; the
tool registers itself and records the client id and deployment id the platform returns."""

import html
import re
from urllib.parse import quote

import pytest

from campus.lti.models import ContextLink, Deployment, Registration
from campus.models import Membership
from tests.campus.lti.conftest import launch
from tests.factories import MembershipFactory, OfferingFactory, UniversityFactory, UserFactory

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"


@pytest.fixture(autouse=True)
def _http_platforms(settings):
    settings.LTI_REGISTRATION_HTTPS_ONLY = False  # the simulator serves plain http on loopback


def confirm(client, platform, **form):
    """The administrator's "Register" on the confirmation page."""
    return client.post(platform.registration_url(), {"name": "Simulated LMS", **form})


def assert_refused(response, status: int, code: str) -> str:
    page = response.content.decode()
    assert response.status_code == status
    assert response["X-LTI-Error"] == code
    assert f"<code>{code}</code>" in page
    assert not Registration.objects.exists()
    return page


# --- who may register --------------------------------------------------------------------------
def test_anonymous_visitor_is_sent_to_log_in_and_back(client, platform, db):
    url = platform.registration_url()

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=" + quote(
        url.removeprefix("http://testserver"), safe="/"
    )
    assert platform.config_requests == 0


def test_someone_without_an_admin_role_is_refused(client, platform, db):
    client.force_login(UserFactory())

    response = client.get(platform.registration_url())

    page = assert_refused(response, 403, "not_allowed")
    assert "university administrator can register" in page
    assert platform.config_requests == 0


def test_university_admin_registers_for_their_university(client, platform, db):
    membership = MembershipFactory(role=Membership.Role.UNIVERSITY_ADMIN)
    client.force_login(membership.user)

    page = client.get(platform.registration_url()).content.decode()
    confirm(client, platform, university=membership.university.pk)

    assert str(membership.university) in page
    registration = Registration.objects.get()
    assert (registration.university, registration.registered_by) == (
        membership.university,
        membership.user,
    )


def test_university_admin_cannot_register_for_another_university(client, platform, db):
    membership = MembershipFactory(role=Membership.Role.UNIVERSITY_ADMIN)
    client.force_login(membership.user)

    response = confirm(client, platform, university=UniversityFactory().pk)

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Registration.objects.exists() and platform.registration_requests == []


# --- the confirmation ----------------------------------------------------------------------------
def test_confirmation_shows_the_platform_and_registers_nothing_yet(admin_client, platform):
    response = admin_client.get(platform.registration_url())

    page = response.content.decode()
    assert response.status_code == 200
    assert "simlms 4.5" in page and platform.issuer in page
    assert "Register BlockCampus" in page and "Read course rosters" in page
    assert response["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert not Registration.objects.exists() and platform.registration_requests == []


FRAMED = {"Sec-Fetch-Dest": "iframe"}


def relay_urls(page: str) -> tuple[str, str]:
    """(the window's registration URL, the status URL the relay asks) from the relay page."""
    window = re.search(r'id="lti-register-open" href="([^"]+)"', page).group(1)
    status = re.search(r'data-status-url="([^"]+)"', page).group(1)
    return html.unescape(window), html.unescape(status)


def test_in_the_platforms_frame_the_flow_continues_in_a_window_of_its_own(admin_client, platform):
    response = admin_client.get(platform.registration_url(), headers=FRAMED)

    page = response.content.decode()
    assert "Continue in a new window" in page and "register_frame.js" in page
    assert response["Content-Security-Policy"] == f"frame-ancestors 'self' {platform.url}"
    assert "X-Frame-Options" not in response
    assert platform.config_requests == 0  # nothing is fetched for a framed, unconfirmed request


def test_relay_page_is_not_framable_through_a_malformed_configuration_url(client, db):
    url = "/lti/register/?openid_configuration=" + quote("http://lms.example;script-src *:1/x")

    response = client.get(url, headers=FRAMED)

    assert "Content-Security-Policy" not in response
    assert response["X-Frame-Options"] == "DENY"


def test_relay_learns_when_its_window_has_registered(client, admin_client, platform):
    framed = client.get(platform.registration_url(), headers=FRAMED).content.decode()
    window_url, status_url = relay_urls(framed)
    before = client.get(status_url).json()

    admin_client.post(window_url, {"name": "Simulated LMS"})

    assert before == {"registered": False}
    assert client.get(status_url).json() == {"registered": True}
    assert Registration.objects.count() == 1


def test_relay_ticket_of_another_window_is_not_registered(client, admin_client, platform):
    window_url, _ = relay_urls(
        client.get(platform.registration_url(), headers=FRAMED).content.decode()
    )
    _, other_status_url = relay_urls(
        client.get(platform.registration_url(), headers=FRAMED).content.decode()
    )

    admin_client.post(window_url, {"name": "Simulated LMS"})

    assert client.get(other_status_url).json() == {"registered": False}


# --- success -------------------------------------------------------------------------------------
def test_registration_records_the_client_and_deployment_the_platform_returned(
    admin_client, platform, admin_user
):
    response = confirm(admin_client, platform)

    assert response.status_code == 200
    registration = Registration.objects.get()
    assert registration.issuer == platform.issuer
    assert registration.client_id == platform.client_id
    assert registration.auth_login_url == platform.url + "/auth"
    assert registration.auth_token_url == platform.url + "/token"
    assert registration.key_set_url == platform.url + "/jwks"
    assert registration.registered_by == admin_user
    assert list(registration.deployments.values_list("deployment_id", flat=True)) == ["dep-1"]


def test_platform_receives_the_tool_configuration_with_the_registration_token(
    admin_client, platform
):
    platform.registration_token = "reg-token-1"

    confirm(admin_client, platform)

    [request] = platform.registration_requests
    body, tool = request["body"], request["body"][TOOL_CONFIGURATION]
    assert request["authorization"] == "Bearer reg-token-1"
    assert body["initiate_login_uri"] == "http://testserver/lti/login/"
    assert body["redirect_uris"] == ["http://testserver/lti/launch/"]
    assert body["jwks_uri"] == "http://testserver/lti/jwks/"
    assert body["token_endpoint_auth_method"] == "private_key_jwt"
    assert set(body["scope"].split()) == {
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
        "https://purl.imsglobal.org/spec/lti-ags/scope/score",
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    }
    assert tool["domain"] == "testserver"
    assert tool["target_link_uri"] == "http://testserver/lti/launch/"
    assert {"sub", "name", "email"} <= set(tool["claims"])
    assert tool["custom_parameters"] == {"context_id_history": "$Context.id.history"}
    messages = {m["type"]: m for m in tool["messages"]}
    assert set(messages) == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
    assert messages["LtiDeepLinkingRequest"]["placements"] == ["ContentArea"]


def test_deep_linking_is_not_offered_to_a_platform_without_it(admin_client, platform):
    lti = platform.openid_configuration()[PLATFORM_CONFIGURATION]
    lti["messages_supported"] = [{"type": "LtiResourceLinkRequest"}]
    platform.config_overrides = {PLATFORM_CONFIGURATION: lti}

    confirm(admin_client, platform)

    messages = platform.registration_requests[0]["body"][TOOL_CONFIGURATION]["messages"]
    assert [m["type"] for m in messages] == ["LtiResourceLinkRequest"]


def test_last_page_tells_the_platform_to_close(admin_client, platform):
    page = confirm(admin_client, platform).content.decode()

    assert 'id="lti-register-done"' in page and "lti/register_done.js" in page
    assert platform.client_id in page and "dep-1" in page


def test_registered_platform_launches_straight_away(admin_client, client, platform):
    confirm(admin_client, platform)
    offering = OfferingFactory()
    ContextLink.objects.create(
        registration=Registration.objects.get(), context_id="ctx-1", offering=offering
    )

    response = launch(client, platform, sub="s-1")

    assert response.status_code == 302
    assert response["Location"] == f"/offerings/{offering.slug}/"


# --- refusals: each names what failed, and nothing is registered -----------------------------
def test_configuration_naming_another_sites_issuer_is_refused(admin_client, platform):
    platform.config_overrides = {"issuer": "https://lms.example.edu"}

    response = confirm(admin_client, platform)

    page = assert_refused(response, 400, "issuer_mismatch")
    assert "https://lms.example.edu" in page
    assert platform.registration_requests == []


def test_configuration_without_lti_platform_claim_is_refused(admin_client, platform):
    platform.config_overrides = {PLATFORM_CONFIGURATION: None}

    response = admin_client.get(platform.registration_url())

    page = assert_refused(response, 502, "invalid_configuration")
    assert f"no {PLATFORM_CONFIGURATION} claim" in page


def test_configuration_without_registration_endpoint_is_refused(admin_client, platform):
    platform.config_overrides = {"registration_endpoint": None}

    response = admin_client.get(platform.registration_url())

    page = assert_refused(response, 502, "invalid_configuration")
    assert "no registration_endpoint" in page


def test_missing_configuration_url_is_refused(admin_client, db):
    response = admin_client.get("/lti/register/")

    assert_refused(response, 400, "missing_configuration")


def test_http_configuration_url_is_refused_when_https_is_required(admin_client, platform, settings):
    settings.LTI_REGISTRATION_HTTPS_ONLY = True

    response = admin_client.get(platform.registration_url())

    assert_refused(response, 400, "insecure_url")
    assert platform.config_requests == 0


def test_registration_endpoint_refusing_registers_nothing(admin_client, platform):
    platform.refuse_registration = (
        400,
        {"error": "invalid_client_metadata", "error_description": "redirect_uris must be https"},
    )

    response = confirm(admin_client, platform)

    page = assert_refused(response, 502, "registration_refused")
    assert "HTTP 400: invalid_client_metadata — redirect_uris must be https" in page
    assert not Deployment.objects.exists()


def test_wrong_registration_token_is_refused_by_the_platform(admin_client, platform):
    platform.registration_token = "the-real-token"
    url = platform.registration_url().replace("the-real-token", "a-guess")

    response = admin_client.post(url, {"name": "Simulated LMS"})

    page = assert_refused(response, 502, "registration_refused")
    assert "HTTP 401" in page


def test_answer_without_client_id_registers_nothing(admin_client, platform):
    platform.refuse_registration = (200, {"client_name": "BlockCampus"})

    response = confirm(admin_client, platform)

    page = assert_refused(response, 502, "invalid_registration")
    assert "the answer has no client_id" in page
    assert "Your LMS may list the registration it made" in page


def test_answer_without_deployment_registers_and_says_one_is_missing(admin_client, platform):
    platform.deployment_id = None

    page = confirm(admin_client, platform).content.decode()

    assert Registration.objects.get().client_id == platform.client_id
    assert not Deployment.objects.exists()
    assert "your LMS gave no deployment id" in page


# --- registering again ---------------------------------------------------------------------------
def test_second_registration_for_the_same_issuer_and_client_is_refused(admin_client, platform):
    confirm(admin_client, platform)
    first = Registration.objects.get()

    response = confirm(admin_client, platform, name="Again")

    page = response.content.decode()
    assert response.status_code == 409 and response["X-LTI-Error"] == "already_registered"
    assert "Change it in the BlockCampus admin instead" in page and "client id bc-client" in page
    assert list(Registration.objects.all()) == [first]
    assert first.name == "Simulated LMS" and Deployment.objects.count() == 1


def test_another_client_for_the_same_issuer_is_a_registration_of_its_own(admin_client, platform):
    confirm(admin_client, platform)
    platform.client_id, platform.deployment_id = "bc-client-2", "dep-2"

    page = admin_client.get(platform.registration_url()).content.decode()
    confirm(admin_client, platform, name="Second site")

    assert "This LMS is registered already" in page
    assert sorted(Registration.objects.values_list("client_id", flat=True)) == [
        "bc-client",
        "bc-client-2",
    ]
