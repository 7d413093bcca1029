"""The order desk as a process of its own: one matcher for the site's orders, web workers hand
theirs to it over a Unix socket.

Each web worker's desk (desk.py) groups the orders that arrive in that process while its last
batch is placed. With two workers or more, the workers' batches take turns for the same markets'
rows, and each batch stays small: at 500 orders/s a batch held four or five orders, a quarter of
the batches waited for a market the other worker held, and a batch's fixed cost (about two thirds
of it for one order) was paid again for every few orders. The order desk process
(`python manage.py order_desk`, the `desk` line of the Procfile) receives every worker's orders,
so its batches hold what the whole site received meanwhile, and no two of them wait for each
other. Its loop is one thread: it reads what has arrived on its connections, places a round per
offering with `desk.place_round` (one transaction for all of an offering's markets), answers
each order's sender, and then publishes the round's stream events (each group's in the order they
were made: a sender waits for its answer, a stream does not; an order placed alone, its round
rolled back, is answered and its events published before the next is placed), without waiting
for the channel layer to take them (`streams.publish_many(wait=False)`; stopping, it waits).
Orders that arrive while it places wait in their sockets for the next round.

When `EXCHANGE_ORDER_DESK_SOCKET` names its socket, `desk.place_order` sends each order there on
its thread's own connection and waits for the answer: the saved order, or the `ExchangeError`
that refused it (which changed nothing).

- If the desk process cannot be reached, serves another database, or reads orders in rows of
  another shape (`frame_shape`: a release that changed a model, one process restarted on it
  before the other), nothing was placed, and the order is placed in this process as before
  (`NOT_SENT`); the desk is not tried again for `RETRY_AFTER_S`, so a stopped desk costs one
  failed connect per second, not one per order.
- An order still waiting in the desk `QUEUE_DEADLINE_S` after it was sent, or whose sender hung
  up, is not placed: its sender gets `DeskBusy` (Binance's -1008, HTTP 503: not placed, try
  again later).
- If the connection breaks once the order was sent, or no answer comes within
  `ANSWER_TIMEOUT_S` (the deadline, and as long again as a round may take), or the batch failed
  once it may have committed, the order may have been placed or not: `OrderStatusUnknown`,
  Binance's -1007 with HTTP 503, which tells the client to look the order up (by its
  newClientOrderId) before placing it again. It is never placed again here, and this process
  places its orders itself for `RETRY_AFTER_S`.

Stream events (executionReport, trades, depth) of the orders the desk places are published from
the desk process, so the web processes' WebSocket clients get them only through a shared channel
layer (Redis): the Procfile runs the desk when `REDIS_URL` is set, and without a socket the
command idles.

Correctness does not depend on the desk process: every writer still locks the markets' rows in
the database, so the portal's forms, Celery's bots and a web worker that fell back place orders
beside it, serialised per market as before. The socket is made readable and writable by its owner
only (the frames are pickles, so whoever may connect may run code in the desk).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import pickle
import selectors
import socket
import stat
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model

from campus.errors import ServiceError
from campus.sqlrows import attach, attnames
from sandbox.exchange import desk, streams
from sandbox.exchange.api import dbthreads
from sandbox.exchange.errors import ExchangeError
from sandbox.exchange.filters import OrderRequest
from sandbox.exchange.models import Market, Order, Trade

HEADER = struct.Struct("!I")  # each frame: its length, then a pickle
MAX_FRAME = 1 << 20
QUEUE_DEADLINE_S = 10.0  # an order not yet placed by then is not placed (DeskBusy)
ANSWER_TIMEOUT_S = 30.0  # the deadline, and a round that began just before it
RETRY_AFTER_S = 1.0
NOT_SENT = object()
logger = logging.getLogger(__name__)


class OrderStatusUnknown(ExchangeError):
    """-1007 TIMEOUT: the order went to the desk, and no answer came back."""

    binance_code = -1007
    http_status = 503

    def __init__(self) -> None:
        super().__init__(
            "Timeout waiting for response from backend server. Send status unknown; "
            "execution status unknown.",
            code="order_status_unknown",
            detail="The order may or may not have been placed: look it up (GET /api/v3/order "
            "with your newClientOrderId, or openOrders) before sending it again.",
        )


class DeskBusy(ExchangeError):
    """-1008 SERVER_BUSY: the order waited too long at the desk and was not placed."""

    binance_code = -1008
    http_status = 503

    def __init__(self) -> None:
        super().__init__(
            "Server is currently overloaded with other requests. Please try again in a few "
            "minutes.",
            code="desk_busy",
            detail=f"The order waited {QUEUE_DEADLINE_S:.0f} s and was not placed; nothing "
            "changed. Send it again.",
        )


# The sending side, in the web workers.

_local = threading.local()
_down_until = 0.0


def place_order(
    *, owner_id: int, market: Market, request: OrderRequest, recheck_key: int | None = None
) -> Order | object:
    """Place the order through the desk process: its saved order, or `NOT_SENT` if the desk
    could not be reached, serves another database or reads orders of another shape (nothing
    was placed). Raises the `ServiceError` that refused it, `DeskBusy`, or `OrderStatusUnknown`
    (also for an answer that cannot be read here: the order may have been placed)."""
    if time.monotonic() < _down_until:
        return NOT_SENT
    expires = time.monotonic() + QUEUE_DEADLINE_S  # CLOCK_MONOTONIC: one clock for the host
    frame = _order_frame(expires, owner_id, market, request, recheck_key)
    try:
        conn = _sent(settings.EXCHANGE_ORDER_DESK_SOCKET, frame)
    except OSError:
        return _not_sent("the order desk cannot be reached")
    try:
        kind, value = _read_frame(conn)
    except BaseException as error:  # the answer may be on its way: never read it as another's
        _forget(conn)
        if not isinstance(error, Exception):
            raise
        _pause()
        raise OrderStatusUnknown() from None
    if kind == "placed":
        try:
            return _placed_order(value, market)
        except Exception:  # a bug, or processes out of step: placed, but not readable here
            logger.exception("the order desk's answer could not be read")
            _pause()
            raise OrderStatusUnknown() from None
    if kind == "refused":
        raise value
    if kind == "busy":
        raise DeskBusy()
    if kind == "elsewhere":
        return _not_sent(f"the order desk serves another database ({value})")
    if kind == "other shape":
        return _not_sent(f"the order desk reads orders of another shape ({value})")
    logger.error("the order desk failed an order: %s", value)
    raise OrderStatusUnknown()


def database_identity() -> str:
    """Which database this process writes to: the desk places only orders meant for its own."""
    db = settings.DATABASES["default"]
    return f"{db['ENGINE']}:{db.get('HOST', '')}:{db.get('PORT', '')}:{db['NAME']}"


def _not_sent(why: str) -> object:
    logger.warning("%s; placing orders in this process", why)
    _pause()
    return NOT_SENT


def _pause() -> None:
    """Place orders in this process for a while (row locks keep them right beside the desk)."""
    global _down_until
    _down_until = time.monotonic() + RETRY_AFTER_S


def _sent(path: str, frame: bytes) -> socket.socket:
    """This thread's connection, with `frame` sent on it. A connection the desk closed since
    (it restarted) fails to send and is replaced once: a frame whose sending failed never
    arrived whole, and the desk reads nothing of a frame that did not."""
    conn = getattr(_local, "conn", None)
    if conn is not None:
        try:
            conn.sendall(frame)
            return conn
        except OSError:
            _forget(conn)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(ANSWER_TIMEOUT_S)
        conn.connect(path)
        conn.sendall(frame)
    except OSError:
        conn.close()
        raise
    _local.conn = conn
    return conn


def _forget(conn: socket.socket) -> None:
    conn.close()
    if getattr(_local, "conn", None) is conn:
        _local.conn = None


def listening(path: str | os.PathLike) -> bool:
    """Whether an order desk accepts connections at `path`."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def _frame(value) -> bytes:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


