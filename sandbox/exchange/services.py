"""Orders in, trades out: the exchange's writes.

Each public function is one transaction. Under the market's locks (see `engines.py`) it validates,
holds funds, asks the engine, and settles the result into orders, trades and balanced ledger
postings, all committed together or not at all.
"""

from __future__ import annotations

import copy
import logging
import secrets
from collections.abc import Sequence

from django.db import IntegrityError, connection, transaction

from campus import sqlrows
from sandbox.exchange.announce import announce
from sandbox.exchange.engine import (
    MAKER_WOULD_TAKE,
    STOP_WOULD_TRIGGER,
    OrderStatus,
    UnknownOrder,
)
from sandbox.exchange.engine import Order as EngineOrder
from sandbox.exchange.engines import engine_for, mark_changed, market_writer
from sandbox.exchange.errors import (
    CancelRejected,
    ExchangeError,
    MarketClosed,
    OrderRejected,
    duplicate_order,
    insufficient_balance,
)
from sandbox.exchange.filters import OrderRequest, check_filters, check_shape
from sandbox.exchange.models import OPEN_STATUSES, Market, Order
from sandbox.exchange.selectors import market_row
from sandbox.exchange.settlement import Settlement, held_asset
from sandbox.exchange.units import MarketUnits
from sandbox.wallet.api import InsufficientBalance, LedgerBatch, user_accounts

REJECTION_CODES = {MAKER_WOULD_TAKE: "would_take", STOP_WOULD_TRIGGER: "would_trigger"}
logger = logging.getLogger(__name__)


def place_order(*, owner_id: int, market: Market, request: OrderRequest) -> Order:
    """Place an order for `owner_id` and match it. Returns the saved order (its trades saved too,
    and listed in `order.new_fills`, oldest first, so that a caller needs no query for them).

    Refusals raise an `ExchangeError` and change nothing. A repeated `client_order_id` in the
    same market is refused as a duplicate (Binance -2010), never placed or charged twice.
    """
    request = check_shape(request)
    check_filters(market, request)
    with market_writer(market.pk) as book, transaction.atomic(durable=True):
        locked = lock_market(market.pk)
        if locked.status != Market.Status.TRADING:
            raise MarketClosed(locked.symbol)
        return _place_locked(book, locked, owner_id, request)


def place_orders(
    *, owner_id: int, market: Market, requests: list[OrderRequest]
) -> list[Order | ExchangeError]:
    """Place several orders for one owner in one market, in order, in one transaction (a bot's
    quotes for a tick): `place_batch` with one owner. Each order is all or nothing on its own:
    a refused one is returned as its `ExchangeError` in its place, the others stand. Should the
    lot be rolled back as a whole, each is placed on its own."""
    try:
        return place_batch(market=market, entries=[(owner_id, r) for r in requests])
    except BatchRolledBack:  # e.g. a balance spent by another market's order a moment earlier
        logger.info(
            "a batch of %d orders was rolled back; placing them one by one",
            len(requests),
            exc_info=True,
        )
    results: list[Order | ExchangeError] = []
    for request in requests:
        try:
            results.append(place_order(owner_id=owner_id, market=market, request=request))
        except ExchangeError as refused:
            results.append(refused)
    return results


def place_batch(
    *, market: Market, entries: Sequence[tuple[int, OrderRequest]]
) -> list[Order | ExchangeError]:
    """Place orders of any owners in one market, in the order given, in one transaction: what
    `place_order` does for each, with the market locked, the rows and the ledger written, and
    the transaction committed once for the lot (group commit: the API's order desk, desk.py,
    sends the orders that arrive together). Each entry's outcome is its saved order (with
    `new_fills`) or the `ExchangeError` that refused it, which changed nothing.

    Every refusal is found before anything is written, so no order needs a savepoint: the order
    ids are taken from the table's sequence up front, each owner's balances are followed in
    memory from order to order (`LedgerBatch.follow`), and the engine refuses an order without
    changing its book. Anything else that goes wrong rolls the whole lot back and raises
    `BatchRolledBack`, after which the caller may place the orders one by one; an error once
    the transaction may have committed (its COMMIT failed) is raised as it is."""
    outcomes: list[Order | ExchangeError] = []
    decided = False  # the transaction's body ran to its end: from here on it may have committed
    with market_writer(market.pk) as book:
        try:
            with transaction.atomic(durable=True):
                locked = lock_market(market.pk)
                if locked.status != Market.Status.TRADING:
                    return [_closed(locked, request) for _, request in entries]
                outcomes = _place_batch_locked(book, locked, entries)
                decided = True
        except BaseException as error:
            book.engine = None  # it may hold orders of a transaction that did not commit
            if not decided or isinstance(error, IntegrityError):  # surely rolled back
                raise BatchRolledBack() from error
            raise  # COMMIT failed (committed or not, nobody knows) or a commit hook did
    return outcomes


