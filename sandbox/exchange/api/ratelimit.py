"""Request-weight and order-rate limits, counted in the Django cache (Redis in production, so
every web process shares the counts; local memory otherwise).

Counters are fixed windows: weight per key per minute, new orders per key per 10 seconds, as
Binance reports them in X-MBX-USED-WEIGHT-1M and X-MBX-ORDER-COUNT-10S. The limits can be set
with the settings EXCHANGE_API_WEIGHT_PER_MINUTE and EXCHANGE_API_ORDERS_PER_10S.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
import weakref

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from redis.connection import AbstractConnection as RedisConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError

from sandbox.exchange.api.errors import TooManyOrders, TooMuchWeight

WEIGHT_PER_MINUTE = 1200
ORDERS_PER_10S = 100


def weight_limit() -> int:
    return getattr(settings, "EXCHANGE_API_WEIGHT_PER_MINUTE", WEIGHT_PER_MINUTE)


def order_limit() -> int:
    return getattr(settings, "EXCHANGE_API_ORDERS_PER_10S", ORDERS_PER_10S)


def charge_weight(identity: str, weight: int, now: float) -> int:
    """Add the request's weight to this minute's count and return the count."""
    return _add_all([_weight_counter(identity, weight, now)])[0]


def refuse_over_weight(used: int, now: float) -> None:
    limit = weight_limit()
    if used > limit:
        raise TooMuchWeight(limit, retry_after=max(1, math.ceil(60 - now % 60)))


def charge_order(identity: str, weight: int, now: float) -> tuple[int, int]:
    """`charge_weight` for a new order, and the order counted in this 10-second window: (weight
    used, orders), both in one round trip with Redis. An order over the weight limit is not
    counted (it is refused for its weight: `refuse_over_weight`)."""
    used, orders = _add_all(
        [_weight_counter(identity, weight, now), _order_counter(identity, 1, now)]
    )
    if used > weight_limit():
        uncount_order(identity, now)
    return used, orders


def uncount_order(identity: str, now: float) -> None:
    """Take back an order `charge_order` counted that was refused before it was checked."""
    _add_all([_order_counter(identity, -1, now)])


def refuse_over_orders(count: int) -> None:
    if count > order_limit():
        raise TooManyOrders(order_limit())


def _weight_counter(identity: str, weight: int, now: float) -> tuple[str, int, int]:
    return _key("w1m", identity, int(now // 60)), weight, 65


def _order_counter(identity: str, orders: int, now: float) -> tuple[str, int, int]:
    return _key("o10s", identity, int(now // 10)), orders, 15


def _key(kind: str, identity: str, window: int) -> str:
    namespace = getattr(settings, "EXCHANGE_API_RATE_NAMESPACE", "mbx")
    return f"{namespace}:{kind}:{identity}:{window}"


def _add_all(counters: list[tuple[str, int, int]]) -> list[int]:
    """Add to each (window's counter key, amount, timeout): the counter is started, with its
    timeout, by the window's first call. Returns the counts."""
    backend = caches[DEFAULT_CACHE_ALIAS]  # `cache` is a proxy to it
    if isinstance(backend, RedisCache):
        keyed = [(backend.make_and_validate_key(k), a, t) for k, a, t in counters]
        return _add_in_redis(backend, keyed)
    return [_add_in_cache(key, amount, timeout) for key, amount, timeout in counters]


def _add_in_cache(key: str, amount: int, timeout: int) -> int:
    try:  # only an increment while the window's counter exists (every call but its first)
        return cache.incr(key, amount)
    except ValueError:  # the window's first call: start its counter (or lose the race to)
        if cache.add(key, amount, timeout=timeout):
            return amount
        return cache.incr(key, amount)


def _add_in_redis(backend: RedisCache, counters: list[tuple[str, int, int]]) -> list[int]:
    """One command for all (`_COUNT`, a Lua script Redis runs at once): Django's `incr` asks
    first whether the key exists (two round trips, for every API call and again for every
    order), and a MULTI of each counter's start and increment was six commands to send and six
    answers to parse, about half of the call's CPU in the web process. Django keeps an int as a
    plain Redis integer, so `cache.get` still reads the count. The counters are all on the
    primary (a write goes to the first server). The command goes on this thread's own
    connection (`_connection`)."""
    keys = [key for key, _amount, _timeout in counters]
    arguments = [value for _key, amount, timeout in counters for value in (amount, timeout)]
    command = ("EVALSHA", _COUNT_SHA, len(keys), *keys, *arguments)
    try:
        return _ask(backend, command)
    except NoScriptError:  # a Redis that restarted, or flushed its scripts, since it was loaded
        _ask(backend, ("SCRIPT", "LOAD", _COUNT))
        return _ask(backend, command)


def _ask(backend: RedisCache, command: tuple) -> object:
    """`command`'s answer, on this thread's connection. If the connection kept from an earlier
    count has gone (Redis restarted, or closed it), redis-py has closed it and the command goes
    once more on a new one (a Redis that went down while answering may so count a call twice).
    A timeout is not sent again: the command may have run on a Redis that is only slow."""
    connection = _connection(backend)
    try:
        connection.send_command(*command)
        return connection.read_response()
    except RedisConnectionError:  # redis-py disconnects on any failure: no answer left unread
        connection.send_command(*command)
        return connection.read_response()


# Each key a window's counter: started at 0 with its timeout by the window's first call (SET NX
# EX), then increased; ARGV holds each key's amount and timeout in turn. Returns the counts.
_COUNT = """
local counts = {}
for i, key in ipairs(KEYS) do
  redis.call('SET', key, 0, 'EX', ARGV[2 * i], 'NX')
  counts[i] = redis.call('INCRBY', key, ARGV[2 * i - 1])
end
return counts
"""
_COUNT_SHA = hashlib.sha1(_COUNT.encode()).hexdigest()  # noqa: S324 (Redis names scripts so)


_kept = threading.local()


def _connection(backend: RedisCache) -> RedisConnection:
    """This thread's own connection to the backend's primary, made with its pool's settings and
    kept while the backend lives (and closed when it goes: redis-py's connections close their
    socket when collected). Through redis-py's client, a command also takes a connection from
    the pool and gives it back, under the pool's lock: more than half of a count's CPU in the
    web process (47 µs against 110 µs a count, scratch timing). A connection serves one thread
    at a time, so each thread keeps its own."""
    connections = getattr(_kept, "connections", None)
    if connections is None:
        connections = _kept.connections = weakref.WeakKeyDictionary()
    connection = connections.get(backend)
    if connection is None:
        pool = backend._cache.get_client(write=True).connection_pool
        connection = connections[backend] = pool.connection_class(**pool.connection_kwargs)
    return connection


def _forget_connections() -> None:
    """In a forked child (Celery's workers): the parent's sockets are not this process's."""
    global _kept
    _kept = threading.local()


os.register_at_fork(after_in_child=_forget_connections)