# A frame carries model instances as their rows (their concrete fields' values, in order), and
# an order's request as its fields' values: a pickled instance also carries its state, the
# related instances it has cached (an order its market) and Django's version, five times the
# bytes; the desk took 70 µs to pickle an order's answer so, and takes 15 µs for its rows.


def _order_frame(
    expires: float, owner_id: int, market: Market, request: OrderRequest, recheck_key: int | None
) -> bytes:
    """An order for the desk (`OrderDesk._ticket` reads it)."""
    row, request_row = _row(market), _request_row(request)
    return _frame(
        (database_identity(), frame_shape(), expires, owner_id, row, request_row, recheck_key)
    )


def _row(instance: Model) -> tuple:
    """Choices as their plain values, as the database gives them (a TextChoices member made
    inside its model's class does not pickle)."""
    return tuple([_plain(getattr(instance, name)) for name in attnames(type(instance))])


def _plain(value):
    return value.value if isinstance(value, Enum) else value


def _from_row(model: type[Model], row) -> Model:
    """The instance of `model` a `_row` was taken from, as read from the database."""
    if not isinstance(row, tuple) or len(row) != len(attnames(model)):
        raise TypeError(f"not a row of {model.__name__}")
    return model.from_db(DEFAULT_DB_ALIAS, attnames(model), list(row))