class BatchRolledBack(Exception):
    """A batch failed and its transaction was rolled back: none of its orders was placed."""


def _closed(market: Market, request: OrderRequest) -> ExchangeError:
    """What `place_order` answers in a halted market: a malformed order's own error first."""
    try:
        check_filters(market, check_shape(request))
    except ExchangeError as refused:
        return refused
    return MarketClosed(market.symbol)


def _place_batch_locked(book, locked: Market, entries) -> list[Order | ExchangeError]:
    units = MarketUnits(locked.tick_size, locked.lot_size)
    engine = engine_for(book, locked)
    ledger = LedgerBatch(locked.offering_id, follow=True)
    settlement = Settlement(locked, units, ledger)
    _batch_accounts(locked, {owner for owner, _ in entries}, settlement)
    taken = _taken_pairs(locked, entries)
    order_ids = _new_order_ids(len(entries))
    mark_changed(book, locked)
    assets = (locked.base_id, locked.quote_id)
    outcomes: list[Order | ExchangeError] = []
    placed: list[Order] = []
    for (owner_id, request), order_id in zip(entries, order_ids, strict=True):
        accounts = {code: settlement.accounts[(owner_id, code)] for code in assets}
        try:
            order, result = _admit(
                locked, units, engine, accounts, owner_id, request, order_id, taken
            )
        except ExchangeError as refused:  # nothing of it was written, the engine is as it was
            outcomes.append(refused)
            continue
        taken.add((owner_id, order.client_order_id))
        if order.held:
            ledger.hold(
                accounts[held_asset(order, locked)], order.held, reference=f"order:{order.pk}"
            )
        settlement.track(order, new=True)
        _settle_market_order_hold(order, result, units, locked, accounts, ledger)
        settlement.apply(result)
        settlement.release_excess()  # so that the owner's next order sees what came back
        placed.append(order)
        outcomes.append(order)
    settlement.write()
    _commit_ledger(ledger)
    _save_market(locked, engine, units)
    announce(locked, settlement, ledger, engine, units, placed={o.pk for o in placed})
    for order in placed:
        order.new_fills = [
            t for t in settlement.trades if order.pk in (t.buyer_order_id, t.seller_order_id)
        ]
    return outcomes


def _admit(locked, units, engine, accounts, owner_id, request, order_id, taken):
    """Check one order of a batch against its owner's `accounts` (as the batch has left them)
    and give it to the engine: (order, engine result), or an ExchangeError raised before
    anything changed."""
    request = check_shape(request)
    check_filters(locked, request)
    client_id = request.client_order_id or _fresh_client_id()
    if (owner_id, client_id) in taken:
        raise duplicate_order()
    order = _new_order(locked, owner_id, client_id, request)
    order.pk, order.book_version = order_id, locked.book_version
    budget = _plan_hold(order, request, locked, units, accounts, engine)
    # Selling for a quote amount is the one order whose need is known only after matching:
    # keep the book as it was, to put back if the sale turns out to need more than is there.
    kept = copy.deepcopy(engine) if _sells_for_quote(request) else None
    result = engine.submit(_engine_order(order, request, units, budget))
    if result.status == OrderStatus.REJECTED:  # the engine changed nothing
        raise OrderRejected(
            result.reject_reason, code=REJECTION_CODES.get(result.reject_reason, "rejected")
        )
    if kept is not None and result.executed_quantity:
        try:
            _check_market_sale(units.quantity(result.executed_quantity), accounts[locked.base_id])
        except ExchangeError:
            engine.take_state_of(kept)
            raise
    return order, result


