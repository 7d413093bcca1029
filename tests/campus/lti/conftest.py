import html
import re

import pytest
from django.core.cache import cache

from campus.lti.models import Deployment, Registration
from tests.campus.lti.platform import Platform

AUTH_URL = re.compile(r'data-auth-url="([^"]+)"')
TOOL_LAUNCH = "http://testserver/lti/launch/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def platform():
    simulator = Platform().start()
    yield simulator
    simulator.stop()


@pytest.fixture
def registration(db, platform):
    registration = Registration.objects.create(**platform.registration_fields())
    Deployment.objects.create(registration=registration, deployment_id=platform.deployment_id)
    return registration


def auth_url(response) -> str:
    """The platform authorization URL the tool sends the browser to (page or redirect)."""
    if response.status_code == 302:
        return response["Location"]
    return html.unescape(AUTH_URL.search(response.content.decode()).group(1))


def start_login(client, platform, *, target=TOOL_LAUNCH, **extra):
    response = client.post("/lti/login/", platform.login_params(target=target, **extra))
    assert response.status_code in (200, 302), response.content
    return response


def launch(client, platform, *, target=TOOL_LAUNCH, login_extra=None, headers=None, **claims):
    """The whole OIDC flow: login initiation, the platform's authorization, the launch POST."""
    login = start_login(client, platform, target=target, **(login_extra or {}))
    form = platform.authorize(auth_url(login), target=target, **claims)
    return client.post("/lti/launch/", form, headers=headers or {})
