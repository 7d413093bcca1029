"""Every bad launch gets an error page naming its code, with the right status, and creates nothing."""

import time

import pytest

from campus.lti.models import ContextLink, Launch, LtiIdentity
from campus.models import User
from courses.api import Enrollment
from tests.campus.lti.conftest import auth_url, start_login
from tests.campus.lti.platform import SigningKey
from tests.factories import OfferingFactory


@pytest.fixture(autouse=True)
def linked(registration):
    offering = OfferingFactory()
    ContextLink.objects.create(registration=registration, context_id="ctx-1", offering=offering)
    return offering


@pytest.fixture
def login(client, platform):
    """A started login: the authorization URL the platform received."""
    return auth_url(start_login(client, platform))


def assert_refused(response, status: int, code: str, users_before: int) -> None:
    assert response.status_code == status
    assert response["X-LTI-Error"] == code
    assert f"<code>{code}</code>" in response.content.decode()
    assert User.objects.count() == users_before
    assert not LtiIdentity.objects.exists()
    assert not Enrollment.objects.exists()
    assert not Launch.objects.exists()


def test_forged_signature_is_refused(client, platform, login):
    forger = SigningKey(kid=platform.key.kid)  # same kid, another private key
    users = User.objects.count()

    response = client.post("/lti/launch/", platform.authorize(login, sign_with=forger))

    assert_refused(response, 401, "bad_signature", users)


def test_unknown_kid_is_refused(client, platform, login):
    users = User.objects.count()

    response = client.post("/lti/launch/", platform.authorize(login, kid="not-published"))

    assert_refused(response, 401, "unknown_kid", users)


def test_rotated_platform_key_is_fetched_again(client, platform, login):
    assert client.post("/lti/launch/", platform.authorize(login)).status_code == 302  # cached
    new_key = SigningKey()
    platform.published.append(new_key)
    second_login = auth_url(start_login(client, platform))

    response = client.post("/lti/launch/", platform.authorize(second_login, sign_with=new_key))

    assert response.status_code == 302


def test_wrong_audience_is_refused(client, platform, login):
    users = User.objects.count()

    response = client.post("/lti/launch/", platform.authorize(login, aud="another-tool"))

    assert_refused(response, 401, "wrong_audience", users)


def test_several_audiences_without_azp_are_refused(client, platform, login):
    users = User.objects.count()
    form = platform.authorize(login, aud=[platform.client_id, "another-tool"])

    response = client.post("/lti/launch/", form)

    assert_refused(response, 401, "wrong_audience", users)


def test_several_audiences_with_our_azp_are_accepted(client, platform, login):
    form = platform.authorize(login, aud=[platform.client_id, "x"], azp=platform.client_id)

    assert client.post("/lti/launch/", form).status_code == 302


def test_azp_naming_another_client_is_refused(client, platform, login):
    users = User.objects.count()
    form = platform.authorize(login, aud=[platform.client_id, "x"], azp="x")

    response = client.post("/lti/launch/", form)

    assert_refused(response, 401, "wrong_audience", users)


def test_expired_token_is_refused(client, platform, login):
    users = User.objects.count()
    past = int(time.time()) - 3600

    response = client.post("/lti/launch/", platform.authorize(login, iat=past, exp=past + 60))

    assert_refused(response, 401, "token_expired", users)


def test_token_issued_in_the_future_is_refused(client, platform, login):
    users = User.objects.count()
    future = int(time.time()) + 3600

    response = client.post("/lti/launch/", platform.authorize(login, iat=future, exp=future + 60))

    assert_refused(response, 401, "token_not_yet_valid", users)


def test_replayed_nonce_is_refused_and_creates_nothing_more(client, platform, login):
    form = platform.authorize(login)
    assert client.post("/lti/launch/", form).status_code == 302
    counts = (User.objects.count(), LtiIdentity.objects.count(), Launch.objects.count())

    response = client.post("/lti/launch/", form)

    assert response.status_code == 403
    assert response["X-LTI-Error"] == "nonce_replayed"
    assert (User.objects.count(), LtiIdentity.objects.count(), Launch.objects.count()) == counts


