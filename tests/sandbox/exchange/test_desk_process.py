"""The order desk process: orders handed to it over its Unix socket are placed there, in batches,
and each sender gets its own outcome back (the order with its fills, or the refusal); a desk
that cannot be reached, or serves another database, leaves orders to be placed in the sender's
process; an order past its deadline, or whose sender hung up, is not placed (-1008, busy); an
answer lost once the order was sent is Binance's -1007 (status unknown), never a second
placement, and never read as another order's answer."""

import collections
import contextlib
import os
import pickle
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.db.models import Q

from campus.errors import ServiceError
from sandbox.exchange import desk, deskprocess, services
from sandbox.exchange.api.errors import TooMuchWeight
from sandbox.exchange.apikeys import revoke_api_key
from sandbox.exchange.errors import (
    ApiKeyRejected,
    ExchangeError,
    FilterFailure,
    InvalidEnum,
    MarketClosed,
    insufficient_balance,
)
from sandbox.exchange.models import Order, Trade
from sandbox.wallet.checks import find_ledger_breaks
from sandbox.wallet.ledger import InsufficientBalance
from tests.factories import UserFactory
from tests.sandbox.exchange import test_desk
from tests.sandbox.exchange.api.conftest import api_client, limit_order
from tests.sandbox.exchange.test_desk import CALLERS, at_once, key_of, placing
from tests.sandbox.trades import assert_engine_matches_database, limit

market = test_desk.market  # the same fixtures: a BTCKRW market, CALLERS traders with wallets;
rolled_back = test_desk.rolled_back  # every batch rolled back, what was then placed alone


@pytest.fixture
def socket_path(settings, monkeypatch):
    """A fresh socket path (short: Unix socket paths are limited to about 100 bytes), named in
    the settings as the desk's; the desk counts as reachable."""
    folder = Path(tempfile.mkdtemp(prefix="desk"))
    path = folder / "desk.sock"
    settings.EXCHANGE_ORDER_DESK_SOCKET = str(path)
    monkeypatch.setattr(deskprocess, "_down_until", 0.0)
    yield path
    with contextlib.suppress(OSError):
        path.unlink()
    folder.rmdir()


@contextlib.contextmanager
def running_desk(path: Path):
    """The order desk's loop on a thread of this process, listening at `path`."""
    order_desk = deskprocess.OrderDesk(path)
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(target=order_desk.serve, args=(stop, ready.set), name="order-desk")
    thread.start()
    assert ready.wait(10), "the order desk did not start"
    try:
        yield order_desk
    finally:
        stop.set()
        thread.join(10)
        assert not thread.is_alive()


@pytest.fixture
def order_desk(socket_path):
    with running_desk(socket_path) as order_desk:
        yield order_desk


@pytest.fixture
def rounds(monkeypatch):
    """(thread name, orders) of each batch placed; the first is slowed down a little, so that
    orders pile up behind it as they do under load."""
    seen: list[tuple[str, int]] = []
    place_batches = services.place_batches

    def recorded(groups, **options):
        seen.append((threading.current_thread().name, sum(len(e) for _, e in groups)))
        if len(seen) == 1:
            time.sleep(0.2)
        return place_batches(groups, **options)

    monkeypatch.setattr(services, "place_batches", recorded)
    return seen


def test_orders_sent_together_are_placed_by_the_desk_in_batches(market, order_desk, rounds):
    prices = [100_000_000 + (n % 5 - 2) * 100_000 for n in range(CALLERS)]
    calls = [
        placing(market, owner, limit("BUY" if n % 2 else "SELL", "0.001", f"{prices[n]}"))
        for n, owner in enumerate(market.traders)
    ]
    results = at_once(calls)

    assert all(isinstance(r, Order) for r in results), results
    assert [r.owner_id for r in results] == market.traders  # each sender its own order
    assert {name for name, _ in rounds} == {"order-desk"}  # all placed in the desk
    assert sum(n for _, n in rounds) == CALLERS
    assert max(n for _, n in rounds) > 1, rounds  # the orders behind the first shared one
    trades = Trade.objects.filter(market=market)
    assert trades.exists()  # some crossed
    for order in results:  # each came back with its fills in its batch (as taker or maker) ...
        assert order.executed_qty == sum((t.qty for t in order.new_fills), D(0))
        assert {t.pk for t in order.new_fills} <= set(
            trades.filter(Q(buyer_order=order) | Q(seller_order=order)).values_list("pk", flat=True)
        )
    fills = {t.pk for order in results for t in order.new_fills}
    assert fills == set(trades.values_list("pk", flat=True))  # ... and no trade went missing
    assert find_ledger_breaks() == []
    assert_engine_matches_database(market)


