"""Orders: POST/GET/DELETE /api/v3/order, POST /api/v3/order/test, GET/DELETE
/api/v3/openOrders and GET /api/v3/allOrders. Writes go through `sandbox.exchange.services`."""

from __future__ import annotations

import secrets

from sandbox.exchange import desk, selectors, services
from sandbox.exchange.api import ratelimit, render
from sandbox.exchange.api.endpoint import Call, Security, endpoint
from sandbox.exchange.api.errors import EitherParameter, NotSupported
from sandbox.exchange.api.params import Params
from sandbox.exchange.errors import CancelRejected, ExchangeError, MarketClosed, OrderNotFound
from sandbox.exchange.filters import OrderRequest, check_filters, check_shape
from sandbox.exchange.models import Market, Order

RESPONSE_TYPES = ("ACK", "RESULT", "FULL")
NOT_SUPPORTED = {
    "icebergQty": "Iceberg orders are not supported for this symbol.",
    "trailingDelta": "Trailing stop orders are not supported for this symbol.",
}


def order_request(params: Params) -> OrderRequest:
    for name, message in NOT_SUPPORTED.items():
        if name in params:
            raise NotSupported(message)
    return OrderRequest(
        side=params.text("side", required=True),
        type=params.text("type", required=True),
        quantity=params.decimal("quantity"),
        quote_order_qty=params.decimal("quoteOrderQty"),
        price=params.decimal("price"),
        stop_price=params.decimal("stopPrice"),
        time_in_force=params.text("timeInForce"),
        client_order_id=params.text("newClientOrderId"),
        self_trade_prevention_mode=params.text("selfTradePreventionMode"),
    )


@endpoint(security=Security.SIGNED, weight=1, recent_key=True, counts_order=True)
def new_order(call: Call) -> dict:
    try:
        market = call.market()
        request = order_request(call.params)
        response_type = call.params.choice("newOrderRespType", RESPONSE_TYPES)
    except ExchangeError:  # malformed: not counted as an order
        ratelimit.uncount_order(call.identity, call.now)
        raise
    ratelimit.refuse_over_orders(call.order_count)
    call.headers["X-MBX-ORDER-COUNT-10S"] = str(call.order_count)
    order = desk.place_order(
        owner_id=call.owner_id, market=market, request=request, recheck_key=call.key_to_recheck
    )
    if response_type is None:  # Binance: FULL for MARKET and LIMIT, ACK for the rest
        response_type = "FULL" if order.type in (Order.Type.MARKET, Order.Type.LIMIT) else "ACK"
    if response_type == "ACK":
        return render.order_ack(order, market.symbol)
    if response_type == "RESULT":
        return render.order_result(order, market.symbol)
    fills = order.new_fills if order.executed_qty else []
    return render.order_full(order, market.symbol, fills, market)


def _test_order_weight(params: Params) -> int:
    return 20 if params.boolean("computeCommissionRates") else 1


@endpoint(security=Security.SIGNED, weight=_test_order_weight)
def test_order(call: Call) -> dict:
    """Validates as POST /api/v3/order does, up to the engine, and places nothing."""
    market = call.market()
    request = check_shape(order_request(call.params))
    check_filters(market, request)
    if market.status != Market.Status.TRADING:
        raise MarketClosed(market.symbol)
    if not call.params.boolean("computeCommissionRates"):
        return {}
    zero = {"maker": render.amount(None), "taker": render.amount(None)}
    return {
        "standardCommissionForOrder": {
            "maker": render.amount(market.maker_fee),
            "taker": render.amount(market.taker_fee),
        },
        "taxCommissionForOrder": zero,
        "discount": {
            "enabledForAccount": False,
            "enabledForSymbol": False,
            "discountAsset": None,
            "discount": render.amount(None),
        },
    }


@endpoint(security=Security.SIGNED, weight=4)
def query_order(call: Call) -> dict:
    market = call.market()
    order_id, client_id = _order_reference(call.params)
    order = selectors.find_order(
        owner_id=call.owner_id, market=market, order_id=order_id, client_order_id=client_id
    )
    if order is None:
        raise OrderNotFound()
    return render.order_status(order, market.symbol)


@endpoint(security=Security.SIGNED, weight=1)
def cancel_order(call: Call) -> dict:
    market = call.market()
    order_id, client_id = _order_reference(call.params)
    if order_id is not None and client_id is not None:
        named = selectors.find_order(
            owner_id=call.owner_id, market=market, order_id=order_id, client_order_id=client_id
        )
        if named is None:
            raise CancelRejected("orderId and origClientOrderId do not name the same order.")
    order = services.cancel_order(
        owner_id=call.owner_id,
        market=market,
        order_id=order_id,
        client_order_id=None if order_id is not None else client_id,
    )
    return render.order_cancelled(order, market.symbol, _cancel_id(call.params))


def _open_orders_weight(params: Params) -> int:
    return 6 if "symbol" in params else 80


@endpoint(security=Security.SIGNED, weight=_open_orders_weight)
def open_orders(call: Call) -> list:
    market = call.market() if "symbol" in call.params else None
    orders = selectors.open_orders(
        owner_id=call.owner_id, market=market, offering_id=call.offering.pk
    )
    return [render.order_status(order, order.market.symbol) for order in orders]


@endpoint(security=Security.SIGNED, weight=1)
def cancel_open_orders(call: Call) -> list:
    market = call.market()
    cancelled = services.cancel_open_orders(owner_id=call.owner_id, market=market)
    return [render.order_cancelled(order, market.symbol, _cancel_id(None)) for order in cancelled]


@endpoint(security=Security.SIGNED, weight=20)
def all_orders(call: Call) -> list:
    market = call.market()
    orders = selectors.order_window(
        owner_id=call.owner_id,
        market=market,
        from_id=call.params.long("orderId"),
        start=call.params.moment("startTime"),
        end=call.params.moment("endTime"),
        limit=call.params.limit(default=500, maximum=1000),
    )
    return [render.order_status(order, market.symbol) for order in orders]


def _order_reference(params: Params) -> tuple[int | None, str | None]:
    order_id, client_id = params.long("orderId"), params.text("origClientOrderId")
    if order_id is None and client_id is None:
        raise EitherParameter("origClientOrderId", "orderId")
    return order_id, client_id


def _cancel_id(params: Params | None) -> str:
    """The cancel's own client id (Binance's newClientOrderId on a cancel), made up if not sent."""
    sent = params.text("newClientOrderId") if params is not None else None
    return sent or "bc-cancel-" + secrets.token_urlsafe(12)
