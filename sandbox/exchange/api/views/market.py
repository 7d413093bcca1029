"""Market data: depth, trades, klines, avgPrice and the tickers, read from the database."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sandbox.exchange import selectors
from sandbox.exchange.api import render
from sandbox.exchange.api.endpoint import Call, Security, endpoint
from sandbox.exchange.api.errors import InvalidInterval
from sandbox.exchange.api.params import Params
from sandbox.exchange.api.views.general import requested_symbols
from sandbox.exchange.errors import InvalidSymbol
from sandbox.exchange.models import Market
from sandbox.exchange.selectors import KLINE_INTERVALS, from_epoch_ms

AVERAGE_PRICE_MINUTES = 5


def _depth_weight(params: Params) -> int:
    limit = params.limit(default=100, maximum=5000)
    return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250


def _one_or_more_weight(params: Params) -> int:
    return 2 if "symbol" in params else 4


def _ticker_24hr_weight(params: Params) -> int:
    if "symbol" in params:
        return 2
    symbols = params.symbols()
    if symbols is None:
        return 80
    return 2 if len(symbols) <= 20 else 40 if len(symbols) <= 100 else 80


@endpoint(security=Security.MARKET_DATA, weight=_depth_weight)
def depth(call: Call) -> dict:
    market = call.market()
    book = selectors.depth(market, limit=call.params.limit(default=100, maximum=5000))
    return {
        "lastUpdateId": market.book_version,
        "bids": [[render.amount(p), render.amount(q)] for p, q in book["bids"]],
        "asks": [[render.amount(p), render.amount(q)] for p, q in book["asks"]],
    }


@endpoint(security=Security.MARKET_DATA, weight=25)
def trades(call: Call) -> list:
    market = call.market()
    recent = selectors.recent_trades(market, limit=call.params.limit(default=500, maximum=1000))
    return [render.public_trade(trade) for trade in reversed(recent)]


@endpoint(security=Security.MARKET_DATA, weight=2)
def klines(call: Call) -> list:
    market = call.market()
    interval = call.params.text("interval", required=True)
    if interval not in KLINE_INTERVALS:
        raise InvalidInterval(list(KLINE_INTERVALS))
    candles = selectors.klines(
        market,
        interval=interval,
        now_ms=call.now_ms,
        start_ms=call.params.time_ms("startTime"),
        end_ms=call.params.time_ms("endTime"),
        limit=call.params.limit(default=500, maximum=1000),
    )
    return [render.kline(candle) for candle in candles]


@endpoint(security=Security.MARKET_DATA, weight=2)
def avg_price(call: Call) -> dict:
    market = call.market()
    since = from_epoch_ms(call.now_ms) - timedelta(minutes=AVERAGE_PRICE_MINUTES)
    price, last_trade_at = selectors.average_price(market, since=since)
    return {
        "mins": AVERAGE_PRICE_MINUTES,
        "price": render.amount(price),
        "closeTime": selectors.epoch_ms(last_trade_at) if last_trade_at else call.now_ms,
    }


@endpoint(security=Security.MARKET_DATA, weight=_ticker_24hr_weight)
def ticker_24hr(call: Call) -> dict | list:
    mini = call.params.choice("type", ("FULL", "MINI"), default="FULL") == "MINI"
    return _per_symbol(call, lambda market: _day_ticker(call, market, mini=mini))


@endpoint(security=Security.MARKET_DATA, weight=_one_or_more_weight)
def ticker_price(call: Call) -> dict | list:
    return _per_symbol(
        call,
        lambda market: {"symbol": market.symbol, "price": render.amount(market.last_price)},
    )


@endpoint(security=Security.MARKET_DATA, weight=_one_or_more_weight)
def book_ticker(call: Call) -> dict | list:
    return _per_symbol(call, _book_top)


def _per_symbol(call: Call, render_one) -> dict | list:
    """One object for `symbol`, a list for `symbols` or for every symbol of the offering."""
    listed = {m.symbol: m for m in selectors.markets(offering_id=call.offering.pk)}
    wanted = requested_symbols(call)
    for symbol in wanted or []:
        if symbol not in listed:
            raise InvalidSymbol(symbol)
    if "symbol" in call.params:
        return render_one(listed[wanted[0]])
    return [render_one(listed[symbol]) for symbol in (wanted or listed)]


def _book_top(market: Market) -> dict:
    bid, ask = selectors.best_levels(market)
    return {
        "symbol": market.symbol,
        "bidPrice": render.amount(bid[0] if bid else None),
        "bidQty": render.amount(bid[1] if bid else None),
        "askPrice": render.amount(ask[0] if ask else None),
        "askQty": render.amount(ask[1] if ask else None),
    }


def _day_ticker(call: Call, market: Market, *, mini: bool) -> dict:
    close_time = call.now_ms
    open_time = close_time - 24 * 3_600_000
    window = selectors.trade_window(market, since=from_epoch_ms(open_time))
    body = {
        "symbol": market.symbol,
        "openPrice": render.amount(window.open),
        "highPrice": render.amount(window.high),
        "lowPrice": render.amount(window.low),
        "lastPrice": render.amount(window.last),
        "volume": render.amount(window.volume),
        "quoteVolume": render.amount(window.quote_volume),
        "openTime": open_time,
        "closeTime": close_time,
        "firstId": window.first_id,
        "lastId": window.last_id,
        "count": window.count,
    }
    if mini:
        return body
    change = (window.last or Decimal(0)) - (window.open or Decimal(0))
    bid, ask = selectors.best_levels(market)
    return body | {
        "priceChange": render.amount(change),
        "priceChangePercent": render.percent(change, window.open),
        "weightedAvgPrice": render.amount(
            window.quote_volume / window.volume if window.volume else window.last
        ),
        "prevClosePrice": render.amount(window.prev_close),
        "lastQty": render.amount(window.last_qty),
        "bidPrice": render.amount(bid[0] if bid else None),
        "bidQty": render.amount(bid[1] if bid else None),
        "askPrice": render.amount(ask[0] if ask else None),
        "askQty": render.amount(ask[1] if ask else None),
    }
