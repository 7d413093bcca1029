"""Order placement keeps the keys it found usable for a few seconds instead of reading the key
on every order; the order is still refused, and nothing placed, if the key was revoked or its
owner left the offering a moment ago (the desk checks such a key again as it places the order).
Every other call reads its key each time."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.models import Enrollment
from sandbox.exchange.api import auth
from sandbox.exchange.apikeys import revoke_api_key
from sandbox.exchange.models import ApiKey, Market, Order
from sandbox.wallet.models import Account
from tests.sandbox.exchange.api.conftest import limit_order

pytestmark = pytest.mark.django_db


def revoke(api, exchange):
    revoke_api_key(user_id=exchange.alice.pk, key_id=ApiKey.objects.get(key=api.alice.key).pk)


def deactivate(api, exchange):
    exchange.alice.is_active = False
    exchange.alice.save(update_fields=["is_active"])


def unenroll(api, exchange):
    Enrollment.objects.filter(user=exchange.alice).update(is_active=False)


def holdings(owner) -> list[tuple]:
    return list(
        Account.objects.filter(owner=owner).order_by("pk").values_list("available", "locked")
    )


def key_reads(captured, api_key: str) -> list[str]:
    """The queries that looked the key up by its text (the re-check reads it by id)."""
    return [query["sql"] for query in captured if api_key in query["sql"]]


@pytest.mark.parametrize("lose_access", [revoke, deactivate, unenroll])
def test_an_order_with_a_kept_key_that_may_no_longer_act_places_nothing(api, exchange, lose_access):
    first = api.alice.post("order", **limit_order(side="BUY", price="90000000"))
    assert first.status_code == 200  # the key is kept from here on
    lose_access(api, exchange)
    before = holdings(exchange.alice)

    with CaptureQueriesContext(connection) as captured:
        response = api.alice.post("order", **limit_order(side="BUY", price="91000000"))

    assert key_reads(captured, api.alice.key) == []  # the kept key, refused where it acted
    assert response.status_code == 401
    assert response.json()["code"] == -2015
    assert response.json()["msg"] == "Invalid API-key, IP, or permissions for action."
    assert Order.objects.filter(owner=exchange.alice).count() == 1
    assert holdings(exchange.alice) == before


def test_a_second_order_does_not_look_its_key_up_again(api):
    api.alice.post("order", **limit_order(side="BUY", price="90000000"))

    with CaptureQueriesContext(connection) as captured:
        response = api.alice.post("order", **limit_order(side="BUY", price="91000000"))

    assert response.status_code == 200
    assert key_reads(captured, api.alice.key) == []


def test_a_kept_key_is_looked_up_again_once_it_is_older_than_the_limit(api, monkeypatch):
    api.alice.post("order", **limit_order(side="BUY", price="90000000"))
    monkeypatch.setattr(auth.recent_keys, "seconds", 0.0)

    with CaptureQueriesContext(connection) as captured:
        response = api.alice.post("order", **limit_order(side="BUY", price="91000000"))

    assert response.status_code == 200
    assert len(key_reads(captured, api.alice.key)) == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda client: client.get("account"),
        lambda client: client.get("openOrders", symbol="BTCKRW"),
        lambda client: client.post("order/test", **limit_order()),
    ],
    ids=["account", "openOrders", "order/test"],
)
def test_other_calls_read_the_key_each_time(api, exchange, call):
    api.alice.post("order", **limit_order(side="BUY", price="90000000"))
    revoke(api, exchange)

    response = call(api.alice)

    assert response.status_code == 401
    assert response.json()["code"] == -2015


def test_a_key_is_kept_only_from_a_genuine_call_that_named_a_market(api):
    api.alice.send("post", "order", limit_order(), secret="not the secret")  # -1022
    api.alice.post("order", **limit_order(symbol="DOGEKRW"))  # -1121: no such market

    assert auth.recent_keys.get(api.alice.key, "BTCKRW") is None
    assert auth.recent_keys.get(api.alice.key, "DOGEKRW") is None
    api.alice.post("order", **limit_order())
    assert auth.recent_keys.get(api.alice.key, "BTCKRW").key == api.alice.key


def key_naming_a_market(pk: int) -> ApiKey:
    api_key = ApiKey(pk=pk)
    api_key.named_market = ("BTCKRW", Market(pk=1, symbol="BTCKRW"))
    return api_key


def test_the_kept_keys_are_bounded_and_the_oldest_goes_first():
    recent = auth.RecentKeys(seconds=60, size=2)
    keys = [key_naming_a_market(n) for n in range(3)]
    for n, api_key in enumerate(keys):
        recent.keep(f"key{n}", "BTCKRW", api_key)

    assert recent.get("key0", "BTCKRW") is None
    assert recent.get("key1", "BTCKRW") is keys[1]
    assert recent.get("key2", "BTCKRW") is keys[2]


def test_a_key_is_kept_with_the_symbol_its_call_named():
    recent = auth.RecentKeys(seconds=60, size=10)
    api_key = key_naming_a_market(1)
    recent.keep("key", "BTCKRW", api_key)

    assert recent.get("key", "ETHKRW") is None  # its market was not read with it
    assert recent.get("key", "BTCKRW") is api_key
