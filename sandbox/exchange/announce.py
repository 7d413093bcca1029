"""What one change to a market means for the streams, queued to go out when it commits.

Called by the services at the end of each transaction that changed a book, under the market's
locks, with the settlement that wrote it: every trade (`@trade`), the depth levels it touched as
the engine now has them (`@depth`, one diff per book version, even an empty one, so clients see
an unbroken sequence of update ids), and for each owner involved their orders' execution reports
and their balances (the user data stream). Nothing here queries the database: the balances come
from the ledger's own UPDATE ... RETURNING.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from sandbox.exchange.engine import MatchingEngine
from sandbox.exchange.formats import amount
from sandbox.exchange.models import Market, Order, Trade
from sandbox.exchange.selectors import epoch_ms, now_ms
from sandbox.exchange.settlement import Settlement
from sandbox.exchange.stream_events import depth_event, trade_event
from sandbox.exchange.streams import market_group, publish_on_commit, user_group
from sandbox.exchange.units import MarketUnits
from sandbox.wallet.api import LedgerBatch

ENDED_OTHERWISE = {
    "CANCELED": "CANCELED",
    "EXPIRED": "EXPIRED",
    "EXPIRED_IN_MATCH": "TRADE_PREVENTION",
    "REJECTED": "REJECTED",
}
BOOK_TYPES = (
    Order.Type.LIMIT,
    Order.Type.LIMIT_MAKER,
    Order.Type.STOP_LOSS_LIMIT,
    Order.Type.TAKE_PROFIT_LIMIT,
)


def announce(
    market: Market,
    settlement: Settlement,
    batch: LedgerBatch,
    engine: MatchingEngine,
    units: MarketUnits,
    *,
    placed: Collection[int] = (),
) -> None:
    """Queue the change's messages to go out on commit, all in one hop, in order; `placed`, the
    orders the change placed (each gets its NEW report)."""
    messages = announcements(market, settlement, engine, units, placed=placed)
    publish_on_commit(messages + positions(market.offering_id, settlement.accounts, batch))


def announcements(
    market: Market,
    settlement: Settlement,
    engine: MatchingEngine,
    units: MarketUnits,
    *,
    placed: Collection[int] = (),
) -> list[tuple[str, dict]]:
    """The change's messages for the market's streams and its orders' owners, in order, without
    the balances (`positions`, once for the ledger batch: it may span several markets)."""
    offering, symbol = market.offering_id, market.symbol
    messages = [
        (market_group(offering, symbol, "trade"), trade_event(symbol, trade))
        for trade in settlement.trades
    ]
    bids, asks = _touched_levels(settlement, engine, units)
    version = market.book_version
    messages.append(
        (market_group(offering, symbol, "depth"), depth_event(symbol, version, version, bids, asks))
    )
    trades_of: dict[int, list[Trade]] = {}
    for trade in settlement.trades:
        trades_of.setdefault(trade.buyer_order_id, []).append(trade)
        trades_of.setdefault(trade.seller_order_id, []).append(trade)
    for order in settlement.orders.values():
        group = user_group(offering_id=offering, owner_id=order.owner_id)
        reports = _execution_reports(market, order, trades_of.get(order.pk, []), order.pk in placed)
        messages += [(group, report) for report in reports]
    return messages


def positions(offering_id: int, accounts: dict, batch: LedgerBatch) -> list[tuple[str, dict]]:
    """Each owner's balances that `batch` changed, among `accounts` ((owner, asset) to account),
    as one `outboundAccountPosition` per owner."""
    return [
        (user_group(offering_id=offering_id, owner_id=owner), position)
        for owner, position in _positions(accounts, batch).items()
    ]


def _touched_levels(settlement, engine, units) -> tuple[list, list]:
    touched = {
        (order.side, order.price)
        for order in settlement.orders.values()
        if order.price is not None and order.type in BOOK_TYPES
    }
    bids, asks = [], []
    for side, price in sorted(touched):
        quantity = units.quantity(engine.level_quantity(side, units.to_ticks(price)))
        (bids if side == Order.Side.BUY else asks).append((price, quantity))
    return bids, asks


def _execution_reports(market, order: Order, its_trades: list[Trade], placed: bool) -> list:
    """Binance sends one report when an order is placed, one per trade of it, and one when it
    ends otherwise (cancelled or expired)."""
    reports = [_report(market, order, "NEW", None)] if placed else []
    reports += [_report(market, order, "TRADE", trade) for trade in its_trades]
    if order.status in ENDED_OTHERWISE:
        reports.append(_report(market, order, ENDED_OTHERWISE[order.status], None))
    return reports


def _report(market: Market, order: Order, execution: str, trade: Trade | None) -> dict:
    bought = trade is not None and trade.buyer_order_id == order.pk
    is_maker = trade is not None and (trade.is_buyer_maker == bought)
    fee = (trade.buyer_fee if bought else trade.seller_fee) if trade is not None else Decimal(0)
    return {
        "e": "executionReport",
        "E": now_ms(),
        "s": market.symbol,
        "c": order.client_order_id,
        "S": order.side,
        "o": order.type,
        "f": order.time_in_force or "GTC",
        "q": amount(order.orig_qty),
        "p": amount(order.price),
        "P": amount(order.stop_price),
        "F": "0.00000000",
        "g": -1,
        "C": "",
        "x": execution,
        "X": order.status,
        "r": "NONE",
        "i": order.pk,
        "l": amount(trade.qty if trade else None),
        "z": amount(order.executed_qty),
        "L": amount(trade.price if trade else None),
        "n": amount(fee),
        "N": (market.base_id if bought else market.quote_id) if trade is not None else None,
        "T": epoch_ms(order.updated_at),
        "t": trade.pk if trade is not None else -1,
        "w": order.status in ("NEW", "PARTIALLY_FILLED"),
        "m": is_maker,
        "O": epoch_ms(order.created_at),
        "Z": amount(order.cummulative_quote_qty),
        "Y": amount(trade.quote_qty if trade else None),
        "Q": amount(order.orig_quote_order_qty),
        "V": order.self_trade_prevention_mode,
    }


def _positions(accounts: dict, batch: LedgerBatch) -> dict[int, dict]:
    by_owner: dict[int, list] = {}
    for (owner, code), account in accounts.items():
        if account.pk in batch.balances:
            available, locked = batch.balances[account.pk]
            by_owner.setdefault(owner, []).append(
                {"a": code, "f": amount(available), "l": amount(locked)}
            )
    at = now_ms()
    return {
        owner: {"e": "outboundAccountPosition", "E": at, "u": at, "B": balances}
        for owner, balances in by_owner.items()
    }
