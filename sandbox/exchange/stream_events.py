"""The payloads of the streams, field for field as Binance sends them (single-letter keys)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from sandbox.exchange import selectors
from sandbox.exchange.formats import amount, percent
from sandbox.exchange.models import Market, Trade
from sandbox.exchange.selectors import KLINE_INTERVALS, epoch_ms, from_epoch_ms, now_ms

DAY_MS = 24 * 3_600_000


def trade_event(symbol: str, trade: Trade) -> dict:
    return {
        "e": "trade",
        "E": now_ms(),
        "s": symbol,
        "t": trade.pk,
        "p": amount(trade.price),
        "q": amount(trade.qty),
        "T": epoch_ms(trade.created_at),
        "m": trade.is_buyer_maker,
        "M": True,
    }


def depth_event(symbol: str, first: int, last: int, bids: list, asks: list) -> dict:
    """A diff: levels are [price, total quantity now] as strings; quantity "0" removes the level."""
    return {
        "e": "depthUpdate",
        "E": now_ms(),
        "s": symbol,
        "U": first,
        "u": last,
        "b": [[amount(p), amount(q)] for p, q in bids],
        "a": [[amount(p), amount(q)] for p, q in asks],
    }


def ticker_event(market: Market, *, at_ms: int) -> dict:
    """The rolling 24-hour ticker, as `<symbol>@ticker` sends it every second."""
    open_time = at_ms - DAY_MS
    window = selectors.trade_window(market, since=from_epoch_ms(open_time))
    bid, ask = selectors.best_levels(market)
    change = (window.last or Decimal(0)) - (window.open or Decimal(0))
    average = window.quote_volume / window.volume if window.volume else window.last
    return {
        "e": "24hrTicker",
        "E": at_ms,
        "s": market.symbol,
        "p": amount(change),
        "P": percent(change, window.open),
        "w": amount(average),
        "x": amount(window.prev_close),
        "c": amount(window.last),
        "Q": amount(window.last_qty),
        "b": amount(bid[0] if bid else None),
        "B": amount(bid[1] if bid else None),
        "a": amount(ask[0] if ask else None),
        "A": amount(ask[1] if ask else None),
        "o": amount(window.open),
        "h": amount(window.high),
        "l": amount(window.low),
        "v": amount(window.volume),
        "q": amount(window.quote_volume),
        "O": open_time,
        "C": at_ms,
        "F": window.first_id,
        "L": window.last_id,
        "n": window.count,
    }


def kline_event(market: Market, interval: str, *, at_ms: int) -> dict:
    """The current candle of `interval`, as `<symbol>@kline_<interval>` sends it."""
    interval_ms = KLINE_INTERVALS[interval]
    [candle] = selectors.klines(market, interval_ms=interval_ms, now_ms=at_ms, limit=1)
    return {
        "e": "kline",
        "E": at_ms,
        "s": market.symbol,
        "k": {
            "t": candle.open_time,
            "T": candle.close_time,
            "s": market.symbol,
            "i": interval,
            "f": -1,
            "L": -1,
            "o": amount(candle.open),
            "c": amount(candle.close),
            "h": amount(candle.high),
            "l": amount(candle.low),
            "v": amount(candle.volume),
            "n": candle.count,
            "x": at_ms >= candle.close_time,
            "q": amount(candle.quote_volume),
            "V": amount(candle.taker_buy_volume),
            "Q": amount(candle.taker_buy_quote_volume),
            "B": "0",
        },
    }


def recently_traded(*, within: timedelta) -> list[Market]:
    """Markets with a trade in the last `within`: the ones whose ticker and candles moved."""
    since = timezone.now() - within
    return list(Market.objects.filter(trades__created_at__gte=since).distinct().order_by("pk"))
