"""Each process's in-memory matching engines, kept in step with the database.

Matching for a market is serialised twice: a thread lock per market inside this process, and the
market row's `SELECT ... FOR UPDATE` across processes. Under both locks a caller asks for the
engine; if another process (or a rolled-back transaction) changed the book since this process last
saw it, `Market.book_version` differs and the engine is rebuilt from the open orders in the
database, the same way it is rebuilt after a crash.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction

from sandbox.exchange.engine import MatchingEngine, OpenOrder
from sandbox.exchange.engine import Order as EngineOrder
from sandbox.exchange.models import OPEN_STATUSES, Market, Order
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
            # Whatever went wrong, this engine may have seen an order that was rolled back (even a
            # rejected one advances its last order id, and SQLite reuses a rolled-back id).
            book.engine = None
            raise


def engine_for(book: _Book, market: Market) -> MatchingEngine:
    """The engine for a market row locked by the caller, rebuilt if it is out of date."""
    if book.engine is None or book.version != market.book_version:
        book.engine = rebuild_engine(market)
        book.version = market.book_version
    return book.engine


def mark_changed(book: _Book, market: Market) -> None:
    """Call before persisting a change the engine has made: bumps the market's version, and
    trusts the engine again only once the transaction commits (a rollback leaves it stale)."""
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