def test_an_order_comes_back_from_the_desk_as_the_database_holds_it(
    market, order_desk, django_assert_num_queries
):
    (maker,) = at_once([placing(market, market.traders[0], limit("SELL", "0.002", "90000000"))])
    (taker,) = at_once([placing(market, market.traders[1], limit("BUY", "0.001", "91000000"))])

    saved = Order.objects.get(pk=taker.pk)
    for field in Order._meta.concrete_fields:  # every field, as the ORM reads it
        assert getattr(taker, field.attname) == getattr(saved, field.attname), field
    assert not taker._state.adding and taker.status == Order.Status.FILLED
    assert (maker.status, maker.created_at) == (
        Order.Status.NEW,
        Order.objects.get(pk=maker.pk).created_at,
    )
    (fill,) = taker.new_fills
    assert fill.pk == Trade.objects.get(buyer_order=taker).pk
    assert (fill.price, fill.qty, fill.seller_order_id) == (D("90000000"), D("0.001"), maker.pk)
    with django_assert_num_queries(0):  # the sender's market, attached: no query to read it
        assert taker.market is not None and taker.market.symbol == market.symbol


@pytest.fixture
def sent(monkeypatch):
    """What the desk sent, in turn: ("answer", owner) to an order's sender, ("publish", groups)
    to the channel layer (as it hands them over: they go out in that order)."""
    from sandbox.exchange import streams
    from sandbox.exchange.streams import user_group

    log: list[tuple[str, object]] = []
    groups_of = {}
    send, send_behind = deskprocess.OrderDesk._send, streams._send_behind

    def answered(order_desk, conn, answer):
        owner = groups_of.pop(conn, None)
        log.append(("answer", owner))
        return send(order_desk, conn, answer)

    def published(messages):
        log.append(("publish", {group for group, _ in messages}))
        return send_behind(messages)

    def ticket(order_desk, frame, conn):
        made = ticket_of(order_desk, frame, conn)
        if made is not None:
            groups_of[conn] = user_group(
                offering_id=made.market.offering_id, owner_id=made.owner_id
            )
        return made

    ticket_of = deskprocess.OrderDesk._ticket
    monkeypatch.setattr(deskprocess.OrderDesk, "_send", answered)
    monkeypatch.setattr(deskprocess.OrderDesk, "_ticket", ticket)
    monkeypatch.setattr(streams, "_send_behind", published)
    return log


def assert_answered_before_published(log: list) -> None:
    """No order's events go out before its answer, and every answered order's events go out.
    (An owner's events are those of its own group: a later round filling the order, as a
    maker, would publish to that group again, after the answer too.)"""
    answered, published = set(), set()
    for kind, what in log:
        if kind == "answer":
            answered.add(what)
        else:
            mine = {group for group in what if group.startswith("ud.")}
            assert mine <= answered, log
            published |= mine
    assert answered <= published, log


def wait_for_publishes(log: list) -> None:
    """Wait (at most 5 s) until every answered order's events were published: the desk
    publishes them right after the answers its callers were waiting for."""
    deadline = time.monotonic() + 5
    while True:
        answered = {what for kind, what in log if kind == "answer"}
        published = {g for kind, what in log if kind == "publish" for g in what}
        if answered <= published or time.monotonic() > deadline:
            return
        time.sleep(0.01)


def test_the_desk_answers_a_round_s_orders_before_it_publishes_their_events(
    market, order_desk, rounds, sent
):
    calls = [placing(market, o, limit("BUY", "0.001", "90000000")) for o in market.traders]
    results = at_once(calls)

    assert all(isinstance(r, Order) for r in results), results
    wait_for_publishes(sent)
    assert sent[0][0] == "answer"
    assert_answered_before_published(sent)