@lru_cache(maxsize=1)
def frame_shape() -> str:
    """The fields the rows of a frame hold, in order: a web process and a desk that disagree
    (one restarted on a release that changed a model, the other not yet) must not read each
    other's rows. The desk answers an order of another shape `other shape`, and its sender
    places it itself, as when the desk cannot be reached."""
    names = [*(attnames(model) for model in (Market, Order, Trade)), _REQUEST_FIELDS]
    return hashlib.sha256(repr(names).encode()).hexdigest()[:16]


def _is_id(value) -> bool:
    return type(value) is int


def _request_row(request: OrderRequest) -> tuple:
    return tuple([getattr(request, name) for name in _REQUEST_FIELDS])


def _request_from_row(row) -> OrderRequest:
    if not isinstance(row, tuple) or len(row) != len(_REQUEST_FIELDS):
        raise TypeError("not an order request")
    return OrderRequest(*row)


_REQUEST_FIELDS = [field.name for field in dataclasses.fields(OrderRequest)]


def _order_rows(order: Order) -> tuple[tuple, list[tuple]]:
    """A placed order, for its answer: its row and those of its `new_fills`."""
    return _row(order), [_row(trade) for trade in getattr(order, "new_fills", [])]


def _placed_order(rows: tuple[tuple, list[tuple]], market: Market) -> Order:
    """The order `_order_rows` was taken from, with its `new_fills`, its market the sender's."""
    row, fills = rows
    order = _from_row(Order, row)
    order.new_fills = [_from_row(Trade, fill) for fill in fills]
    if order.market_id == market.pk:
        attach(order, "market", market)
    return order


def _read_frame(conn: socket.socket):
    (size,) = HEADER.unpack(_read_exactly(conn, HEADER.size))
    return pickle.loads(_read_exactly(conn, size))  # noqa: S301 (the desk's own answer)


def _read_exactly(conn: socket.socket, size: int) -> bytes:
    chunks = []
    while size:
        chunk = conn.recv(size)
        if not chunk:
            raise EOFError("the order desk closed the connection")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


# The desk process.


@dataclass(eq=False)
class _Sent(desk.Ticket):
    """An order that arrived on a connection, to be answered there."""

    conn: socket.socket | None = None
    expires: float = 0.0  # time.monotonic()


