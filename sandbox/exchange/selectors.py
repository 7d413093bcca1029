"""Reads of the exchange that the API, the portal pages and the graders share.

Everything here reads the database, never a process's in-memory engine, so any web or worker
process answers the same. Sums are done in Python over exact Decimals (SQLite would sum floats).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import QuerySet

from sandbox.exchange.errors import InvalidSymbol
from sandbox.exchange.models import OPEN_STATUSES, Market, Order, Trade
from sandbox.wallet.api import Account


def market_by_symbol(*, offering_id: int, symbol: str) -> Market:
    market = (
        Market.objects.select_related("base", "quote")
        .filter(offering_id=offering_id, symbol=symbol.upper())
        .first()
    )
    if market is None:
        raise InvalidSymbol(symbol)
    return market


def markets(*, offering_id: int) -> QuerySet[Market]:
    return Market.objects.filter(offering_id=offering_id).select_related("base", "quote")


def depth(market: Market, limit: int = 100) -> dict[str, list[tuple[Decimal, Decimal]]]:
    """Aggregated resting quantity per price, best first: {"bids": [...], "asks": [...]}."""
    levels: dict[str, dict[Decimal, Decimal]] = {
        "BUY": defaultdict(Decimal),
        "SELL": defaultdict(Decimal),
    }
    resting = (
        Order.objects.filter(market=market, status__in=OPEN_STATUSES)
        .exclude(
            type__in=[Order.Type.STOP_LOSS_LIMIT, Order.Type.TAKE_PROFIT_LIMIT],
            stop_triggered=False,
        )
        .values_list("side", "price", "orig_qty", "executed_qty")
    )
    for side, price, qty, executed in resting.iterator():
        levels[side][price] += qty - executed
    bids = sorted(levels["BUY"].items(), reverse=True)[:limit]
    asks = sorted(levels["SELL"].items())[:limit]
    return {"bids": bids, "asks": asks}


def recent_trades(market: Market, limit: int = 50) -> list[Trade]:
    return list(Trade.objects.filter(market=market).order_by("-id")[:limit])


def open_orders(
    *, owner_id: int, market: Market | None = None, offering_id: int | None = None
) -> QuerySet[Order]:
    orders = Order.objects.filter(owner_id=owner_id, status__in=OPEN_STATUSES).select_related(
        "market"
    )
    if market is not None:
        orders = orders.filter(market=market)
    if offering_id is not None:
        orders = orders.filter(market__offering_id=offering_id)
    return orders.order_by("id")


def order_history(*, owner_id: int, market: Market, limit: int = 500) -> QuerySet[Order]:
    return Order.objects.filter(owner_id=owner_id, market=market).order_by("-id")[:limit]


def own_trades(*, owner_id: int, market: Market, limit: int = 500) -> list[Trade]:
    mine = Trade.objects.filter(market=market).filter(buyer_id=owner_id) | Trade.objects.filter(
        market=market, seller_id=owner_id
    )
    return list(mine.select_related("buyer_order", "seller_order").order_by("-id")[:limit])


def balances(*, owner_id: int, offering_id: int) -> list[Account]:
    return list(
        Account.objects.filter(owner_id=owner_id, offering_id=offering_id)
        .select_related("asset")
        .order_by("asset_id")
    )