def test_the_events_of_orders_placed_alone_in_the_desk_wait_for_their_answers(
    market, order_desk, rolled_back, sent
):
    results = at_once(
        [placing(market, o, limit("BUY", "0.001", "90000000")) for o in market.traders[:3]]
    )

    assert all(isinstance(r, Order) for r in results), results
    assert [name for name, _ in rolled_back.alone] == ["order-desk"] * 3
    wait_for_publishes(sent)
    assert_answered_before_published(sent)
    # each order placed alone is answered, then its events go, before the next is placed
    kinds = [kind for kind, _ in sent]
    assert kinds == ["answer", "publish"] * 3, sent


def raised(call):
    """`call`, with what it raised given back as ("raised", error), to tell it from a return."""

    def run():
        try:
            return call()
        except ServiceError as error:
            return ("raised", error)

    return run


def test_a_refusal_goes_back_to_its_own_sender_as_it_was_raised(market, order_desk, rounds):
    calls = [placing(market, o, limit("BUY", "0.001", "90000000")) for o in market.traders]
    calls[3] = placing(market, market.traders[3], limit("BUY", "50", "90000000"))  # too big
    calls[5] = placing(market, market.traders[5], limit("BUY", "0.001", "90000050"))  # off tick
    results = at_once([raised(call) for call in calls])

    assert results[3][0] == results[5][0] == "raised"
    results[3], results[5] = results[3][1], results[5][1]
    assert isinstance(results[3], ExchangeError)
    assert (results[3].code, results[3].binance_code) == ("insufficient_balance", -2010)
    assert isinstance(results[5], FilterFailure)
    assert results[5].filter_name == "PRICE_FILTER"
    assert "1000" in results[5].detail  # the tick size, as the desk's refusal said
    assert all(isinstance(r, Order) for n, r in enumerate(results) if n not in (3, 5)), results
    assert not Order.objects.filter(owner_id__in=[market.traders[3], market.traders[5]]).exists()
    assert {name for name, _ in rounds} == {"order-desk"}


def test_the_desk_refuses_an_order_whose_key_may_no_longer_act(market, order_desk):
    owner = market.traders[0]
    key = key_of(market, owner)
    revoke_api_key(user_id=owner, key_id=key)

    with pytest.raises(ApiKeyRejected):
        desk.place_order(
            owner_id=owner,
            market=market,
            request=limit("BUY", "0.001", "90000000"),
            recheck_key=key,
        )

    assert order_desk.placed == 1  # the desk refused it
    assert not Order.objects.filter(market=market).exists()


def test_a_batch_rolled_back_in_the_desk_is_placed_there_order_by_order(
    market, order_desk, rolled_back
):
    results = at_once(
        [placing(market, o, limit("BUY", "0.001", "90000000")) for o in market.traders]
    )
    alone = [name for name, _ in rolled_back.alone]

    assert all(isinstance(r, Order) for r in results), results
    assert alone == ["order-desk"] * CALLERS  # each placed once, on its own, in the desk
    assert Order.objects.filter(market=market).count() == CALLERS
    assert find_ledger_breaks() == []


def test_an_error_once_the_batch_may_have_committed_fails_its_orders_and_places_none_again(
    market, order_desk, monkeypatch
):
    place_batches = services.place_batches

    def committed_then_failed(groups, **options):
        place_batches(groups, **options)
        raise ConnectionError("the answer to COMMIT was lost")

    monkeypatch.setattr(services, "place_batches", committed_then_failed)
    results = at_once(
        [placing(market, o, limit("BUY", "0.001", "90000000")) for o in market.traders]
    )

    assert all(isinstance(r, deskprocess.OrderStatusUnknown) for r in results), results
    assert Order.objects.filter(market=market).count() == CALLERS  # each once, none twice


def test_an_unreachable_desk_leaves_orders_to_this_process_and_is_not_tried_each_time(
    market, socket_path, rounds, monkeypatch
):
    tries: list[str] = []
    sent = deskprocess._sent

    def counted(path, frame):
        tries.append(path)
        return sent(path, frame)

    monkeypatch.setattr(deskprocess, "_sent", counted)
    results = [  # one after another
        at_once([placing(market, owner, limit("BUY", "0.001", "90000000"))])[0]
        for owner in market.traders[:3]
    ]

    assert all(isinstance(r, Order) for r in results), results
    assert len(tries) == 1  # the first failure kept the next from trying for a while
    assert Order.objects.filter(market=market).count() == 3

    monkeypatch.setattr(deskprocess, "_down_until", time.monotonic() - 1)  # a while later
    at_once([placing(market, market.traders[3], limit("BUY", "0.001", "90000000"))])
    assert len(tries) == 2


