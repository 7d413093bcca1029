"""Request weight per key per minute, and new orders per 10 seconds."""

import pytest

from sandbox.exchange.models import Order
from tests.sandbox.exchange.api.conftest import limit_order

pytestmark = pytest.mark.django_db


def test_every_response_reports_the_weight_used_this_minute(api):
    first = api.alice.get("account")
    second = api.alice.get("openOrders", symbol="BTCKRW")

    assert first["X-MBX-USED-WEIGHT-1M"] == "20"
    assert second["X-MBX-USED-WEIGHT-1M"] == "26"


def test_weight_is_counted_per_key(api):
    api.alice.get("account")

    response = api.bob.get("account")

    assert response["X-MBX-USED-WEIGHT-1M"] == "20"


def test_over_the_weight_limit_is_429_with_retry_after_and_nothing_done(api, settings):
    settings.EXCHANGE_API_WEIGHT_PER_MINUTE = 40
    api.alice.get("account")
    api.alice.get("account")

    response = api.alice.post("order", **limit_order())

    assert response.status_code == 429
    assert response.json() == {
        "code": -1003,
        "msg": "Too much request weight used; current limit is 40 request weight per 1 MINUTE. "
        "Please use WebSocket Streams for live updates to avoid polling the API.",
    }
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["X-MBX-USED-WEIGHT-1M"] == "41"
    assert not Order.objects.exists()


def test_public_requests_without_a_key_are_counted_per_address(client, exchange, settings):
    settings.EXCHANGE_API_WEIGHT_PER_MINUTE = 20
    url = f"/o/{exchange.offering.slug}/api/v3/exchangeInfo"
    client.get(url)

    response = client.get(url)

    assert response.status_code == 429
    assert response.json()["code"] == -1003


def test_order_responses_count_new_orders_in_ten_seconds(api):
    api.alice.post("order", **limit_order(price="90000000"))

    response = api.alice.post("order", **limit_order(price="91000000"))

    assert response["X-MBX-ORDER-COUNT-10S"] == "2"


def test_too_many_new_orders_is_429_and_places_nothing_more(api, settings):
    settings.EXCHANGE_API_ORDERS_PER_10S = 1
    api.alice.post("order", **limit_order(price="90000000"))

    response = api.alice.post("order", **limit_order(price="91000000"))

    assert response.status_code == 429
    assert response.json()["code"] == -1015
    assert response.json()["msg"] == "Too many new orders; current limit is 1 orders per 10 SECOND."
    assert Order.objects.count() == 1


