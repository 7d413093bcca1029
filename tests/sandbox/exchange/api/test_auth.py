"""Keys, signatures and timing of SIGNED requests."""

import pytest
from django.db import connection
from django.test import RequestFactory

from sandbox.exchange.api.auth import sign, signed_payload
from sandbox.exchange.apikeys import decrypt_secret, revoke_api_key
from sandbox.exchange.models import ApiKey, Order
from sandbox.wallet.models import Posting
from tests.sandbox.exchange.api.conftest import limit_order, now_ms

pytestmark = pytest.mark.django_db

# Binance's documented HMAC example (rest-api.md, "SIGNED Endpoint Examples").
DOC_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
DOC_QUERY = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"
DOC_BODY = "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"


def test_signature_covers_query_string_then_body_without_a_separator():
    request = RequestFactory().post(
        f"/api/v3/order?{DOC_QUERY}",
        DOC_BODY + "&signature=0fd168b8",
        content_type="application/x-www-form-urlencoded",
    )

    payload = signed_payload(request)

    assert payload == DOC_QUERY + DOC_BODY
    assert sign(DOC_SECRET, payload) == (
        "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"
    )


def test_signed_request_with_a_valid_signature_is_served(api):
    response = api.alice.get("account")

    assert response.status_code == 200
    assert {b["asset"] for b in response.json()["balances"]} >= {"BTC", "KRW"}


def test_parameters_signed_in_the_request_body_are_accepted(api):
    response = api.alice.send("post", "order", limit_order(), in_body=True)

    assert response.status_code == 200, response.json()
    assert Order.objects.count() == 1


def test_wrong_signature_is_refused_and_places_nothing(api):
    postings = Posting.objects.count()

    response = api.alice.send("post", "order", limit_order(), secret="not-the-secret")

    assert response.status_code == 400
    assert response.json()["code"] == -1022
    assert response.json()["msg"] == "Signature for this request is not valid."
    assert not Order.objects.exists()
    assert Posting.objects.count() == postings


def test_missing_signature_is_a_missing_mandatory_parameter(api):
    response = api.alice.client.get(
        f"/api/v3/account?timestamp={now_ms()}", HTTP_X_MBX_APIKEY=api.alice.key
    )

    assert response.json()["code"] == -1102
    assert "'signature'" in response.json()["msg"]


def test_timestamp_older_than_recv_window_is_refused(api):
    response = api.alice.get("account", timestamp=now_ms() - 6000, recvWindow=5000)

    assert response.status_code == 400
    assert response.json() == {
        "code": -1021,
        "msg": "Timestamp for this request is outside of the recvWindow.",
        "detail": response.json()["detail"],
    }


def test_timestamp_ahead_of_the_server_is_refused(api):
    response = api.alice.get("account", timestamp=now_ms() + 5000)

    assert response.json()["code"] == -1021
    assert response.json()["msg"] == (
        "Timestamp for this request was 1000ms ahead of the server's time."
    )


def test_a_longer_recv_window_admits_an_older_timestamp(api):
    response = api.alice.get("account", timestamp=now_ms() - 6000, recvWindow=10000)

    assert response.status_code == 200


def test_recv_window_over_sixty_seconds_is_refused(api):
    response = api.alice.get("account", recvWindow=60001)

    assert response.json()["code"] == -1131


def test_missing_api_key_is_a_key_format_error(api):
    response = api.alice.client.get(f"/api/v3/account?timestamp={now_ms()}&signature=00")

    assert response.status_code == 401
    assert response.json()["code"] == -2014
    assert response.json()["msg"] == "API-key format invalid."


def test_unknown_api_key_is_rejected(api):
    api.alice.key = "A" * 64

    response = api.alice.get("account")

    assert response.status_code == 401
    assert response.json()["code"] == -2015


def test_revoked_key_is_rejected_and_cannot_trade(api, exchange):
    key = ApiKey.objects.get(key=api.alice.key)
    revoke_api_key(user_id=exchange.alice.pk, key_id=key.pk)

    response = api.alice.post("order", **limit_order())

    assert response.status_code == 401
    assert response.json()["code"] == -2015
    assert response.json()["msg"] == "Invalid API-key, IP, or permissions for action."
    assert not Order.objects.exists()


def test_key_of_an_unenrolled_student_is_rejected(api, exchange):
    from courses.models import Enrollment

    Enrollment.objects.filter(user=exchange.alice).update(is_active=False)

    response = api.alice.get("account")

    assert response.json()["code"] == -2015


def test_key_of_a_deactivated_user_is_rejected(api, exchange):
    exchange.alice.is_active = False
    exchange.alice.save(update_fields=["is_active"])

    response = api.alice.get("account")

    assert response.json()["code"] == -2015


def test_signed_request_under_another_offerings_base_url_is_rejected(api):
    from tests.factories import OfferingFactory

    api.alice.base = f"/o/{OfferingFactory().slug}/api"

    response = api.alice.get("account")

    assert response.status_code == 401
    assert response.json()["code"] == -2015


def test_signed_request_under_its_offerings_base_url_is_served(api, exchange):
    api.alice.base = f"/o/{exchange.offering.slug}/api"

    response = api.alice.get("account")

    assert response.status_code == 200


def test_secret_is_stored_encrypted_not_in_plaintext(api):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiKey._meta.db_table}")
        rows = cursor.fetchall()

    stored = " ".join(str(value) for row in rows for value in row)
    assert api.alice.key in stored
    assert api.alice.secret not in stored
    assert decrypt_secret(ApiKey.objects.get(key=api.alice.key)) == api.alice.secret


def test_secret_still_verifies_after_secret_key_rotation_with_a_fallback(api, settings):
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-for-the-site-" + "x" * 30
    settings.SECRET_KEY_FALLBACKS = [old]

    response = api.alice.get("account")

    assert response.status_code == 200


def test_a_secret_read_before_a_rotation_without_a_fallback_no_longer_verifies(api, settings):
    assert api.alice.get("account").status_code == 200  # its secret read (and remembered)
    settings.SECRET_KEY = "a-new-secret-key-for-the-site-" + "x" * 30
    settings.SECRET_KEY_FALLBACKS = []

    response = api.alice.get("account")

    assert response.status_code == 401
    assert response.json()["code"] == -2015
    assert "can no longer be read" in response.json()["detail"]


def test_an_offering_read_in_sql_equals_the_orm_read(exchange):
    from courses.models import Offering
    from sandbox.exchange.apikeys import offering_by_slug

    orm = Offering.objects.get(slug=exchange.offering.slug)

    sql = offering_by_slug(exchange.offering.slug)

    fields = [f.attname for f in Offering._meta.concrete_fields]
    assert [getattr(sql, f) for f in fields] == [getattr(orm, f) for f in fields]
    assert offering_by_slug("no-such-offering") is None


def test_unknown_offering_in_the_base_url_is_not_found(client):
    response = client.get("/o/no-such-offering/api/v3/depth?symbol=BTCKRW")

    assert response.status_code == 404
    assert response.json()["msg"] == "Unknown offering."
