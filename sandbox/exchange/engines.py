"""Each process's in-memory matching engines, kept in step with the database.

Matching for a market is serialised twice: a thread lock per market inside this process, and the
market row's `SELECT ... FOR UPDATE` across processes. Under both locks a caller asks for the
engine. If another process changed the book since this process last saw it, `Market.book_version`
is ahead of the engine's: the engine catches up by re-reading only the orders whose own
`book_version` is newer (every write stamps them), which costs what changed, not the whole book.
With several web processes taking turns on a market, a full rebuild on every turn was what
limited throughput. A full rebuild from the open orders, as after a crash, remains for an engine
this process no longer trusts (a rolled-back write) or one too far behind.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction

from campus import sqlrows
from sandbox.exchange.engine import InvalidOrder, MatchingEngine, OpenOrder
from sandbox.exchange.engine import Order as EngineOrder
from sandbox.exchange.models import OPEN_STATUSES, Market, Order
from sandbox.exchange.selectors import send_order_rows
from sandbox.exchange.units import MarketUnits


@dataclass
class _Book:
    lock: threading.Lock = field(default_factory=threading.Lock)
    engine: MatchingEngine | None = None
    version: int | None = None


_books: dict[int, _Book] = {}
_registry_lock = threading.Lock()


def _book(market_id: int) -> _Book:
    with _registry_lock:
        return _books.setdefault(market_id, _Book())


@contextmanager
def market_writer(market_id: int) -> Iterator[_Book]:
    """Hold this process's lock on the market's book for the duration of a write."""
    book = _book(market_id)
    with book.lock:
        try:
            yield book
        except BaseException:
            # After `mark_changed` this engine may have seen an order that is being rolled back
            # (even a rejected one advances its last order id, and SQLite reuses a rolled-back
            # id): drop it. A refusal before that left it as it was, in step with the database.
            if book.version is None:
                book.engine = None
            raise


CATCH_UP_LIMIT = 2000  # changed orders; past this a rebuild is as cheap and simpler


def engine_for(book: _Book, market: Market, *, changed: Caught | None = None) -> MatchingEngine:
    """The engine for a market row locked by the caller, brought up to date if it is behind.
    `changed`: what `send_catch_up` read for this book, if the caller read it already."""
    behind = book.engine is not None and book.version != market.book_version
    if behind and (
        book.version is None or not catch_up(book.engine, market, since=book.version, read=changed)
    ):
        book.engine = None
    if book.engine is None:
        book.engine = rebuild_engine(market)
    book.version = market.book_version
    return book.engine


@dataclass(frozen=True)
class Caught:
    """The orders of a market changed after book version `since`, read ahead (send_catch_up)."""

    since: int
    orders: list[Order]


def send_catch_up(book: _Book, market_id: int) -> Callable[[], Caught | None]:
    """Send the read `catch_up` would make for this book (under the caller's lock of it), so
    that it can go out with other statements (`sqlrows.pipeline()`); None if there is nothing
    to catch up from (no engine, or one not trusted)."""
    if book.engine is None or book.version is None:
        return lambda: None
    since = book.version
    orders = send_changed_orders(market_id, since=since, limit=CATCH_UP_LIMIT + 1)
    return lambda: Caught(since, orders())


def catch_up(
    engine: MatchingEngine, market: Market, *, since: int, read: Caught | None = None
) -> bool:
    """Apply to `engine` what other writers did after book version `since`; False if there was
    too much of it (the caller rebuilds instead). The result is the book `rebuild_engine` gives:
    the same open orders, in order_id order at each price. `read`: those orders, if read
    already (for `since`)."""
    units = MarketUnits(market.tick_size, market.lot_size)
    if read is not None and read.since == since:
        changed = read.orders
    else:
        changed = changed_orders(market.pk, since=since, limit=CATCH_UP_LIMIT + 1)
    if len(changed) > CATCH_UP_LIMIT:
        return False
    try:
        for row in changed:
            engine.replace(row.pk, open_order(row, units) if row.status in OPEN_STATUSES else None)
    except InvalidOrder:  # the database holds what the engine cannot: let a rebuild say so
        return False
    last = market.last_price
    engine.set_last_price(units.to_ticks(last) if last is not None else None)
    return True


def changed_orders(market_id: int, *, since: int, limit: int) -> list[Order]:
    """The orders of a market changed after book version `since`, at most `limit`, as
    `Order.objects.filter(market=..., book_version__gt=since)` ordered by book version, then
    id, in SQL: with several processes taking turns on a market, nearly every write catches up
    first. Ordered as the (market, book_version) index is, which the read then walks from
    `since` and stops: ordered by id alone, once the table's statistics say it is large,
    PostgreSQL walks the primary key from the oldest order instead, filtering every order ever
    placed (0.7 ms a read at 30,000 orders, growing with them; `catch_up` applies the changes in
    any order)."""
    return send_changed_orders(market_id, since=since, limit=limit)()


def send_changed_orders(market_id: int, *, since: int, limit: int) -> Callable[[], list[Order]]:
    """`changed_orders`, sent: the function returned reads them (`sqlrows.send`)."""
    version = sqlrows.column(Order, "book_version")
    return send_order_rows(
        f"o.{sqlrows.column(Order, 'market')} = %s"
        f" AND o.{version} > %s ORDER BY o.{version}, o.id LIMIT %s",
        [market_id, since, limit],
    )


def mark_changed(book: _Book, market: Market) -> None:
    """Call before persisting a change the engine has made: bumps the market's version (stamp
    every order written with it), and trusts the engine again only once the transaction
    commits (a rollback leaves it stale)."""
    book.version = None
    market.book_version += 1
    new_version = market.book_version
    engine = book.engine

    def trust_again() -> None:
        if book.engine is engine:
            book.version = new_version

    transaction.on_commit(trust_again)


def rebuild_engine(market: Market) -> MatchingEngine:
    units = MarketUnits(market.tick_size, market.lot_size)
    open_rows = Order.objects.filter(market=market, status__in=OPEN_STATUSES).order_by("pk")
    last = units.to_ticks(market.last_price) if market.last_price is not None else None
    return MatchingEngine.restore(
        (open_order(row, units) for row in open_rows.iterator()), last_price=last
    )


def open_order(row: Order, units: MarketUnits) -> OpenOrder:
    return OpenOrder(
        order=EngineOrder(
            order_id=row.pk,
            account=row.owner_id,
            side=row.side,
            kind=row.type,
            price=units.to_ticks(row.price),
            quantity=units.to_lots(row.orig_qty),
            time_in_force=row.time_in_force or "GTC",
            stop_price=units.to_ticks(row.stop_price) if row.stop_price is not None else None,
            self_trade_prevention=row.self_trade_prevention_mode,
        ),
        executed_quantity=units.to_lots(row.executed_qty),
        executed_notional=int(row.cummulative_quote_qty / units.notional_unit),
        stop_triggered=row.stop_triggered,
    )


def forget_all() -> None:
    """Drop every cached engine (tests simulating a restart call this)."""
    with _registry_lock:
        _books.clear()
