"""The API keys page: creating a key shows its secret once, listing, revoking, and who may."""

import pytest
from django.test import Client
from django.urls import reverse

from sandbox.exchange.apikeys import create_api_key, decrypt_secret
from sandbox.exchange.models import ApiKey
from tests.factories import EnrollmentFactory, OfferingFactory, UserFactory
from tests.sandbox.exchange.api.conftest import SignedClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def students(exchange):
    """Given alice and bob enrolled as students in the exchange's offering."""
    for user in (exchange.alice, exchange.bob):
        EnrollmentFactory(offering=exchange.offering, user=user)
    return exchange


@pytest.fixture
def alice_client(client, students):
    client.force_login(students.alice)
    return client


def keys_url(exchange):
    return reverse("sandbox-api-keys", args=[exchange.offering.slug])


def revoke_url(exchange, api_key):
    return reverse("sandbox-revoke-api-key", args=[exchange.offering.slug, api_key.pk])


def test_created_key_secret_is_shown_once_and_not_on_the_next_visit(alice_client, students):
    created = alice_client.post(keys_url(students), {"label": "grid bot"}, follow=True)

    api_key = ApiKey.objects.get(owner=students.alice)
    secret = decrypt_secret(api_key)
    assert created.redirect_chain == [(keys_url(students), 302)]
    assert secret in created.content.decode()
    assert "will not be shown again" in created.content.decode()
    later = alice_client.get(keys_url(students)).content.decode()
    assert secret not in later
    assert api_key.key in later and "grid bot" in later


def test_created_key_page_has_the_base_url_and_a_python_example_with_the_key(
    alice_client, students
):
    created = alice_client.post(keys_url(students), {"label": "notebook"}, follow=True)

    api_key = ApiKey.objects.get(owner=students.alice)
    page = created.content.decode()
    base_url = f"http://testserver/o/{students.offering.slug}"
    assert base_url in page
    assert "from binance.spot import Spot" in page
    assert f"api_key = &quot;{api_key.key}&quot;" in page
    assert f"api_secret = &quot;{decrypt_secret(api_key)}&quot;" in page
    assert "client.account()" in page


def test_stored_secret_is_not_the_plaintext(alice_client, students):
    created = alice_client.post(keys_url(students), {"label": "x"}, follow=True)

    secret = created.context["secret"]
    stored = ApiKey.objects.get()
    assert secret and secret not in stored.encrypted_secret
    assert secret not in str(dict(alice_client.session))


def test_revoked_key_is_refused_by_the_api_with_2015(alice_client, students):
    api_key, secret = create_api_key(
        user_id=students.alice.pk, offering_id=students.offering.pk, label="bot"
    )
    api = SignedClient(Client(), api_key.key, secret, base=f"/o/{students.offering.slug}/api")
    assert api.get("account").status_code == 200

    response = alice_client.post(revoke_url(students, api_key), follow=True)

    assert "revoked" in response.content.decode()
    refused = api.get("account")
    assert refused.status_code == 401
    assert refused.json()["code"] == -2015


def test_revoke_asks_for_confirmation_first_and_changes_nothing(alice_client, students):
    api_key, _secret = create_api_key(
        user_id=students.alice.pk, offering_id=students.offering.pk, label="bot"
    )

    response = alice_client.get(revoke_url(students, api_key))

    assert response.status_code == 200
    assert "Yes, revoke it" in response.content.decode()
    api_key.refresh_from_db()
    assert api_key.is_active


def test_list_shows_a_revoked_key_as_revoked_without_a_revoke_button(alice_client, students):
    api_key, _secret = create_api_key(
        user_id=students.alice.pk, offering_id=students.offering.pk, label="old bot"
    )
    alice_client.post(revoke_url(students, api_key))

    page = alice_client.get(keys_url(students)).content.decode()

    assert "Revoked" in page
    assert revoke_url(students, api_key) not in page


def test_another_students_key_is_404_on_revoke_and_stays_active(alice_client, students):
    bobs_key, _secret = create_api_key(
        user_id=students.bob.pk, offering_id=students.offering.pk, label="bob's"
    )

    confirm = alice_client.get(revoke_url(students, bobs_key))
    post = alice_client.post(revoke_url(students, bobs_key))

    assert (confirm.status_code, post.status_code) == (404, 404)
    bobs_key.refresh_from_db()
    assert bobs_key.is_active


def test_another_students_keys_are_not_listed(alice_client, students):
    bobs_key, _secret = create_api_key(
        user_id=students.bob.pk, offering_id=students.offering.pk, label="bob's"
    )

    page = alice_client.get(keys_url(students)).content.decode()

    assert bobs_key.key not in page


def test_non_enrolled_user_gets_404_and_no_key(client, students):
    outsider = UserFactory()
    EnrollmentFactory(offering=OfferingFactory(), user=outsider)
    client.force_login(outsider)

    page = client.get(keys_url(students))
    post = client.post(keys_url(students), {"label": "sneaky"})

    assert (page.status_code, post.status_code) == (404, 404)
    assert not ApiKey.objects.exists()


def test_inactive_enrolment_gets_404(client, exchange):
    EnrollmentFactory(offering=exchange.offering, user=exchange.alice, is_active=False)
    client.force_login(exchange.alice)

    assert client.get(keys_url(exchange)).status_code == 404


def test_refusal_from_the_service_is_shown_as_a_message(alice_client, students, monkeypatch):
    from campus.errors import ServiceError
    from sandbox.exchange import views_apikeys

    def refuse(**kwargs):
        raise ServiceError("not_enrolled", "Only people enrolled in the offering can have keys.")

    monkeypatch.setattr(views_apikeys, "create_api_key", refuse)

    response = alice_client.post(keys_url(students), {"label": "x"}, follow=True)

    assert "Only people enrolled in the offering can have keys." in response.content.decode()
    assert not ApiKey.objects.exists()


def test_trading_page_and_offering_page_link_to_the_api_keys_page(alice_client, students):
    trade = alice_client.get(reverse("sandbox-trade", args=[students.offering.slug, "BTCKRW"]))
    offering = alice_client.get(reverse("offering-detail", args=[students.offering.slug]))

    assert keys_url(students) in trade.content.decode()
    assert keys_url(students) in offering.content.decode()


def test_api_keys_page_in_korean(alice_client, students):
    alice_client.cookies["django_language"] = "ko"

    page = alice_client.post(keys_url(students), {"label": "봇"}, follow=True).content.decode()

    assert 'lang="ko"' in page
    for korean in ("내 API 키", "시크릿 키", "다시 표시되지 않습니다", "API 키 만들기"):
        assert korean in page, korean