class OrderDesk:
    """The desk process's loop (`serve`), on a Unix socket at `path`."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.database = database_identity()
        self.selector = selectors.DefaultSelector()
        self.buffers: dict[socket.socket, bytearray] = {}
        self.waiting: dict[int, deque[_Sent]] = {}  # by offering, in the order they arrived
        self.listener: socket.socket | None = None
        self.placed = 0  # orders placed or refused, and rounds placed, since it started
        self.rounds = 0
        self.busy_s = 0.0  # seconds spent on rounds (placing, answering, publishing)
        self.placing_s = 0.0  # of which in `desk.place_round` (busy markets waited for too)

    def serve(self, stop: threading.Event | None = None, ready: Callable[[], None] | None = None):
        """Answer orders until `stop` is set (or for ever)."""
        self._listen()
        if ready is not None:
            ready()
        try:
            while stop is None or not stop.is_set():
                self._read(timeout=0 if any(self.waiting.values()) else 0.2)
                for queue in self.waiting.values():
                    if queue:
                        dbthreads.kept(lambda queue=queue: self._round(queue))
        finally:
            self.close()
            streams.flush()  # the events of orders answered: already committed
            connection.close()

    def close(self) -> None:
        """Stop listening; orders read and not yet placed are not placed (their senders answer
        OrderStatusUnknown)."""
        for conn in list(self.buffers):
            self._drop(conn)
        if self.listener is not None:
            self.selector.unregister(self.listener)
            self.listener.close()
            self.listener = None
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        self.selector.close()

    def _listen(self) -> None:
        if self.path.exists() or self.path.is_symlink():
            if not stat.S_ISSOCK(self.path.lstat().st_mode):
                raise RuntimeError(f"{self.path} is not a socket: refusing to replace it")
            if listening(self.path):
                raise RuntimeError(f"another order desk listens on {self.path}")
            self.path.unlink()  # a socket left by a desk that was killed
        self.path.parent.mkdir(parents=True, exist_ok=True)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_mask = os.umask(0o177)  # the owner's only, from the moment it exists
        try:
            listener.bind(str(self.path))
        finally:
            os.umask(old_mask)
        listener.listen(128)
        listener.setblocking(False)
        self.listener = listener
        self.selector.register(listener, selectors.EVENT_READ)

    def _read(self, timeout: float) -> None:
        """Take in what has arrived: new connections, and the orders on every connection. While
        connections are accepted, look again at once before the round: their senders connected
        to send an order."""
        accepted = True
        while accepted:
            accepted = False
            for key, _ in self.selector.select(timeout):
                if key.fileobj is self.listener:
                    accepted = self._accept() or accepted
                else:
                    self._receive(key.fileobj)
            timeout = 0

    def _accept(self) -> bool:
        """Accept every connection waiting; whether there was any."""
        accepted = False
        while True:
            try:
                conn, _ = self.listener.accept()
            except BlockingIOError:
                return accepted
            except OSError:  # out of descriptors, say: serve those connected, try again later
                logger.exception("the order desk could not accept a connection")
                time.sleep(0.1)
                return accepted
            conn.setblocking(False)  # an answer that does not fit its buffer: a sender not reading
            self.buffers[conn] = bytearray()
            self.selector.register(conn, selectors.EVENT_READ)
            accepted = True

    def _receive(self, conn: socket.socket) -> None:
        """Queue the orders that arrived whole on `conn`; if its sender has hung up (also right
        behind its last order), drop it, so that its orders are not placed."""
        buffer = self.buffers[conn]
        hung_up = False
        while True:  # all there is, up to a hang-up behind it
            try:
                chunk = conn.recv(1 << 16)
            except BlockingIOError:
                break
            except OSError:
                chunk = b""
            if not chunk:
                hung_up = True
                break
            buffer += chunk
        while len(buffer) >= HEADER.size and not hung_up:
            (size,) = HEADER.unpack_from(buffer)
            if size > MAX_FRAME:
                logger.warning(
                    "the order desk dropped a connection that sent a %d-byte frame", size
                )
                hung_up = True
                break
            if len(buffer) < HEADER.size + size:
                break
            frame = bytes(buffer[HEADER.size : HEADER.size + size])
            del buffer[: HEADER.size + size]
            try:
                ticket = self._ticket(frame, conn)
                if ticket is not None:
                    self.waiting.setdefault(ticket.market.offering_id, deque()).append(ticket)
            except Exception:
                logger.exception("the order desk dropped a connection that sent a bad frame")
                hung_up = True
                break
        if hung_up:
            self._drop(conn)

    def _ticket(self, frame: bytes, conn: socket.socket) -> _Sent | None:
        """The order a frame holds; None if it was answered at once (meant for another
        database, or in rows of another shape). Raises on a frame that is not an order."""
        database, shape, expires, owner_id, market, request, key = pickle.loads(frame)  # noqa: S301 (owner-only socket)
        if database != self.database:
            self._send(conn, ("elsewhere", self.database))
            return None
        if shape != frame_shape():
            self._send(conn, ("other shape", frame_shape()))
            return None
        market, request = _from_row(Market, market), _request_from_row(request)
        if not (_is_id(market.pk) and _is_id(market.offering_id) and _is_id(owner_id)):
            raise TypeError("not an order: ids that are not numbers")
        key = None if key is None else int(key)
        return _Sent(market, owner_id, request, key, conn=conn, expires=float(expires))

    def _drop(self, conn: socket.socket) -> None:
        """Forget a connection; its orders still waiting are not placed (see `_round`)."""
        if self.buffers.pop(conn, None) is not None:
            self.selector.unregister(conn)
            conn.close()

    def _round(self, queue: deque[_Sent]) -> None:
        """Place the orders waiting for one offering, up to `desk.MAX_BATCH`, in one round;
        those whose sender hung up are dropped, those past their deadline are answered busy."""
        now = time.monotonic()
        batch = []
        while queue and len(batch) < desk.MAX_BATCH:
            ticket = queue.popleft()
            if ticket.conn not in self.buffers:
                continue  # its sender gave up on it: placed nowhere
            if ticket.expires < now:
                self._send(ticket.conn, ("busy", None))
                continue
            batch.append(ticket)
        if not batch:
            return
        outcomes: list = [None] * len(batch)
        self.rounds += 1
        started = time.perf_counter()
        events: list[tuple[str, dict]] = []  # published once their orders are answered
        try:
            with streams.handed_to(events.extend):
                desk.place_round(batch, outcomes)
        finally:
            self.placing_s += time.perf_counter() - started
            try:
                alone = []
                for ticket, outcome in desk.requeue(queue, batch, outcomes):
                    if outcome is None:
                        alone.append(ticket)
                    else:
                        self._answer(ticket, outcome)
                streams.publish_many(events, wait=False)  # best effort: errors are logged
                for ticket in alone:  # its batch was rolled back: each in its own transaction
                    its_events: list[tuple[str, dict]] = []
                    with streams.handed_to(its_events.extend):
                        outcome = self._alone(ticket)
                    self._answer(ticket, outcome)
                    streams.publish_many(its_events, wait=False)
            finally:
                self.busy_s += time.perf_counter() - started

    @staticmethod
    def _alone(ticket: _Sent):
        """The outcome of placing a ticket alone (its batch was rolled back)."""
        try:
            return desk.place_alone(ticket)
        except ServiceError as error:
            return error
        except Exception as error:  # noqa: BLE001 (its sender answers OrderStatusUnknown)
            return desk.Failed(error)

    def _answer(self, ticket: _Sent, outcome) -> None:
        self.placed += 1
        if isinstance(outcome, desk.Failed):
            logger.error("the order desk failed a batch", exc_info=outcome.error)
            answer = ("failed", f"{type(outcome.error).__name__}: {outcome.error}")
        elif isinstance(outcome, ServiceError):
            answer = ("refused", outcome)
        else:
            answer = ("placed", outcome)
        self._send(ticket.conn, answer)

    def _send(self, conn: socket.socket, answer: tuple) -> None:
        if conn not in self.buffers:
            return  # its sender hung up
        try:
            kind, value = answer
            frame = _frame((kind, _order_rows(value) if kind == "placed" else value))
        except Exception:  # an outcome that does not pickle: a bug, but the desk serves on
            logger.exception("the order desk could not send an answer")
            frame = _frame(("failed", "the answer could not be sent"))
        try:
            conn.sendall(frame)
        except OSError:  # hung up, or not reading (its answers fill the socket's buffer)
            self._drop(conn)
