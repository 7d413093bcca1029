"""The trading page's listen key: a logged-in member's session gets a user data stream key
(POST), keeps it alive (PUT), and nobody else gets one."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from sandbox.exchange import listenkeys
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(exchange):
    """Given alice enrolled in the exchange's offering and logged in (CSRF checks on)."""
    EnrollmentFactory(offering=exchange.offering, user=exchange.alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(exchange.alice)
    client.get(reverse("sandbox-trade", args=[exchange.offering.slug, "BTCKRW"]))  # the cookie
    return client


def key_url(exchange) -> str:
    return reverse("sandbox-listen-key", args=[exchange.offering.slug])


def csrf(client) -> dict:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def test_an_enrolled_member_gets_a_key_to_their_own_user_data_stream(member, exchange):
    response = member.post(key_url(exchange), **csrf(member))

    assert response.status_code == 200
    key = response.json()["listenKey"]
    assert listenkeys.owner_of(key) == (exchange.offering.pk, exchange.alice.pk)


def test_asking_again_while_the_key_lives_returns_the_same_key(member, exchange):
    first = member.post(key_url(exchange), **csrf(member)).json()["listenKey"]

    again = member.post(key_url(exchange), **csrf(member)).json()["listenKey"]

    assert again == first


def test_keep_alive_extends_the_members_key(member, exchange):
    key = member.post(key_url(exchange), **csrf(member)).json()["listenKey"]

    response = member.put(
        key_url(exchange),
        json.dumps({"listenKey": key}),
        content_type="application/json",
        **csrf(member),
    )

    assert (response.status_code, response.json()) == (200, {})


def test_keep_alive_of_an_unknown_key_is_404(member, exchange):
    response = member.put(
        key_url(exchange),
        json.dumps({"listenKey": "x" * 60}),
        content_type="application/json",
        **csrf(member),
    )

    assert response.status_code == 404
    assert response.json()["code"] == -1125


def test_a_post_without_the_csrf_token_is_refused(member, exchange):
    response = member.post(key_url(exchange))

    assert response.status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client, exchange):
    response = client.post(key_url(exchange))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_someone_not_enrolled_gets_404(client, exchange):
    client.force_login(UserFactory(username="outsider"))

    assert client.post(key_url(exchange)).status_code == 404


def test_a_get_is_not_allowed(member, exchange):
    assert member.get(key_url(exchange)).status_code == 405