class _FakeDesk:
    """A stand-in for the desk process, listening at `path`: `_serve` on a thread of its own."""

    def __init__(self, path: Path) -> None:
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(str(path))
        self.listener.listen()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.listener.close()
        self.thread.join(5)


class _Mute(_FakeDesk):
    """A desk that reads an order and hangs up without answering (it died mid-batch)."""

    def __init__(self, path: Path) -> None:
        self.received: list = []
        super().__init__(path)

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            self.received.append(deskprocess._read_frame(conn))


@pytest.fixture
def mute_desk(socket_path):
    mute = _Mute(socket_path)
    yield mute
    mute.close()


def test_an_answer_lost_after_sending_is_status_unknown_and_never_placed_again(
    market, mute_desk, rounds
):
    (result,) = at_once([placing(market, market.traders[0], limit("BUY", "0.001", "90000000"))])

    assert isinstance(result, deskprocess.OrderStatusUnknown)
    assert len(mute_desk.received) == 1  # the order went out ...
    assert rounds == []  # ... and was not placed here as well
    assert not Order.objects.filter(market=market).exists()


def test_the_api_answers_a_lost_answer_with_binances_status_unknown(market, mute_desk):
    alice = api_client(UserFactory(), market.offering)  # the test client: not in a transaction

    response = alice.post("order", **limit_order(newClientOrderId="lost-1"))

    assert response.status_code == 503
    assert response.json()["code"] == -1007
    assert response.json()["msg"] == (
        "Timeout waiting for response from backend server. Send status unknown; "
        "execution status unknown."
    )
    assert "newClientOrderId" in response.json()["detail"]
    assert not Order.objects.filter(market=market).exists()


def test_a_restarted_desk_is_found_again_on_the_same_thread(market, socket_path, rounds):
    sender = ThreadPoolExecutor(max_workers=1)  # one thread, so one kept connection
    place = placing(market, market.traders[0], limit("BUY", "0.001", "90000000"))
    try:
        with running_desk(socket_path):
            first = sender.submit(place).result(30)
        with running_desk(socket_path):  # its connection to the first desk is closed now
            second = sender.submit(place).result(30)
    finally:
        sender.submit(connections.close_all).result(10)
        sender.shutdown()

    assert isinstance(first, Order) and isinstance(second, Order)
    assert [name for name, _ in rounds] == ["order-desk", "order-desk"]  # both in a desk
    assert Order.objects.filter(market=market).count() == 2


def _order_frame_of(
    market_row, request_row=None, *, shape=None, expires=None, owner_id=1, key=None
) -> bytes:
    """An order frame as a sender would send it, with these rows (and this shape)."""
    request_row = request_row or deskprocess._request_row(limit("BUY", "0.001", "90000000"))
    shape = shape or deskprocess.frame_shape()
    expires = expires or time.monotonic() + 60
    identity = deskprocess.database_identity()
    return deskprocess._frame((identity, shape, expires, owner_id, market_row, request_row, key))


@pytest.mark.parametrize(
    "frame",
    [
        lambda market: deskprocess.HEADER.pack(5) + b"hello",  # not a pickle
        lambda market: deskprocess._frame(("a", "tuple", "of", "the", "wrong", "shape")),
        lambda market: _order_frame_of("not a market", "not a request"),
        lambda market: _order_frame_of(deskprocess._row(market)[:-1]),  # a field short
        lambda market: _order_frame_of((None,) * len(deskprocess._row(market))),  # no ids
        lambda market: _order_frame_of(([],) * len(deskprocess._row(market))),  # unhashable
    ],
)
def test_a_bad_frame_loses_its_own_connection_only(market, order_desk, socket_path, rounds, frame):
    with socket.socket(socket.AF_UNIX) as rogue:
        rogue.connect(str(socket_path))
        rogue.sendall(frame(market))
        rogue.settimeout(5)
        assert rogue.recv(10) == b""  # dropped

    (result,) = at_once([placing(market, market.traders[0], limit("BUY", "0.001", "90000000"))])
    assert isinstance(result, Order)
    assert [name for name, _ in rounds] == ["order-desk"]  # the desk still serves


def test_the_socket_is_its_owners_only(order_desk, socket_path):
    assert socket_path.stat().st_mode & 0o077 == 0


