"""Request-weight and order-rate limits, counted in the Django cache (Redis in production, so
every web process shares the counts; local memory otherwise).

Counters are fixed windows: weight per key per minute, new orders per key per 10 seconds, as
Binance reports them in X-MBX-USED-WEIGHT-1M and X-MBX-ORDER-COUNT-10S. The limits can be set
with the settings EXCHANGE_API_WEIGHT_PER_MINUTE and EXCHANGE_API_ORDERS_PER_10S.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.core.cache import cache

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
    """Only an increment while the window's counter exists (every call but its first)."""
    try:
        return cache.incr(key, amount)
    except ValueError:  # the window's first call: start its counter (or lose the race to)
        if cache.add(key, amount, timeout=timeout):
            return amount
        return cache.incr(key, amount)