def _sells_for_quote(request: OrderRequest) -> bool:
    return (
        request.type == Order.Type.MARKET
        and request.side == Order.Side.SELL
        and (request.quote_order_qty is not None)
    )


def _batch_accounts(locked: Market, owners: set[int], settlement: Settlement) -> None:
    """Every owner's account in the market's two assets (and the fee accounts), into the
    settlement in one query; created where missing."""
    settlement.read_accounts(owners)
    assets = (locked.base_id, locked.quote_id)
    for owner in sorted(owners):
        if any((owner, code) not in settlement.accounts for code in assets):
            mine = user_accounts(offering_id=locked.offering_id, owner_id=owner, asset_codes=assets)
            settlement.accounts.update({(owner, code): account for code, account in mine.items()})


def _taken_pairs(market: Market, entries) -> set[tuple[int, str]]:
    """Which (owner, client order id) pairs of a batch are already used in the market."""
    wanted = sorted({r.client_order_id for _, r in entries if r.client_order_id is not None})
    if not wanted:
        return set()
    owner, client_id = sqlrows.column(Order, "owner"), sqlrows.column(Order, "client_order_id")
    owner_in, owner_params = sqlrows.in_list(owner, sorted({o for o, _ in entries}), "bigint")
    wanted_in, wanted_params = sqlrows.in_list(client_id, wanted, "text")
    with sqlrows.prepared() as cursor:  # Binance clients name every order: one prepared text
        cursor.execute(
            f"SELECT {owner}, {client_id} FROM {sqlrows.table(Order)}"  # noqa: S608 (names from _meta, values as parameters)
            f" WHERE {sqlrows.column(Order, 'market')} = %s AND {owner_in} AND {wanted_in}",
            [market.pk, *owner_params, *wanted_params],
        )
        return set(cursor.fetchall())


def _new_order_ids(count: int) -> list[int]:
    """`count` order ids, ascending, for rows this transaction will insert. Taken under the
    market's lock, so they are above every id the market's engine has seen."""
    table = Order._meta.db_table
    with sqlrows.prepared() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        # SQLite: writers are serialised (transactions begin IMMEDIATE), so the ids after the
        # highest ever given out are free; the table's sequence is moved past them, as
        # PostgreSQL's is, so that ids of refused orders (which the engine saw) are not reused.
        sql = f"SELECT MAX(n) FROM (SELECT MAX(id) AS n FROM {table} UNION ALL SELECT seq FROM sqlite_sequence WHERE name = %s)"  # noqa: S608 (a model's table)
        cursor.execute(sql, [table])
        last = cursor.fetchone()[0] or 0
        cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
        cursor.execute(
            "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, last + count]
        )
        return list(range(last + 1, last + 1 + count))


def _place_locked(book, locked: Market, owner_id: int, request: OrderRequest) -> Order:
    """Place and match one checked order in a market its caller has locked; its stream
    messages go out on commit."""
    client_id = _client_order_id(locked, owner_id, request)
    units = MarketUnits(locked.tick_size, locked.lot_size)
    engine = engine_for(book, locked)
    accounts = user_accounts(
        offering_id=locked.offering_id,
        owner_id=owner_id,
        asset_codes=[locked.base_id, locked.quote_id],
    )
    order = _new_order(locked, owner_id, client_id, request)
    budget = _plan_hold(order, request, locked, units, accounts, engine)
    mark_changed(book, locked)  # refusals before this leave the engine as it was
    order.book_version = locked.book_version
    sqlrows.insert([order])  # held is already what it will lock: a resting order needs no UPDATE
    batch = LedgerBatch(locked.offering_id)
    if order.held:
        batch.hold(accounts[held_asset(order, locked)], order.held, reference=f"order:{order.pk}")
    result = engine.submit(_engine_order(order, request, units, budget))
    if result.status == OrderStatus.REJECTED:
        raise OrderRejected(
            result.reject_reason, code=REJECTION_CODES.get(result.reject_reason, "rejected")
        )
    settlement = Settlement(locked, units, batch)
    settlement.track(order)
    settlement.accounts.update({(owner_id, code): a for code, a in accounts.items()})
    _settle_market_order_hold(order, result, units, locked, accounts, batch)
    settlement.apply(result)
    settlement.finish()
    _commit_ledger(batch)
    _save_market(locked, engine, units)
    announce(locked, settlement, batch, engine, units, placed={order.pk})
    order.new_fills = [
        t for t in settlement.trades if order.pk in (t.buyer_order_id, t.seller_order_id)
    ]
    return order