def test_nonce_not_issued_for_this_state_is_refused(client, platform, login):
    users = User.objects.count()
    form = platform.authorize(login)
    form["id_token"] = platform.key.sign(platform.id_token(nonce="made-up"))

    response = client.post("/lti/launch/", form)

    assert_refused(response, 403, "nonce_mismatch", users)


def test_unknown_deployment_is_refused(client, platform, login):
    users = User.objects.count()
    claim = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"

    response = client.post("/lti/launch/", platform.authorize(login, **{claim: "dep-unknown"}))

    assert_refused(response, 403, "unknown_deployment", users)


def test_unknown_issuer_is_refused_at_launch(client, platform, login):
    users = User.objects.count()

    response = client.post("/lti/launch/", platform.authorize(login, iss="https://evil.example"))

    assert_refused(response, 400, "unknown_issuer", users)


def test_unknown_issuer_is_refused_at_login(client, platform):
    params = platform.login_params(target="http://testserver/lti/launch/")

    response = client.post("/lti/login/", {**params, "iss": "https://evil.example"})

    assert response.status_code == 400
    assert response["X-LTI-Error"] == "unknown_issuer"


def test_unknown_client_is_refused_at_login(client, platform):
    params = platform.login_params(target="http://testserver/lti/launch/")

    response = client.post("/lti/login/", {**params, "client_id": "someone-else"})

    assert response.status_code == 400
    assert response["X-LTI-Error"] == "unknown_client"


def test_login_without_login_hint_is_refused(client, platform):
    params = platform.login_params(target="http://testserver/lti/launch/")
    del params["login_hint"]

    response = client.post("/lti/login/", params)

    assert response.status_code == 400
    assert response["X-LTI-Error"] == "missing_parameter"


def test_unknown_state_is_refused(client, platform, login):
    users = User.objects.count()
    form = {**platform.authorize(login), "state": "not-a-state-we-issued"}

    response = client.post("/lti/launch/", form)

    assert_refused(response, 403, "unknown_state", users)


def test_state_from_another_browser_is_refused(client, platform, login):
    """The state is real but this browser never started that login (no state cookie): the
    login CSRF the state parameter exists to stop."""
    users = User.objects.count()
    form = platform.authorize(login)
    client.cookies.clear()

    response = client.post("/lti/launch/", form)

    assert_refused(response, 403, "state_unverified", users)


def test_state_issued_for_another_registration_is_refused(client, platform, login, registration):
    from campus.lti.models import Deployment, Registration
    from tests.campus.lti.platform import Platform

    other = Platform(client_id="other-client").start()
    try:
        other_registration = Registration.objects.create(**other.registration_fields())
        Deployment.objects.create(registration=other_registration, deployment_id="dep-1")
        users = User.objects.count()
        theirs = auth_url(start_login(client, other))
        form = {**platform.authorize(login), "state": other.authorize(theirs)["state"]}

        response = client.post("/lti/launch/", form)
    finally:
        other.stop()

    assert_refused(response, 403, "state_mismatch", users)


def test_garbage_token_is_refused(client, platform, login):
    users = User.objects.count()
    form = {**platform.authorize(login), "id_token": "not.a.jwt"}

    response = client.post("/lti/launch/", form)

    assert_refused(response, 400, "malformed_token", users)


def test_unsigned_token_is_refused(client, platform, login):
    import jwt

    users = User.objects.count()
    form = platform.authorize(login)
    claims = jwt.decode(form["id_token"], options={"verify_signature": False})
    form["id_token"] = jwt.encode(claims, None, algorithm="none")

    response = client.post("/lti/launch/", form)

    assert_refused(response, 401, "bad_signature", users)


def test_launch_without_course_role_is_refused(client, platform, login):
    users = User.objects.count()
    admin_only = ["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"]

    response = client.post("/lti/launch/", platform.authorize(login, roles=admin_only))

    assert_refused(response, 403, "no_course_role", users)
