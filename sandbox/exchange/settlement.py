"""Turning what the engine decided into database rows and ledger postings.

One `Settlement` per market in a placement, cancellation or batch of placements: it updates the touched
orders, writes the trades, and adds to the caller's `LedgerBatch` one balanced journal per trade
(the buyer's locked quote to the seller and the fee account, the seller's locked base to the
buyer and the fee account) and a release for every hold an order no longer needs. Fees are
charged in the asset each side receives, as Binance does without BNB, so a hold never has to
cover a fee.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db import connection
from django.utils import timezone

from campus import sqlrows
from sandbox.exchange.engine import OrderStatus, SubmitResult
from sandbox.exchange.models import OPEN_STATUSES, Market, Order, Trade
from sandbox.exchange.selectors import send_order_rows
from sandbox.exchange.units import MarketUnits
from sandbox.wallet.api import (
    AVAILABLE,
    LOCKED,
    Account,
    Journal,
    LedgerBatch,
    Leg,
    send_accounts_for_trading,
    system_account,
)

PROGRESS_FIELDS = ("status", "executed_qty", "cummulative_quote_qty", "held", "stop_triggered")
ORDER_FIELDS = [*PROGRESS_FIELDS, "book_version", "updated_at"]


class Settlement:
    def __init__(
        self,
        market: Market,
        units: MarketUnits,
        batch: LedgerBatch,
        *,
        accounts: dict[tuple[int, str], Account] | None = None,
        fee_accounts: dict[str, Account] | None = None,
    ) -> None:
        """`accounts` and `fee_accounts` may be shared by the settlements of several markets of
        one offering settled into one `batch` (an owner's KRW is the same account in each)."""
        self.market = market
        self.units = units
        self.batch = batch
        self.orders: dict[int, Order] = {}
        self._preloaded: dict[int, Order] = {}
        self._as_loaded: dict[int, tuple] = {}
        self._new: list[Order] = []  # placed in this settlement: inserted, not updated
        self.accounts = {} if accounts is None else accounts
        self.trades: list[Trade] = []
        self.fee_accounts = {} if fee_accounts is None else fee_accounts

    # -- loading -----------------------------------------------------------------------------

    def track(self, order: Order, *, new: bool = False) -> None:
        """Settle `order`, saved as it is now: `finish` writes it only if it changes. A `new`
        order (its primary key taken, its row not yet written) is inserted as it ends up."""
        self.orders[order.pk] = order
        self._as_loaded[order.pk] = _progress(order)
        if new:
            self._new.append(order)

    def load(self, result: SubmitResult) -> None:
        """Fetch every order and account the result touches: two queries, sent together (the
        engine names each order's owner, so the accounts need not wait for the orders)."""
        _load({self: self.needs([result])})

    def preload(self, orders: Iterable[Order]) -> None:
        """Orders read ahead, as they are in the database now, that results may touch: `needs`
        tracks those that results do touch instead of reading them. The others are neither
        written nor announced."""
        self._preloaded.update((order.pk, order) for order in orders)

    def needs(self, results: list[SubmitResult]) -> _Needs:
        """What this settlement still has to read to apply `results` (tracking first the orders
        they touch that were preloaded)."""
        touched = {}
        for result in results:
            touched.update(_touched(result))
        for order_id in touched:  # in the order the results touch them
            order = self._preloaded.pop(order_id, None)
            if order is not None and order_id not in self.orders:
                self.track(order)
        owners = {order.owner_id for order in self.orders.values()} | set(touched.values())
        assets = (self.market.base_id, self.market.quote_id)
        wanted = {(o, a) for o in owners for a in assets}
        needs_fees = any(r.trades or r.triggered for r in results) and len(self.fee_accounts) < 2
        return _Needs(
            order_ids=sorted(set(touched) - set(self.orders)),
            owner_ids=sorted(owners) if wanted - set(self.accounts) or needs_fees else [],
        )

    def send_load(self, needs: _Needs) -> Callable[[], None]:
        """Send the reads `needs` names; the function returned files what they found (inside
        `sqlrows.pipeline()`, with other settlements' loads, in one round trip)."""
        orders = send_orders(needs.order_ids) if needs.order_ids else list
        accounts = (
            send_accounts_for_trading(
                offering_id=self.market.offering_id,
                owner_ids=needs.owner_ids,
                asset_codes=[self.market.base_id, self.market.quote_id],
                fees=True,
            )
            if needs.owner_ids
            else list
        )

        def read() -> None:
            for order in orders():
                self.track(order)
            file_accounts(accounts(), self.accounts, self.fee_accounts)

        return read

    # -- applying ----------------------------------------------------------------------------

    def apply(self, result: SubmitResult) -> None:
        self.load(result)
        self.apply_loaded(result)

    def apply_loaded(self, result: SubmitResult) -> None:
        """Apply a result whose orders and accounts are loaded (`needs` is empty)."""
        self._apply_one(result)
        for triggered in result.triggered:
            self._apply_one(triggered)

    def _apply_one(self, result: SubmitResult) -> None:
        for trade in result.trades:
            self._trade(trade.maker_order_id, trade.taker_order_id, trade.price, trade.quantity)
        for update in result.maker_updates:
            self._set_progress(
                update.order_id, update.status, update.executed_quantity, update.executed_notional
            )
        for expired in result.expired_makers:
            self._set_progress(
                expired.order_id,
                OrderStatus.EXPIRED_IN_MATCH,
                expired.executed_quantity,
                expired.executed_notional,
            )
        status = result.status
        self._set_progress(
            result.order_id, status, result.executed_quantity, result.executed_notional
        )
        if result.order_id in self.orders and self.orders[result.order_id].type in (
            Order.Type.STOP_LOSS_LIMIT,
            Order.Type.TAKE_PROFIT_LIMIT,
        ):
            self.orders[result.order_id].stop_triggered = (
                result.on_book or status not in OPEN_STATUSES
            )

    def _set_progress(self, order_id: int, status: str, lots: int, notional: int) -> None:
        order = self.orders[order_id]
        order.status = str(status)
        order.executed_qty = self.units.quantity(lots)
        order.cummulative_quote_qty = self.units.notional(notional)

    def cancel(self, order: Order) -> None:
        order.status = Order.Status.CANCELED

    def _trade(self, maker_id: int, taker_id: int, ticks: int, lots: int) -> None:
        maker, taker = self.orders[maker_id], self.orders[taker_id]
        buyer, seller = (maker, taker) if maker.side == Order.Side.BUY else (taker, maker)
        price, qty = self.units.price(ticks), self.units.quantity(lots)
        quote = self.units.notional(ticks * lots)
        buyer_rate = self.market.maker_fee if buyer is maker else self.market.taker_fee
        seller_rate = self.market.maker_fee if seller is maker else self.market.taker_fee
        buyer_fee = _fee(qty, buyer_rate, self.market.base.quantum)
        seller_fee = _fee(quote, seller_rate, self.market.quote.quantum)
        base, quote_code = self.market.base_id, self.market.quote_id
        trade = Trade(
            market=self.market,
            price=price,
            qty=qty,
            quote_qty=quote,
            buyer_order=buyer,
            seller_order=seller,
            buyer_id=buyer.owner_id,
            seller_id=seller.owner_id,
            is_buyer_maker=buyer is maker,
            buyer_fee=buyer_fee,
            seller_fee=seller_fee,
        )
        self.trades.append(trade)
        buyer.held -= quote
        seller.held -= qty
        legs = [
            Leg(self.accounts[(buyer.owner_id, quote_code)], LOCKED, -quote),
            Leg(self.accounts[(seller.owner_id, quote_code)], AVAILABLE, quote - seller_fee),
            Leg(self._fees(quote_code), AVAILABLE, seller_fee),
            Leg(self.accounts[(seller.owner_id, base)], LOCKED, -qty),
            Leg(self.accounts[(buyer.owner_id, base)], AVAILABLE, qty - buyer_fee),
            Leg(self._fees(base), AVAILABLE, buyer_fee),
        ]
        self.batch.add(Journal.Kind.TRADE, legs, reference=f"trade:{buyer.pk}/{seller.pk}")

    def _fees(self, asset_code: str) -> Account:
        if asset_code not in self.fee_accounts:
            self.fee_accounts[asset_code] = system_account(
                offering_id=self.market.offering_id, asset_code=asset_code, kind=Account.Kind.FEES
            )
        return self.fee_accounts[asset_code]

    # -- finishing ---------------------------------------------------------------------------

    def finish(self) -> None:
        """Release holds orders no longer need, then write orders and trades."""
        self.release_excess()
        self.write()

    def release_excess(self) -> None:
        """Release what each order's hold has beyond what it still needs."""
        for order in self.orders.values():
            excess = order.held - required_hold(order, self.units)
            if excess > 0:
                account = self.accounts[(order.owner_id, held_asset(order, self.market))]
                self.batch.release(account, excess, reference=f"order:{order.pk}")
                order.held -= excess

    def write(self) -> None:
        """Insert the new orders, update the others that changed, insert the trades."""
        send_settlements([self])()

    def changed(self) -> list[Order]:
        """The orders, other than new ones, that changed since they were tracked."""
        new = {order.pk for order in self._new}
        return [
            o
            for o in self.orders.values()
            if o.pk not in new and _progress(o) != self._as_loaded[o.pk]
        ]


class Deferred:
    """A batch's results that wait to be settled until the orders and accounts they touch can be
    read for all of them at once, in one round trip, instead of one round trip for each order
    that crosses the book. They are settled (`settle`), in the order they came, as the batch's
    last step, or before an order of an owner they touch is admitted (`settle_touching`): that
    owner's balances must be as the results leave them."""

    def __init__(self) -> None:
        self.results: list[tuple[Settlement, SubmitResult]] = []
        self.owners: set[int] = set()

    def apply(self, settlement: Settlement, result: SubmitResult) -> None:
        """Settle `result` now if nothing waits and it needs no read; else it waits."""
        if not self.results and not settlement.needs([result]).queries:
            settlement.apply_loaded(result)
            settlement.release_excess()  # so that the owner's next order sees what came back
            return
        self.results.append((settlement, result))
        self.owners.update(owner for _, owner in _touched(result))

    def settle_touching(self, owner_id: int) -> None:
        if owner_id in self.owners:
            self.settle()

    def settle(self) -> None:
        by_settlement: dict[Settlement, list[SubmitResult]] = {}
        for settlement, result in self.results:
            by_settlement.setdefault(settlement, []).append(result)
        _load({s: s.needs(results) for s, results in by_settlement.items()})
        for settlement, result in self.results:
            settlement.apply_loaded(result)
        for settlement in by_settlement:  # once all are applied: till then some orders are not
            settlement.release_excess()  # as they end up (a market order by quote has no size)
        self.results, self.owners = [], set()


def _load(needs: dict[Settlement, _Needs]) -> None:
    """Read what each settlement needs: on PostgreSQL in one round trip for all (a pipeline
    costs one of its own: not for one query)."""
    with sqlrows.pipeline() if sum(n.queries for n in needs.values()) > 1 else nullcontext():
        reads = [s.send_load(n) for s, n in needs.items() if n.queries]
    for read in reads:
        read()


@dataclass(frozen=True)
class _Needs:
    """What a settlement has to read before it applies some results: the orders it lacks, and
    the owners whose accounts (and the fee accounts) it reads, if it lacks any."""

    order_ids: list[int]
    owner_ids: list[int]

    @property
    def queries(self) -> int:
        return bool(self.order_ids) + bool(self.owner_ids)


def file_accounts(found: list[Account], accounts: dict, fee_accounts: dict) -> None:
    """Accounts read (`accounts_for_trading` with its fee accounts) into `accounts` (by (owner,
    asset)) and `fee_accounts` (by asset). Those held already are kept: they may carry changes
    not yet written."""
    for account in found:
        if account.kind == Account.Kind.FEES:
            fee_accounts.setdefault(account.asset_id, account)
        else:
            accounts.setdefault((account.owner_id, account.asset_id), account)


def send_settlements(settlements: list[Settlement]) -> Callable[[], None]:
    """Write what settlements (of one market or several) did, one statement of each kind for
    all of them: the new orders inserted, the others that changed updated (stamped with their
    market's book version, so that other processes' engines catch up on them), the trades
    inserted. Sent now; the function returned sets the trades' ids (inside `sqlrows.pipeline()`
    it waits for them only then, and nothing else here waits)."""
    sqlrows.send_insert([order for s in settlements for order in s._new], keep_pk=True)
    now = timezone.now()
    changed = []
    for settlement in settlements:
        for order in settlement.changed():
            order.updated_at, order.book_version = now, settlement.market.book_version
            changed.append(order)
    if changed and connection.vendor == "postgresql":
        _update_orders_in_one_statement(changed)  # no row count to wait for
    elif len(changed) == 1:  # bulk_update's CASE costs more than it saves
        sqlrows.update(changed[0], ORDER_FIELDS)
    elif changed:
        Order.objects.bulk_update(changed, ORDER_FIELDS)
    return sqlrows.send_insert([trade for s in settlements for trade in s.trades])


def send_orders(ids: list[int]) -> Callable[[], list[Order]]:
    """`Order.objects.filter(pk__in=ids)`, sent: the makers that fills touch, read ahead of
    placing a batch (`makers.likely_makers`) or as they are found."""
    return send_order_rows(*sqlrows.in_list("o.id", ids, "bigint"))


def _update_orders_in_one_statement(orders: list[Order]) -> None:
    """UPDATE ... FROM unnest(...): a tenth of what bulk_update's CASE per column costs here,
    and one fixed text for any number of orders, so PostgreSQL plans it once."""
    with sqlrows.prepared() as cursor:
        cursor.execute(
            f"UPDATE {Order._meta.db_table} AS o SET status = v.status, "  # noqa: S608
            "executed_qty = v.executed_qty, cummulative_quote_qty = v.cummulative_quote_qty, "
            "held = v.held, stop_triggered = v.stop_triggered, book_version = v.book_version, "
            "updated_at = v.updated_at FROM unnest(%s::bigint[], %s::varchar[], %s::numeric[], "
            "%s::numeric[], %s::numeric[], %s::boolean[], %s::bigint[], %s::timestamptz[]) "
            "AS v(id, status, executed_qty, cummulative_quote_qty, held, stop_triggered, "
            "book_version, updated_at) WHERE o.id = v.id",
            [
                sqlrows.array(o.pk for o in orders),
                sqlrows.array(o.status for o in orders),
                sqlrows.array(o.executed_qty for o in orders),
                sqlrows.array(o.cummulative_quote_qty for o in orders),
                sqlrows.array(o.held for o in orders),
                sqlrows.array(o.stop_triggered for o in orders),
                sqlrows.array(o.book_version for o in orders),
                sqlrows.array(o.updated_at for o in orders),
            ],
        )


def held_asset(order: Order, market: Market) -> str:
    return market.quote_id if order.side == Order.Side.BUY else market.base_id


def required_hold(order: Order, units: MarketUnits) -> Decimal:
    """What an order must still have locked: nothing once closed; for an open BUY, its limit
    price times what is left to fill; for an open SELL, what is left to fill."""
    if order.status not in OPEN_STATUSES:
        return Decimal(0)
    remaining = order.orig_qty - order.executed_qty
    return remaining * order.price if order.side == Order.Side.BUY else remaining


def _fee(amount: Decimal, rate: Decimal, quantum: Decimal) -> Decimal:
    return (amount * rate).quantize(quantum, rounding=ROUND_DOWN)


def _progress(order: Order) -> tuple:
    return tuple(getattr(order, name) for name in PROGRESS_FIELDS)


def _touched(result: SubmitResult):
    """(order id, owner) of every order the result touches (the engine's accounts are owners)."""
    yield result.order_id, result.account
    for trade in result.trades:
        yield trade.maker_order_id, trade.maker_account
    for update in result.expired_makers:
        yield update.order_id, update.account
    for triggered in result.triggered:
        yield from _touched(triggered)