def lock_market(market_id: int) -> Market:
    """The market row, locked until the transaction ends: the cross-process half of "one writer
    per market". Only the market row: locking the joined asset rows too would make every market
    quoted in the same asset (all the KRW ones) wait for each other."""
    market = market_row("m.id = %s", [market_id], for_update=True)
    if market is None:
        raise Market.DoesNotExist(f"market {market_id}")
    return market


def cancel_order(
    *,
    owner_id: int,
    market: Market,
    order_id: int | None = None,
    client_order_id: str | None = None,
) -> Order:
    """Cancel one of the owner's open orders and release its hold. Unknown or closed: -2011."""
    with market_writer(market.pk) as book, transaction.atomic(durable=True):
        locked = lock_market(market.pk)
        mine = Order.objects.filter(market=locked, owner_id=owner_id, status__in=OPEN_STATUSES)
        order = (
            mine.filter(pk=order_id)
            if order_id is not None
            else mine.filter(client_order_id=client_order_id)
        ).first()
        if order is None:
            raise CancelRejected(
                "No open order of yours matches that orderId or origClientOrderId."
            )
        _cancel_locked(book, locked, [order])
        return order


def cancel_open_orders(*, owner_id: int, market: Market) -> list[Order]:
    """Cancel every open order the owner has in the market (Binance DELETE openOrders)."""
    with market_writer(market.pk) as book, transaction.atomic(durable=True):
        locked = lock_market(market.pk)
        orders = list(
            Order.objects.filter(
                market=locked, owner_id=owner_id, status__in=OPEN_STATUSES
            ).order_by("pk")
        )
        if not orders:
            raise CancelRejected("You have no open orders in this market.")
        _cancel_locked(book, locked, orders)
        return orders


def _cancel_locked(book, market: Market, orders: list[Order]) -> None:
    units = MarketUnits(market.tick_size, market.lot_size)
    engine = engine_for(book, market)
    mark_changed(book, market)
    batch = LedgerBatch(market.offering_id)
    settlement = Settlement(market, units, batch)
    accounts = user_accounts(
        offering_id=market.offering_id,
        owner_id=orders[0].owner_id,
        asset_codes=[market.base_id, market.quote_id],
    )
    settlement.accounts.update({(orders[0].owner_id, code): a for code, a in accounts.items()})
    for order in orders:
        try:
            engine.cancel(order.pk)
        except UnknownOrder:
            raise CancelRejected("The order is no longer on the book.") from None
        settlement.track(order)
        settlement.cancel(order)
    settlement.finish()
    _commit_ledger(batch)
    _save_market(market, engine, units)
    announce(market, settlement, batch, engine, units)


def _client_order_id(market: Market, owner_id: int, request: OrderRequest) -> str:
    """The caller's id, refused if already used in this market; or a fresh one, which needs no
    look-up (22 random characters; the unique constraint still stands behind it)."""
    if request.client_order_id is None:
        return _fresh_client_id()
    if _taken_pairs(market, [(owner_id, request)]):  # no race: the caller holds the lock
        raise duplicate_order()
    return request.client_order_id


def _fresh_client_id() -> str:
    return "bc-" + secrets.token_urlsafe(16)[:22]


def _new_order(market: Market, owner_id: int, client_id: str, request: OrderRequest) -> Order:
    return Order(
        market=market,
        owner_id=owner_id,
        client_order_id=client_id,
        side=request.side,
        type=request.type,
        time_in_force=request.time_in_force or ("GTC" if request.type != Order.Type.MARKET else ""),
        price=request.price,
        stop_price=request.stop_price,
        orig_qty=request.quantity,
        orig_quote_order_qty=request.quote_order_qty,
        self_trade_prevention_mode=request.self_trade_prevention_mode or "EXPIRE_MAKER",
    )


