"""Request-weight and order-rate limits, counted in the Django cache (Redis in production, so
every web process shares the counts; local memory otherwise).

Counters are fixed windows: weight per key per minute, new orders per key per 10 seconds, as
Binance reports them in X-MBX-USED-WEIGHT-1M and X-MBX-ORDER-COUNT-10S. The limits can be set
with the settings EXCHANGE_API_WEIGHT_PER_MINUTE and EXCHANGE_API_ORDERS_PER_10S.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache

from sandbox.exchange.api.errors import TooManyOrders, TooMuchWeight

WEIGHT_PER_MINUTE = 1200
ORDERS_PER_10S = 100


def weight_limit() -> int:
    return getattr(settings, "EXCHANGE_API_WEIGHT_PER_MINUTE", WEIGHT_PER_MINUTE)


def order_limit() -> int:
    return getattr(settings, "EXCHANGE_API_ORDERS_PER_10S", ORDERS_PER_10S)


def charge_weight(identity: str, weight: int, now: float) -> int:
    """Add the request's weight to this minute's count and return the count."""
    return _add(_key("w1m", identity, int(now // 60)), weight, timeout=65)


def refuse_over_weight(used: int, now: float) -> None:
    limit = weight_limit()
    if used > limit:
        raise TooMuchWeight(limit, retry_after=max(1, math.ceil(60 - now % 60)))


def count_order(identity: str, now: float) -> int:
    """Count a new order in this 10-second window; refuse it over the limit."""
    count = _add(_key("o10s", identity, int(now // 10)), 1, timeout=15)
    if count > order_limit():
        raise TooManyOrders(order_limit())
    return count


def _key(kind: str, identity: str, window: int) -> str:
    namespace = getattr(settings, "EXCHANGE_API_RATE_NAMESPACE", "mbx")
    return f"{namespace}:{kind}:{identity}:{window}"


def _add(key: str, amount: int, *, timeout: int) -> int:
    """Add to the window's counter, started (with its timeout) by the window's first call."""
    backend = caches[DEFAULT_CACHE_ALIAS]  # `cache` is a proxy to it
    if isinstance(backend, RedisCache):
        return _add_in_redis(backend, backend.make_and_validate_key(key), amount, timeout=timeout)
    try:  # only an increment while the window's counter exists (every call but its first)
        return cache.incr(key, amount)
    except ValueError:  # the window's first call: start its counter (or lose the race to)
        if cache.add(key, amount, timeout=timeout):
            return amount
        return cache.incr(key, amount)


def _add_in_redis(backend: RedisCache, key: str, amount: int, *, timeout: int) -> int:
    """One round trip: Django's `incr` asks first whether the key exists (two, for every API
    call and again for every order: a sixth of the server's CPU per order with Redis). Django
    keeps an int as a plain Redis integer, so `cache.get` still reads the count."""
    client = backend._cache.get_client(key, write=True)
    with client.pipeline(transaction=True) as pipe:  # MULTI: started and added at once
        pipe.set(key, 0, ex=timeout, nx=True)
        pipe.incrby(key, amount)
        return pipe.execute()[1]
