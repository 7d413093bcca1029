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
offering with `desk.place_round` (one transaction for all of an offering's markets), and answers
each order's sender. Orders that arrive while it places wait in their sockets for the next round.

When `EXCHANGE_ORDER_DESK_SOCKET` names its socket, `desk.place_order` sends each order there on
its thread's own connection and waits for the answer: the saved order, or the `ExchangeError`
that refused it (which changed nothing), or the error that failed its batch.

- If the desk process cannot be reached, nothing was sent, and the order is placed in this
  process as before (`NOT_SENT`); the desk is not tried again for `RETRY_AFTER_S`, so a stopped
  desk costs one failed connect per second, not one per order.
- If the connection breaks once the order was sent, or no answer comes within
  `ANSWER_TIMEOUT_S`, the order may have been placed or not: `OrderStatusUnknown`, Binance's
  -1007 with HTTP 503, which tells the client to look the order up (by its newClientOrderId)
  before placing it again. It is never placed again here.

Correctness does not depend on the desk process: every writer still locks the markets' rows in
the database, so the portal's forms, Celery's bots and a web worker that fell back place orders
beside it, serialised per market as before. The socket is made readable and writable by its owner
only (the frames are pickles, so whoever may connect may run code in the desk).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import selectors
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from django.db import connection

from campus.errors import ServiceError
from sandbox.exchange import desk, services
from sandbox.exchange.api import dbthreads
from sandbox.exchange.errors import ExchangeError
from sandbox.exchange.filters import OrderRequest
from sandbox.exchange.models import Market, Order

HEADER = struct.Struct("!I")  # each frame: its length, then a pickle
MAX_FRAME = 1 << 20
ANSWER_TIMEOUT_S = 30.0
RETRY_AFTER_S = 1.0
SEND_TIMEOUT_S = 10.0  # the desk's answer to a sender that stopped reading
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


class DeskFailed(RuntimeError):
    """The order's batch failed in the desk process once it may have committed (its log has
    the traceback); the order is not placed again."""


# The sending side, in the web workers.

_local = threading.local()
_down_until = 0.0


def place_order(*, owner_id: int, market: Market, request: OrderRequest) -> Order | object:
    """Place the order through the desk process: its saved order, or `NOT_SENT` if the desk
    could not be reached (nothing was sent). Raises the `ExchangeError` that refused it,
    `OrderStatusUnknown` if the answer was lost, or `DeskFailed`."""
    global _down_until
    from django.conf import settings

    if time.monotonic() < _down_until:
        return NOT_SENT
    frame = _frame((owner_id, market, request))
    try:
        conn = _sent(settings.EXCHANGE_ORDER_DESK_SOCKET, frame)
    except OSError:
        _down_until = time.monotonic() + RETRY_AFTER_S
        logger.warning("the order desk cannot be reached; placing orders in this process")
        return NOT_SENT
    try:
        kind, value = _read_frame(conn)
    except (OSError, EOFError, pickle.UnpicklingError):
        _forget(conn)
        raise OrderStatusUnknown() from None
    if kind == "placed":
        return value
    if kind == "refused":
        raise value
    raise DeskFailed(value)


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


def _frame(value) -> bytes:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


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


class OrderDesk:
    """The desk process's loop (`serve`), on a Unix socket at `path`."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.selector = selectors.DefaultSelector()
        self.buffers: dict[socket.socket, bytearray] = {}
        self.waiting: dict[int, deque[desk.Ticket]] = {}  # by offering, in the order they arrived
        self.listener: socket.socket | None = None
        self.answered = 0  # orders answered, and rounds placed, since it started
        self.rounds = 0

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
            connection.close()

    def _read(self, timeout: float) -> None:
        """Take in what has arrived: new connections, and the orders on every connection. A
        connection accepted here is looked at once more before the round, since its sender
        connected to send an order at once."""
        accepted = False
        for key, _ in self.selector.select(timeout):
            if key.fileobj is self.listener:
                accepted = self._accept() or accepted
            else:
                self._receive(key.fileobj)
        if accepted:
            self._read(timeout=0)

    def close(self) -> None:
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
        with contextlib.suppress(FileNotFoundError):
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

    def _accept(self) -> bool:
        """Accept every connection waiting; whether there was any."""
        accepted = False
        while True:
            try:
                conn, _ = self.listener.accept()
            except BlockingIOError:
                return accepted
            conn.settimeout(SEND_TIMEOUT_S)  # reads wait for nothing: only readable ones are read
            self.buffers[conn] = bytearray()
            self.selector.register(conn, selectors.EVENT_READ)
            accepted = True

    def _receive(self, conn: socket.socket) -> None:
        try:
            chunk = conn.recv(1 << 16)
        except OSError:
            chunk = b""
        if not chunk:
            self._drop(conn)
            return
        buffer = self.buffers[conn]
        buffer += chunk
        while len(buffer) >= HEADER.size:
            (size,) = HEADER.unpack_from(buffer)
            if size > MAX_FRAME:
                logger.warning(
                    "the order desk dropped a connection that sent a %d-byte frame", size
                )
                self._drop(conn)
                return
            if len(buffer) < HEADER.size + size:
                return
            try:
                frame = buffer[HEADER.size : HEADER.size + size]
                owner_id, market, request = pickle.loads(frame)  # noqa: S301 (owner-only socket)
            except Exception:
                logger.exception("the order desk dropped a connection that sent a bad frame")
                self._drop(conn)
                return
            del buffer[: HEADER.size + size]
            ticket = desk.Ticket(market, owner_id, request, reply_to=conn)
            self.waiting.setdefault(market.offering_id, deque()).append(ticket)

    def _drop(self, conn: socket.socket) -> None:
        """Forget a connection; its orders still waiting are placed all the same (their sender
        learns nothing of them: it answered its client OrderStatusUnknown)."""
        self.selector.unregister(conn)
        del self.buffers[conn]
        conn.close()

    def _round(self, queue: deque[desk.Ticket]) -> None:
        batch = [queue.popleft() for _ in range(min(desk.MAX_BATCH, len(queue)))]
        outcomes: list = [None] * len(batch)
        self.rounds += 1
        try:
            desk.place_round(batch, outcomes)
        finally:
            queue.extendleft(
                reversed([t for t, o in zip(batch, outcomes, strict=True) if o is desk.AGAIN])
            )
            for ticket, outcome in zip(batch, outcomes, strict=True):
                if outcome is not desk.AGAIN:
                    self._answer(ticket, self._alone(ticket) if outcome is None else outcome)

    @staticmethod
    def _alone(ticket: desk.Ticket):
        """The outcome of placing a ticket alone (its batch was rolled back)."""
        try:
            return services.place_order(
                owner_id=ticket.owner_id, market=ticket.market, request=ticket.request
            )
        except ServiceError as error:
            return error
        except Exception as error:  # noqa: BLE001 (its sender gets it, as DeskFailed)
            return desk.Failed(error)

    def _answer(self, ticket: desk.Ticket, outcome) -> None:
        if isinstance(outcome, desk.Failed):
            logger.error("the order desk failed a batch", exc_info=outcome.error)
            answer = ("failed", f"{type(outcome.error).__name__}: {outcome.error}")
        elif isinstance(outcome, ServiceError):
            answer = ("refused", outcome)
        else:
            answer = ("placed", outcome)
        self.answered += 1
        if ticket.reply_to not in self.buffers:
            return  # its sender hung up
        try:
            ticket.reply_to.sendall(_frame(answer))
        except OSError:
            self._drop(ticket.reply_to)