def test_without_a_socket_the_command_idles_until_stopped():
    env = {**os.environ, "EXCHANGE_ORDER_DESK_SOCKET": ""}
    command = [sys.executable, "manage.py", "order_desk"]
    process = subprocess.Popen(
        command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, text=True
    )
    said = process.stdout.readline()  # once it is waiting
    time.sleep(0.5)
    assert process.poll() is None  # idles: the Procfile's other processes run on
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)
    assert process.returncode == 0
    assert "the web processes place their own orders" in said


def test_a_desk_will_not_take_over_a_live_desks_socket(order_desk, socket_path):
    stop = threading.Event()
    stop.set()  # were it to start, it would stop at once
    with pytest.raises(RuntimeError, match="another order desk listens"):
        deskprocess.OrderDesk(socket_path).serve(stop)
    assert deskprocess.listening(socket_path)  # the first one still serves


def test_an_order_past_its_deadline_is_not_placed_and_says_busy(
    market, order_desk, rounds, monkeypatch
):
    monkeypatch.setattr(deskprocess, "QUEUE_DEADLINE_S", -1.0)  # already late when it arrives
    (result,) = at_once([placing(market, market.traders[0], limit("BUY", "0.001", "90000000"))])

    assert isinstance(result, deskprocess.DeskBusy)
    assert (result.binance_code, result.http_status) == (-1008, 503)
    assert rounds == []
    assert not Order.objects.filter(market=market).exists()


def test_an_order_whose_sender_hung_up_is_not_placed(market, order_desk, socket_path, rounds):
    first = threading.Thread(
        target=at_once, args=([placing(market, market.traders[0], limit("BUY", "0.001", "9e7"))],)
    )
    first.start()
    deadline = time.monotonic() + 10
    while not rounds:  # the first round has begun (it takes 0.2 s)
        assert time.monotonic() < deadline
        time.sleep(0.01)
    request = limit("BUY", "0.001", "90000000")
    frame = deskprocess._order_frame(
        time.monotonic() + 60, market.traders[1], market, request, None
    )
    with socket.socket(socket.AF_UNIX) as sender:
        sender.connect(str(socket_path))
        sender.sendall(frame)
    first.join(30)
    (later,) = at_once([placing(market, market.traders[2], limit("BUY", "0.001", "90000000"))])

    assert isinstance(later, Order)
    assert not Order.objects.filter(owner_id=market.traders[1]).exists()
    assert Order.objects.filter(market=market).count() == 2


def test_an_order_read_before_its_sender_hung_up_is_not_placed(market, rounds):
    order_desk = deskprocess.OrderDesk("/nonexistent/desk.sock")  # not serving: its round alone
    gone, kept = socket.socketpair()
    order_desk.buffers[kept] = bytearray()  # one connection still open; `gone`'s was dropped
    tickets = [
        deskprocess._Sent(market, owner, limit("BUY", "0.001", "90000000"), conn=conn)
        for owner, conn in ((market.traders[0], gone), (market.traders[1], kept))
    ]
    for ticket in tickets:
        ticket.expires = time.monotonic() + 60
    try:
        order_desk._round(collections.deque(tickets))
    finally:
        gone.close()
        kept.close()

    assert rounds == [("MainThread", 1)]  # the open connection's order only
    assert list(Order.objects.values_list("owner_id", flat=True)) == [market.traders[1]]


def test_a_desk_on_another_database_places_nothing(market, order_desk, rounds, monkeypatch):
    monkeypatch.setattr(deskprocess, "database_identity", lambda: "postgresql:elsewhere:5432:x")
    (result,) = at_once([placing(market, market.traders[0], limit("BUY", "0.001", "90000000"))])

    assert isinstance(result, Order)  # placed by its sender, in its own database
    assert [name for name, _ in rounds] != ["order-desk"]
    assert len(rounds) == 1


