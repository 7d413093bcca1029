"""GET /api/v3/ping, /api/v3/time and /api/v3/exchangeInfo."""

from __future__ import annotations

from sandbox.exchange import selectors
from sandbox.exchange.api import ratelimit, render
from sandbox.exchange.api.endpoint import Call, Security, endpoint
from sandbox.exchange.api.errors import BadParameterCombination
from sandbox.exchange.errors import InvalidSymbol


@endpoint(security=Security.NONE, weight=1)
def ping(call: Call) -> dict:
    return {}


@endpoint(security=Security.NONE, weight=1)
def server_time(call: Call) -> dict:
    return {"serverTime": call.now_ms}


@endpoint(security=Security.MARKET_DATA, weight=20)
def exchange_info(call: Call) -> dict:
    listed = list(selectors.markets(offering_id=call.offering.pk))
    wanted = requested_symbols(call)
    if wanted is not None:
        by_symbol = {market.symbol: market for market in listed}
        for symbol in wanted:
            if symbol not in by_symbol:
                raise InvalidSymbol(symbol)
        listed = [by_symbol[symbol] for symbol in wanted]
    return {
        "timezone": "UTC",
        "serverTime": call.now_ms,
        "rateLimits": rate_limits(),
        "exchangeFilters": [],
        "symbols": [render.symbol_info(market) for market in listed],
    }


def requested_symbols(call: Call) -> list[str] | None:
    """`symbol=X` or `symbols=["X","Y"]`, not both; None for every symbol."""
    if "symbol" in call.params and "symbols" in call.params:
        raise BadParameterCombination("Send symbol or symbols, not both.")
    if "symbol" in call.params:
        return [call.params.symbol()]
    return call.params.symbols()


def rate_limits() -> list[dict]:
    return [
        {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "MINUTE",
            "intervalNum": 1,
            "limit": ratelimit.weight_limit(),
        },
        {
            "rateLimitType": "ORDERS",
            "interval": "SECOND",
            "intervalNum": 10,
            "limit": ratelimit.order_limit(),
        },
    ]
