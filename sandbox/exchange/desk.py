"""The order desk: group commit for orders that arrive together.

Placing an order alone costs a transaction of its own: the market's row lock, about ten
statements and a commit, all while every other order for that market waits for the lock. Under
load most of that is the same work done again for each order. So the API's order placement
comes through this desk: in each process, the orders for one offering's markets that arrive
while one is being placed queue here, and the thread whose order comes first places the whole
queue with `services.place_batches`, in one transaction for all their markets with one read and
one write of each kind. Then it hands the desk to the first order that arrived meanwhile, and
answers its own client. With one order in flight a batch is that one order, so nothing waits
that would not have waited for the lock anyway.

One desk per offering rather than per market: with a desk per market, the orders of a busy
offering spread over its markets, each batch held about two orders, and the fixed cost of a
transaction (about half of an order's) was paid for each. The markets of a batch are locked in
id order, as every writer of several markets locks them, so batches cannot deadlock.

Each order keeps its own outcome (placed, or refused with nothing changed), exactly as if it
had been placed alone. If a batch fails as a whole and was rolled back (another process's order
spent the same balance a moment earlier, say, so the database refused the lot), each of its
orders is placed again on its own by its own thread, with `place_alone`. If it failed
once it may have committed (the COMMIT itself failed), its callers get the error, as a caller
placing alone would: an order is never placed twice.

With `EXCHANGE_ORDER_DESK_SOCKET` set, the orders go to the order desk process instead
(deskprocess.py), which places the rounds of every web process's orders with `place_round`; if it
cannot be reached, they are placed here, as above.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from sandbox.exchange import services
from sandbox.exchange.apikeys import key_no_longer_usable, usable_key_ids
from sandbox.exchange.errors import ExchangeError
from sandbox.exchange.filters import OrderRequest
from sandbox.exchange.models import Market, Order

MAX_BATCH = 64  # orders in one transaction; more wait for the next
logger = logging.getLogger(__name__)


@dataclass(eq=False)
class Ticket:
    """An order waiting at a desk (this process's, or the order desk process's)."""

    market: Market
    owner_id: int
    request: OrderRequest
    recheck_key: int | None = None  # see `place_order`
    skipped: bool = False  # left out of a round: its market was busy


@dataclass(eq=False)
class _Waiting(Ticket):
    """A ticket whose thread waits in this process for its outcome."""

    woken: threading.Event = field(default_factory=threading.Event)
    leads: bool = False  # this ticket's thread places the queue
    settled: bool = False
    outcome: Order | ExchangeError | Failed | None = None  # None once settled: place it alone


@dataclass
class _Queue:
    lock: threading.Lock = field(default_factory=threading.Lock)
    waiting: deque[_Waiting] = field(default_factory=deque)
    led: bool = False


_queues: dict[int, _Queue] = {}
_queues_lock = threading.Lock()


def place_order(
    *, owner_id: int, market: Market, request: OrderRequest, recheck_key: int | None = None
) -> Order:
    """`services.place_order`, grouped with the orders for the offering's markets that arrive
    while it waits. Inside a caller's transaction (a test's, say) it is placed alone, in that
    one.

    `recheck_key`: the id of the API key the order came with, when the caller found that key
    usable earlier than now (the API keeps the keys it found usable for a few seconds, see
    `api.auth`): the order is refused with `ApiKeyRejected`, and nothing placed, unless the key
    may still act as the order is placed. A round reads all its orders' keys in one query, with
    its locks."""
    if connection.in_atomic_block:
        return place_alone(Ticket(market, owner_id, request, recheck_key))
    if settings.EXCHANGE_ORDER_DESK_SOCKET:
        from sandbox.exchange import deskprocess  # which builds on this module

        placed = deskprocess.place_order(
            owner_id=owner_id, market=market, request=request, recheck_key=recheck_key
        )
        if placed is not deskprocess.NOT_SENT:
            return placed
    ticket = _Waiting(market, owner_id, request, recheck_key)
    queue = _queue(market.offering_id)
    with queue.lock:
        queue.waiting.append(ticket)
        if not queue.led:
            queue.led = ticket.leads = True
    if not ticket.leads:
        ticket.woken.wait()
    if not ticket.settled:  # it was given the desk: place what is queued, its own order first
        _lead(queue, ticket)
    if ticket.outcome is None:
        return place_alone(ticket)
    if isinstance(ticket.outcome, Failed):
        raise ticket.outcome.error
    if isinstance(ticket.outcome, ExchangeError):
        raise ticket.outcome
    return ticket.outcome


def place_alone(ticket: Ticket) -> Order:
    """`services.place_order` for one ticket (its round was rolled back, or it is inside a
    caller's transaction), its key checked again first if it is to be."""
    if ticket.recheck_key is not None and not usable_key_ids([ticket.recheck_key]):
        raise key_no_longer_usable()
    return services.place_order(
        owner_id=ticket.owner_id, market=ticket.market, request=ticket.request
    )


def _lead(queue: _Queue, mine: _Waiting) -> None:
    try:
        while not mine.settled:
            with queue.lock:
                batch = [queue.waiting.popleft() for _ in range(min(MAX_BATCH, len(queue.waiting)))]
            _place(queue, batch, mine)
    finally:
        with queue.lock:  # hand the desk on, or leave it free
            if queue.waiting:
                queue.waiting[0].leads = True
                queue.waiting[0].woken.set()
            else:
                queue.led = False


def _place(queue: _Queue, batch: list[_Waiting], mine: _Waiting) -> None:
    """Place a batch; the orders of markets another process is busy with go back to the front
    of the queue, for the next round."""
    outcomes: list = [None] * len(batch)
    try:
        place_round(batch, outcomes)
    finally:
        with queue.lock:
            settled = requeue(queue.waiting, batch, outcomes)
        for ticket, outcome in settled:
            ticket.outcome, ticket.settled = outcome, True
            if ticket is not mine:
                ticket.woken.set()


def requeue(waiting: deque, batch: Sequence[Ticket], outcomes: list) -> list[tuple]:
    """Put the round's tickets whose market was busy (`AGAIN`) back at the front of `waiting`,
    ahead of those that arrived since, in the order they came; the others with their outcomes."""
    waiting.extendleft(reversed([t for t, o in zip(batch, outcomes, strict=True) if o is AGAIN]))
    return [(t, o) for t, o in zip(batch, outcomes, strict=True) if o is not AGAIN]


def place_round(batch: Sequence[Ticket], outcomes: list) -> None:
    """Place a round of tickets for one offering's markets in one transaction, and set each
    one's outcome in `outcomes` (a list as long as `batch`, all None beforehand), also when it
    raises: the saved order or the `ExchangeError` that refused it (`ApiKeyRejected` for a
    ticket whose key is to be checked again and may no longer act: the round's keys are read
    in one query, with its locks); `AGAIN` if its market was busy with another process (the
    ticket is marked `skipped`, to go first in the next round); a `Failed` if the batch failed
    once it may have committed (its callers get the error, and its orders are never placed
    again); or None, left as it was, if the batch was rolled back as a whole (its keys could
    not be read, say): place that order alone (`place_alone`, which checks its key again)."""
    try:
        found = _placed(batch)
        outcomes[:] = [found[ticket] for ticket in batch]
    except services.BatchRolledBack:
        logger.info(
            "a batch of %d orders was rolled back; placing them one by one",
            len(batch),
            exc_info=True,
        )
    except BaseException as error:  # perhaps committed: never place these orders again
        outcomes[:] = [Failed(error)] * len(batch)
        if not isinstance(error, Exception):
            raise
    for ticket, outcome in zip(batch, outcomes, strict=True):
        if outcome is AGAIN:
            ticket.skipped = True


def _placed(tickets: list[Ticket]) -> dict[Ticket, object]:
    """`services.place_batches` for the tickets, grouped by market (each market's in the order
    they arrived): each ticket's outcome, `AGAIN` where its market was busy."""
    by_market: dict[int, list[Ticket]] = {}
    for ticket in tickets:
        by_market.setdefault(ticket.market.pk, []).append(ticket)
    if not by_market:
        return {}
    placed = services.place_batches(
        [
            (group[0].market, [(ticket.owner_id, ticket.request) for ticket in group])
            for group in by_market.values()
        ],
        skip_busy=True,
        wait_for_first=tickets[0].skipped,  # the oldest order is not left out twice
        recheck_keys=[[ticket.recheck_key for ticket in group] for group in by_market.values()],
    )
    return {
        ticket: AGAIN if results is None else results[n]
        for group, results in zip(by_market.values(), placed, strict=True)
        for n, ticket in enumerate(group)
    }


AGAIN = object()  # a ticket's outcome while it waits for the next round


@dataclass(frozen=True)
class Failed:
    """The batch failed after its transaction may have committed: its callers get the error."""

    error: BaseException


def _queue(offering_id: int) -> _Queue:
    with _queues_lock:
        return _queues.setdefault(offering_id, _Queue())