def test_an_order_in_rows_of_another_shape_is_placed_by_its_sender(
    market, order_desk, socket_path, rounds, monkeypatch
):
    with socket.socket(socket.AF_UNIX) as sender:  # a web process of another release, say
        sender.connect(str(socket_path))
        sender.sendall(_order_frame_of(deskprocess._row(market), shape="another release"))
        sender.settimeout(5)
        assert deskprocess._read_frame(sender) == ("other shape", deskprocess.frame_shape())

    def old_release(expires, owner_id, market, request, key):
        rows = deskprocess._row(market), deskprocess._request_row(request)
        return _order_frame_of(
            *rows, shape="another release", expires=expires, owner_id=owner_id, key=key
        )

    monkeypatch.setattr(deskprocess, "_order_frame", old_release)
    (result,) = at_once([placing(market, market.traders[0], limit("BUY", "0.001", "90000000"))])

    assert isinstance(result, Order)  # placed by its sender, as if the desk were down
    assert [name for name, _ in rounds] != ["order-desk"]
    assert len(rounds) == 1 and Order.objects.filter(market=market).count() == 1


def test_an_answer_that_cannot_be_read_says_status_unknown(market, socket_path):
    answering = _Answering(socket_path, ("placed", ("not", "the", "rows", "of", "an order")))
    try:
        with pytest.raises(deskprocess.OrderStatusUnknown):  # it may have been placed
            desk.place_order(
                owner_id=market.traders[0], market=market, request=limit("BUY", "1", "9e7")
            )
        assert deskprocess._down_until > time.monotonic()  # this process places its own a while
    finally:
        answering.close()


class _Answering(_FakeDesk):
    """A desk that answers an order with `answer`."""

    def __init__(self, path: Path, answer: tuple) -> None:
        self.answer = answer
        super().__init__(path)

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            conn, _ = self.listener.accept()
            with conn:
                deskprocess._read_frame(conn)
                conn.sendall(deskprocess._frame(self.answer))


class _Slow(_FakeDesk):
    """A desk that answers its first order late (after the sender gave up), then the next ones
    at once; each answer names the owner it is for."""

    def __init__(self, path: Path) -> None:
        self.late = True
        super().__init__(path)

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.listener.accept()
                threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn) -> None:
        with conn, contextlib.suppress(OSError, EOFError):
            while True:
                owner_id = deskprocess._read_frame(conn)[3]  # after the database, shape, deadline
                if self.late:
                    self.late = False
                    time.sleep(0.6)
                order = Order(id=owner_id, owner_id=owner_id, market_id=0)
                conn.sendall(deskprocess._frame(("placed", deskprocess._order_rows(order))))


def test_a_late_answer_is_never_read_as_the_next_orders(market, socket_path, monkeypatch):
    slow = _Slow(socket_path)
    monkeypatch.setattr(deskprocess, "ANSWER_TIMEOUT_S", 0.3)
    request = limit("BUY", "0.001", "90000000")
    try:
        with pytest.raises(deskprocess.OrderStatusUnknown):
            deskprocess.place_order(owner_id=1, market=market, request=request)
        assert deskprocess.place_order(owner_id=2, market=market, request=request) is (
            deskprocess.NOT_SENT  # after a lost answer, this process places its own a while
        )
        monkeypatch.setattr(deskprocess, "_down_until", 0.0)
        time.sleep(0.5)  # the first answer has been sent by now, on the first connection
        second = deskprocess.place_order(owner_id=2, market=market, request=request)
    finally:
        slow.listener.close()

    assert second.owner_id == 2


@pytest.mark.parametrize(
    "refusal",
    [
        FilterFailure("LOT_SIZE", "Quantity steps of 0.00001."),
        MarketClosed("BTCKRW"),
        InvalidEnum("side", ["BUY", "SELL"]),
        insufficient_balance("You have 5 KRW."),
        TooMuchWeight(6000, 30),
        deskprocess.OrderStatusUnknown(),
        InsufficientBalance(),
        ServiceError("some_code", "A message."),
    ],
)
def test_every_refusal_crosses_a_process_as_it_is(refusal):
    crossed = pickle.loads(pickle.dumps(refusal))

    assert type(crossed) is type(refusal)
    assert crossed.args == refusal.args
    assert vars(crossed) == vars(refusal)
    assert str(crossed) == str(refusal)


def test_a_desk_that_stops_waits_for_the_events_still_on_their_way(socket_path, monkeypatch):
    from sandbox.exchange import streams

    flushed = []
    monkeypatch.setattr(streams, "flush", lambda: flushed.append("flushed"))
    stop = threading.Event()
    stop.set()  # it stops as soon as it listens

    deskprocess.OrderDesk(socket_path).serve(stop)

    assert flushed == ["flushed"]  # their orders were answered: they were committed
