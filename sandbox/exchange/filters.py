"""Binance's symbol filters (PRICE_FILTER, LOT_SIZE, NOTIONAL) and the order-shape rules.

Each failure says which filter and what the allowed values are, so a student can fix the order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from sandbox.exchange.errors import (
    FilterFailure,
    IllegalParameter,
    InvalidEnum,
    MandatoryParameter,
    UnexpectedParameter,
)
from sandbox.exchange.models import Market, Order
from sandbox.exchange.units import plain_amount

CLIENT_ORDER_ID = re.compile(r"^[a-zA-Z0-9\-_.:/]{1,36}$")
STP_MODES = ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH")
STOP_TYPES = (Order.Type.STOP_LOSS_LIMIT, Order.Type.TAKE_PROFIT_LIMIT)
PRICED_TYPES = (Order.Type.LIMIT, Order.Type.LIMIT_MAKER, *STOP_TYPES)


@dataclass(frozen=True)
class OrderRequest:
    side: str
    type: str
    quantity: Decimal | None = None
    quote_order_qty: Decimal | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: str | None = None
    client_order_id: str | None = None
    self_trade_prevention_mode: str | None = None


def check_shape(request: OrderRequest) -> OrderRequest:
    """Refuse a request whose parameters do not fit its type; return it with defaults filled."""
    _check_enum("side", request.side, Order.Side.values)
    _check_enum("type", request.type, Order.Type.values)
    if request.self_trade_prevention_mode not in (None, *STP_MODES):
        raise IllegalParameter("selfTradePreventionMode", ", ".join(STP_MODES))
    if request.client_order_id is not None and not CLIENT_ORDER_ID.match(request.client_order_id):
        raise IllegalParameter("newClientOrderId", "^[a-zA-Z0-9-_.:/]{1,36}$")
    if request.type == Order.Type.MARKET:
        return _check_market(request)
    for name, value in (("price", request.price), ("quantity", request.quantity)):
        if value is None:
            raise MandatoryParameter(name)
    if request.quote_order_qty is not None:
        raise UnexpectedParameter("quoteOrderQty")
    if request.type in STOP_TYPES and request.stop_price is None:
        raise MandatoryParameter("stopPrice")
    if request.type not in STOP_TYPES and request.stop_price is not None:
        raise UnexpectedParameter("stopPrice")
    if request.type == Order.Type.LIMIT_MAKER:
        if request.time_in_force is not None:
            raise UnexpectedParameter("timeInForce")
        return request
    if request.time_in_force is None:
        raise MandatoryParameter("timeInForce")
    _check_enum("timeInForce", request.time_in_force, ["GTC", "IOC", "FOK"])
    return request


def _check_market(request: OrderRequest) -> OrderRequest:
    for name, value in (
        ("price", request.price),
        ("stopPrice", request.stop_price),
        ("timeInForce", request.time_in_force),
    ):
        if value is not None:
            raise UnexpectedParameter(name)
    if request.quantity is None and request.quote_order_qty is None:
        raise MandatoryParameter("quantity")
    if request.quantity is not None and request.quote_order_qty is not None:
        raise UnexpectedParameter("quoteOrderQty")
    return request


def _check_enum(name: str, value: str, allowed: list[str]) -> None:
    if value not in allowed:
        raise InvalidEnum(name, list(allowed))


def check_filters(market: Market, request: OrderRequest) -> None:
    """PRICE_FILTER, LOT_SIZE and NOTIONAL, as Binance applies them."""
    for price in (request.price, request.stop_price):
        if price is not None:
            _price_filter(market, price)
    if request.quantity is not None:
        _lot_size(market, request.quantity)
    if request.quote_order_qty is not None:
        _quote_amount(market, request.quote_order_qty)
    notional = _notional(market, request)
    if notional is not None and notional < market.min_notional:
        raise FilterFailure(
            "NOTIONAL",
            f"price × quantity is {plain_amount(notional)} {market.quote_id}; the minimum is "
            f"{plain_amount(market.min_notional)} {market.quote_id}.",
        )


def _price_filter(market: Market, price: Decimal) -> None:
    _within_steps(
        "PRICE_FILTER",
        "price",
        price,
        market.min_price,
        market.max_price,
        market.tick_size,
        market.quote_id,
    )


def _lot_size(market: Market, quantity: Decimal) -> None:
    _within_steps(
        "LOT_SIZE",
        "quantity",
        quantity,
        market.min_qty,
        market.max_qty,
        market.lot_size,
        market.base_id,
    )


def _within_steps(
    filter_name: str,
    what: str,
    value: Decimal,
    low: Decimal,
    high: Decimal,
    step: Decimal,
    unit: str,
) -> None:
    """Binance's rule for both filters: low <= value <= high, on a whole step above low."""
    if low <= value <= high and (value - low) % step == 0:
        return
    raise FilterFailure(
        filter_name,
        f"{what} {plain_amount(value)} must be between {plain_amount(low)} and "
        f"{plain_amount(high)} {unit} in steps of {plain_amount(step)}.",
    )


def _quote_amount(market: Market, amount: Decimal) -> None:
    """quoteOrderQty: positive, at the quote asset's precision, no more than the market allows."""
    most = market.max_price * market.max_qty
    quantum = market.quote.quantum
    if amount <= 0 or amount > most or amount != amount.quantize(quantum):
        raise FilterFailure(
            "NOTIONAL",
            f"quoteOrderQty {plain_amount(amount)} must be a positive amount of {market.quote_id} "
            f"in steps of {plain_amount(quantum)}, at most {plain_amount(most)}.",
        )


def _notional(market: Market, request: OrderRequest) -> Decimal | None:
    if request.quote_order_qty is not None:
        return request.quote_order_qty
    price = request.price if request.price is not None else market.last_price
    if price is None or request.quantity is None:
        return None
    return price * request.quantity