def _plan_hold(
    order: Order, request: OrderRequest, market: Market, units: MarketUnits, accounts, engine
) -> int | None:
    """Check what a resting order must lock and set `order.held` to it (a market order holds
    after matching); return the engine's quote budget for a market buy."""
    account = accounts[held_asset(order, market)]
    if order.type == Order.Type.MARKET:
        if order.side == Order.Side.SELL:
            if order.orig_qty is not None and order.orig_qty > account.available:
                raise insufficient_balance(
                    f"Selling {order.orig_qty.normalize():f} {account.asset_id} needs that much "
                    f"available; you have {account.available.normalize():f}."
                )
            return None  # held after matching, from what was actually sold
        return _market_buy_budget(order, request, units, account, engine)
    amount = order.orig_qty * order.price if order.side == Order.Side.BUY else order.orig_qty
    if amount > account.available:
        raise insufficient_balance(
            f"This order needs {amount.normalize():f} {account.asset_id}; you have "
            f"{account.available.normalize():f} available."
        )
    order.held = amount
    return None


def _market_buy_budget(order, request, units: MarketUnits, account, engine) -> int:
    """Refuse a market buy the balance cannot pay for in full, as Binance does (-2010), rather
    than fill part of it: by quote amount, that amount; by quantity, what the book would cost."""
    if request.quote_order_qty is not None:
        needed = request.quote_order_qty
    else:
        needed = units.notional(_cost_of_buying(engine, units.to_lots(order.orig_qty)))
    if needed > account.available or account.available <= 0:
        raise insufficient_balance(
            f"This market buy needs about {needed.normalize():f} {account.asset_id} at the "
            f"current asks; you have {account.available.normalize():f} available."
        )
    return units.notional_units_within(
        min(account.available, needed) if needed else account.available
    )


def _cost_of_buying(engine, lots: int) -> int:
    """Notional units to buy `lots` from the asks, best first (what the book can fill)."""
    cost = 0
    for price, available in engine.depth(limit=1_000_000).asks:
        take = min(lots, available)
        cost += price * take
        lots -= take
        if lots == 0:
            break
    return cost


def _settle_market_order_hold(order, result, units, market, accounts, batch) -> None:
    """A market order holds exactly what it executed, just before its trades consume it."""
    if order.type != Order.Type.MARKET or not result.executed_quantity:
        return
    amount = (
        units.notional(result.executed_notional)
        if order.side == Order.Side.BUY
        else units.quantity(result.executed_quantity)
    )
    account = accounts[held_asset(order, market)]
    if order.side == Order.Side.SELL:
        _check_market_sale(amount, account)
    elif amount > account.available:
        raise insufficient_balance()
    order.held = amount
    batch.hold(account, amount, reference=f"order:{order.pk}")


def _check_market_sale(amount, account) -> None:
    if amount > account.available:
        raise insufficient_balance(
            f"Selling needs {amount.normalize():f} {account.asset_id}; you have "
            f"{account.available.normalize():f}."
        )


def _engine_order(
    order: Order, request: OrderRequest, units: MarketUnits, budget: int | None
) -> EngineOrder:
    return EngineOrder(
        order_id=order.pk,
        account=order.owner_id,
        side=order.side,
        kind=order.type,
        price=units.to_ticks(order.price) if order.price is not None else None,
        quantity=units.to_lots(order.orig_qty) if order.orig_qty is not None else None,
        quote_quantity=(
            units.notional_units_within(request.quote_order_qty)
            if request.quote_order_qty is not None
            else None
        ),
        quote_budget=budget,
        time_in_force=order.time_in_force or "GTC",
        stop_price=units.to_ticks(order.stop_price) if order.stop_price is not None else None,
        self_trade_prevention=order.self_trade_prevention_mode,
    )


def _commit_ledger(batch: LedgerBatch) -> None:
    try:
        batch.commit()
    except InsufficientBalance:
        raise insufficient_balance() from None


def _save_market(market: Market, engine, units: MarketUnits) -> None:
    if engine.last_price is not None:
        market.last_price = units.price(engine.last_price)
    sqlrows.update(market, ["book_version", "last_price"])
