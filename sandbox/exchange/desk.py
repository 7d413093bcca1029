"""The order desk: group commit for orders that arrive together.

Placing an order alone costs a transaction of its own: the market's row lock, about ten
statements and a commit, all while every other order for that market waits for the lock. Under
load most of that is the same work done again for each order. So the API's order placement
comes through this desk: in each process, the orders for one market that arrive while one is
being placed queue here, and the thread whose order comes first places the whole queue with
`services.place_batch`, in one transaction with one write of each kind. Then it hands the desk
to the first order that arrived meanwhile, and answers its own client. With one order in flight
a batch is that one order, so nothing waits that would not have waited for the lock anyway.

Each order keeps its own outcome (placed, or refused with nothing changed), exactly as if it
had been placed alone. If a batch fails as a whole and was rolled back (another market's order
spent the same balance a moment earlier, say, so the database refused the lot), each of its
orders is placed again on its own by its own thread, with `services.place_order`. If it failed
once it may have committed (the COMMIT itself failed), its callers get the error, as a caller
placing alone would: an order is never placed twice.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass, field

from django.db import connection

from sandbox.exchange import services
from sandbox.exchange.errors import ExchangeError
from sandbox.exchange.filters import OrderRequest
from sandbox.exchange.models import Market, Order

MAX_BATCH = 64  # orders in one transaction; more wait for the next
logger = logging.getLogger(__name__)


@dataclass(eq=False)
class _Ticket:
    owner_id: int
    request: OrderRequest
    woken: threading.Event = field(default_factory=threading.Event)
    leads: bool = False  # this ticket's thread places the queue
    settled: bool = False
    outcome: Order | ExchangeError | _Failed | None = None  # None once settled: place it alone


@dataclass
class _Queue:
    lock: threading.Lock = field(default_factory=threading.Lock)
    waiting: deque[_Ticket] = field(default_factory=deque)
    led: bool = False


_queues: dict[int, _Queue] = {}
_queues_lock = threading.Lock()


def place_order(*, owner_id: int, market: Market, request: OrderRequest) -> Order:
    """`services.place_order`, grouped with the orders for the same market that arrive while it
    waits. Inside a caller's transaction (a test's, say) it is placed alone, in that one."""
    if connection.in_atomic_block:
        return services.place_order(owner_id=owner_id, market=market, request=request)
    ticket = _Ticket(owner_id, request)
    queue = _queue(market.pk)
    with queue.lock:
        queue.waiting.append(ticket)
        if not queue.led:
            queue.led = ticket.leads = True
    if not ticket.leads:
        ticket.woken.wait()
    if not ticket.settled:  # it was given the desk: place what is queued, its own order first
        _lead(queue, market, ticket)
    if ticket.outcome is None:
        return services.place_order(owner_id=owner_id, market=market, request=request)
    if isinstance(ticket.outcome, _Failed):
        raise ticket.outcome.error
    if isinstance(ticket.outcome, ExchangeError):
        raise ticket.outcome
    return ticket.outcome


def _lead(queue: _Queue, market: Market, mine: _Ticket) -> None:
    try:
        while not mine.settled:
            with queue.lock:
                batch = [queue.waiting.popleft() for _ in range(min(MAX_BATCH, len(queue.waiting)))]
            _place(market, batch, mine)
    finally:
        with queue.lock:  # hand the desk on, or leave it free
            if queue.waiting:
                queue.waiting[0].leads = True
                queue.waiting[0].woken.set()
            else:
                queue.led = False


def _place(market: Market, batch: list[_Ticket], mine: _Ticket) -> None:
    outcomes: list = [None] * len(batch)  # None: place it alone
    try:
        outcomes = services.place_batch(
            market=market, entries=[(ticket.owner_id, ticket.request) for ticket in batch]
        )
    except services.BatchRolledBack:
        logger.info(
            "a batch of %d orders was rolled back; placing them one by one",
            len(batch),
            exc_info=True,
        )
    except BaseException as error:  # perhaps committed: never place these orders again
        outcomes = [_Failed(error)] * len(batch)
        if not isinstance(error, Exception):
            raise
    finally:
        for ticket, outcome in zip(batch, outcomes, strict=True):
            ticket.outcome, ticket.settled = outcome, True
            if ticket is not mine:
                ticket.woken.set()


@dataclass(frozen=True)
class _Failed:
    """The batch failed after its transaction may have committed: its callers get the error."""

    error: BaseException


def _queue(market_id: int) -> _Queue:
    with _queues_lock:
        return _queues.setdefault(market_id, _Queue())
