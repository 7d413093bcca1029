"""The current candles the `@kline_<interval>` streams send each second, and the minute buckets
of the `@ticker` stream's 24 hours, kept by folding in only the trades since the last beat.

Reading every interval's current candle from the trades each second would cost two queries and a
pass over the candle's trades (a whole month of them for 1M) per interval per market, and the
ticker a pass over the day's trades. Instead each market's current candle of every interval, its
day of minute buckets (stream_ticker.py) and the id of the last trade folded in are kept in the
cache (Redis in production, shared by the worker processes): a beat reads a market's new trades
once and folds them into all of them, so an interval more costs only its encoding, and a market
that did not trade costs nothing. When the entry is missing (the first beat, an eviction) it is
rebuilt, once, from the trades since the oldest of the current candles (the month's, for 1M; a
cold start in a busy month reads that month once) or the ticker's window, if older.

Folding is correct from any stored state, however old: one market's trades are written under its
lock, so their ids grow in the order they commit, and "the trades after id N" misses none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache

from sandbox.exchange.models import Market, Trade
from sandbox.exchange.selectors import (
    KLINE_INTERVALS,
    Kline,
    epoch_ms,
    from_epoch_ms,
    kline_close,
    kline_open,
)
from sandbox.exchange.stream_ticker import DayBuckets, window_start

CACHE_KEY = "stream-candles:v2:{}"
CACHE_SECONDS = 2 * 86_400
# open time, open, high, low, close, volume, quote volume, count, taker buy volume and quote,
# close time
Candle = list
_ROW = ("pk", "price", "qty", "quote_qty", "is_buyer_maker", "created_at")


@dataclass
class MarketCandles:
    """A market's current candle per interval and its last day's minutes, as of the trade
    `last_trade_id`."""

    last_trade_id: int = 0
    close: Decimal | None = None  # the last folded trade's price
    candles: dict[str, Candle] = field(default_factory=dict)
    day: DayBuckets = field(default_factory=DayBuckets)

    def fold(self, rows, *, at_ms: int) -> bool:
        """Add trades (as `_ROW` values, in id order, after `last_trade_id`) to every interval
        and to the day's minutes, then forget the minutes older than the window at `at_ms`; say
        whether anything changed (what did not need not be written back)."""
        folded = self.last_trade_id
        for pk, price, qty, quote, buyer_maker, created_at in rows:
            at = epoch_ms(created_at)
            for interval in KLINE_INTERVALS:
                candle = self.candles.get(interval)
                if candle is None or not candle[0] <= at <= candle[10]:
                    open_time = kline_open(interval, at)
                    candle = self.candles[interval] = [open_time, price, price, price, price]
                    candle += [Decimal(0), Decimal(0), 0, Decimal(0), Decimal(0)]
                    candle.append(kline_close(interval, open_time))
                _add(candle, price, qty, quote, taker_buy=not buyer_maker)
            self.day.add(pk, price, qty, quote, at)
            self.last_trade_id, self.close = pk, price
        forgot = self.day.forget_before(at_ms)
        return forgot or self.last_trade_id != folded

    def current(self, interval: str, at_ms: int) -> Kline | None:
        """The candle of `interval` open at `at_ms`; one with no trades repeats the last close."""
        open_time = kline_open(interval, at_ms)
        candle = self.candles.get(interval)
        if candle is not None and candle[0] >= open_time:
            return Kline(candle[0], candle[10], *candle[1:10])
        if self.close is None:
            return None
        close = self.close
        return Kline(open_time, kline_close(interval, open_time), close, close, close, close)


def _add(candle: Candle, price, qty, quote, *, taker_buy: bool) -> None:
    candle[2], candle[3], candle[4] = max(candle[2], price), min(candle[3], price), price
    candle[5] += qty
    candle[6] += quote
    candle[7] += 1
    if taker_buy:
        candle[8] += qty
        candle[9] += quote


def candles_of(markets: list[Market], *, at_ms: int) -> dict[int, MarketCandles]:
    """Each market's candles and day brought up to now: one query per market for its new trades
    (a market seen for the first time reads its oldest current candle's trades once)."""
    if not markets:
        return {}
    keys = {market.pk: CACHE_KEY.format(market.pk) for market in markets}
    stored = cache.get_many(list(keys.values()))
    found, changed = {}, {}
    for market in markets:
        candles = stored.get(keys[market.pk])
        if candles is None:
            candles = changed[keys[market.pk]] = _starting_point(market, at_ms)
        new = Trade.objects.filter(market=market, pk__gt=candles.last_trade_id)
        if candles.fold(new.order_by("pk").values_list(*_ROW).iterator(), at_ms=at_ms):
            changed[keys[market.pk]] = candles
        found[market.pk] = candles
    if changed:
        cache.set_many(changed, CACHE_SECONDS)
    return found


def _starting_point(market: Market, at_ms: int) -> MarketCandles:
    """The state as of the last trade before the oldest current candle (or the ticker's window,
    if that starts earlier) opened: folding the trades after it makes all of them."""
    oldest = min(kline_open(interval, at_ms) for interval in KLINE_INTERVALS)
    opened = from_epoch_ms(min(oldest, window_start(at_ms)))
    before = (
        Trade.objects.filter(market=market, created_at__lt=opened)
        .order_by("-created_at", "-pk")
        .values_list("pk", "price", "created_at")
        .first()
    )
    if before is None:
        return MarketCandles()
    pk, price, created_at = before
    candles = MarketCandles(last_trade_id=pk, close=price)
    candles.day.start_after(pk, price, epoch_ms(created_at))
    return candles