def test_in_redis_a_window_s_counter_is_one_number_that_expires(monkeypatch):
    from django.core.cache import cache, caches

    from sandbox.exchange.api import ratelimit

    _redis_cache()
    now = 1_800_000_000.0  # counted under this test's own namespace (conftest)
    import redis

    def asked_first(*args, **kwargs):
        raise AssertionError("one round trip: no EXISTS before the increment")

    monkeypatch.setattr(redis.Redis, "exists", asked_first)

    key = ratelimit._key("w1m", "ip:192.0.2.1", int(now // 60))
    try:
        counts = [ratelimit.charge_weight("ip:192.0.2.1", 3, now) for _ in range(2)]

        assert counts == [3, 6]
        assert cache.get(key) == 6  # what Django's cache reads
        stored = caches["default"].make_and_validate_key(key)
        assert 0 < caches["default"]._cache.get_client(stored).ttl(stored) <= 65
    finally:
        cache.delete(key)


def test_an_order_refused_for_its_weight_is_not_counted_as_an_order(api, settings):
    settings.EXCHANGE_API_WEIGHT_PER_MINUTE = 1
    api.alice.post("order", **limit_order(price="90000000"))
    refused = api.alice.post("order", **limit_order(price="91000000"))
    settings.EXCHANGE_API_WEIGHT_PER_MINUTE = 1200

    response = api.alice.post("order", **limit_order(price="92000000"))

    assert refused.status_code == 429 and refused.json()["code"] == -1003
    assert response["X-MBX-ORDER-COUNT-10S"] == "2"


def _counting_commands(monkeypatch, fail_first_script: bool = False) -> list[str]:
    """The commands the rate limits send to Redis, by name; with `fail_first_script`, the first
    script run names a script Redis does not hold, so that Redis answers it NOSCRIPT, as one
    that has not loaded the script does."""
    from redis.connection import AbstractConnection

    sent: list[str] = []
    send = AbstractConnection.send_command

    def counted(connection, *args, **kwargs):
        sent.append(str(args[0]))
        if fail_first_script and args[0] == "EVALSHA" and sent.count("EVALSHA") == 1:
            args = (args[0], "0" * 40, *args[2:])
        return send(connection, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "send_command", counted)
    return sent


def _redis_cache():
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    if not isinstance(caches["default"], RedisCache):
        pytest.skip("needs Redis as the cache: set REDIS_URL (CI does)")
    return caches["default"]


def test_in_redis_an_order_s_weight_and_count_take_one_command(monkeypatch):
    from sandbox.exchange.api import ratelimit

    backend = _redis_cache()
    backend._cache.get_client(write=True).script_load(ratelimit._COUNT)  # as after a first call
    sent = _counting_commands(monkeypatch)
    now = 1_800_000_000.0  # counted under this test's own namespace (conftest)

    counts = [ratelimit.charge_order("key:1", 2, now) for _ in range(2)]

    assert counts == [(2, 1), (4, 2)]
    assert sent == ["EVALSHA", "EVALSHA"]  # one round trip each


def test_in_redis_the_counting_script_is_loaded_again_when_redis_lost_it(monkeypatch):
    from django.core.cache import cache
    from redis.exceptions import NoScriptError

    from sandbox.exchange.api import ratelimit

    backend = _redis_cache()
    with pytest.raises(NoScriptError):  # what Redis answers for a script it does not hold
        backend._cache.get_client(write=True).execute_command("EVALSHA", "0" * 40, 0)
    sent = _counting_commands(monkeypatch, fail_first_script=True)
    now = 1_800_000_000.0  # counted under this test's own namespace (conftest)
    key = ratelimit._key("o10s", "key:2", int(now // 10))
    try:
        counts = [ratelimit.charge_order("key:2", 5, now) for _ in range(2)]

        assert counts == [(5, 1), (10, 2)]  # the refused run counted nothing
        assert sent == ["EVALSHA", "SCRIPT", "EVALSHA", "EVALSHA"]
        assert cache.get(key) == 2
    finally:
        cache.delete(key)
        cache.delete(ratelimit._key("w1m", "key:2", int(now // 60)))


def test_a_malformed_order_is_not_counted_as_an_order(api):
    refused = api.alice.post("order", **limit_order(symbol="DOGEKRW"))

    response = api.alice.post("order", **limit_order(price="90000000"))

    assert refused.json()["code"] == -1121
    assert response["X-MBX-ORDER-COUNT-10S"] == "1"


def test_in_redis_a_count_goes_on_a_new_connection_when_redis_dropped_the_kept_one():
    from django.core.cache import cache

    from sandbox.exchange.api import ratelimit

    backend = _redis_cache()
    now = 1_800_000_000.0  # counted under this test's own namespace (conftest)
    assert ratelimit.charge_weight("ip:192.0.2.7", 1, now) == 1
    kept = ratelimit._connection(backend)
    kept.send_command("CLIENT", "ID")
    client_id = kept.read_response()
    backend._cache.get_client(write=True).execute_command("CLIENT", "KILL", "ID", client_id)
    try:
        assert ratelimit.charge_weight("ip:192.0.2.7", 1, now) == 2  # sent again, counted once
        kept.send_command("CLIENT", "ID")
        assert kept.read_response() != client_id  # it reconnected
    finally:
        cache.delete(ratelimit._key("w1m", "ip:192.0.2.7", int(now // 60)))


def test_in_redis_a_forked_child_does_not_count_on_its_parent_s_connection():
    import os

    from django.core.cache import cache

    from sandbox.exchange.api import ratelimit

    backend = _redis_cache()
    now = 1_800_000_000.0  # counted under this test's own namespace (conftest)
    parents = ratelimit._connection(backend)
    child = os.fork()
    if child == 0:  # the child: exit 0 only if it counted on a connection of its own
        code = 1
        try:
            own = ratelimit._connection(backend) is not parents
            code = 0 if own and ratelimit.charge_weight("ip:192.0.2.8", 1, now) == 1 else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    try:
        assert os.waitstatus_to_exitcode(status) == 0
        assert ratelimit._connection(backend) is parents  # the parent keeps its own
        assert ratelimit.charge_weight("ip:192.0.2.8", 1, now) == 2  # and it still answers
    finally:
        cache.delete(ratelimit._key("w1m", "ip:192.0.2.8", int(now // 60)))


def test_in_redis_each_thread_counts_on_a_connection_of_its_own():
    import threading

    from django.core.cache import cache

    from sandbox.exchange.api import ratelimit

    backend = _redis_cache()  # one backend, shared by the threads below
    now = 1_800_000_000.0  # counted under this test's own namespace (conftest)
    key = ratelimit._key("w1m", "ip:192.0.2.9", int(now // 60))
    counter = (backend.make_and_validate_key(key), 1, 65)
    connections, counts, start = [], [], threading.Barrier(4)

    def count() -> None:
        start.wait()
        connections.append(ratelimit._connection(backend))
        for _ in range(50):
            counts.append(ratelimit._add_in_redis(backend, [counter])[0])

    threads = [threading.Thread(target=count) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len({id(connection) for connection in connections}) == 4
        assert sorted(counts) == list(range(1, 201))  # every answer read by the thread that asked
    finally:
        cache.delete(key)
