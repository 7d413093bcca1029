"""The payloads of the streams, field for field as Binance sends them (single-letter keys)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from sandbox.exchange import selectors
from sandbox.exchange.formats import amount, percent
from sandbox.exchange.models import Market, Trade
from sandbox.exchange.selectors import Kline, TradeWindow, epoch_ms, now_ms


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


def ticker_event(market: Market, window: TradeWindow, *, open_ms: int, at_ms: int) -> dict:
    """The rolling 24-hour ticker, as `<symbol>@ticker` sends it every second: `window` holds the
    trades since `open_ms` (the beat keeps it by the minute, see stream_ticker.py)."""
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
        "O": open_ms,
        "C": at_ms,
        "F": window.first_id,
        "L": window.last_id,
        "n": window.count,
    }


def kline_event(symbol: str, interval: str, candle: Kline, *, at_ms: int) -> dict:
    """The current candle of `interval`, as `<symbol>@kline_<interval>` sends it."""
    return {
        "e": "kline",
        "E": at_ms,
        "s": symbol,
        "k": {
            "t": candle.open_time,
            "T": candle.close_time,
            "s": symbol,
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
    """Markets with a trade in the last `within`: the ones whose ticker and candles moved.

    The first query is one range of the trades' time index (~1 ms for a beat when nothing
    traded); joined to the markets in one query, PostgreSQL may instead walk each market's trades
    by market id (~12 ms with a day of them). The markets are loaded only if any traded."""
    since = timezone.now() - within
    traded = Trade.objects.filter(created_at__gte=since).values_list("market_id", flat=True)
    ids = set(traded.distinct().order_by())
    if not ids:
        return []
    return list(Market.objects.filter(pk__in=ids).order_by("pk"))
