"""The order desk process: orders handed to it over its Unix socket are placed there, in batches,
and each sender gets its own outcome back (the order with its fills, or the refusal); a desk
that cannot be reached leaves orders to be placed in the sender's process; an answer lost once
the order was sent is Binance's -1007 (status unknown), never a second placement."""

import contextlib
import pickle
import socket
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from campus.errors import ServiceError
from sandbox.exchange import deskprocess, services
from sandbox.exchange.api.errors import TooMuchWeight
from sandbox.exchange.errors import ExchangeError, FilterFailure, MarketClosed, insufficient_balance
from sandbox.exchange.models import Order, Trade
from sandbox.wallet.checks import find_ledger_breaks
from sandbox.wallet.ledger import InsufficientBalance
from tests.factories import UserFactory
from tests.sandbox.exchange import test_desk
from tests.sandbox.exchange.api.conftest import api_client, limit_order
from tests.sandbox.exchange.test_desk import CALLERS, at_once, placing
from tests.sandbox.trades import assert_engine_matches_database, limit

market = test_desk.market  # the same fixture: a BTCKRW market, CALLERS traders with wallets


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
    for order in results:  # each order came back with its own fills
        saved = Order.objects.get(pk=order.pk)
        assert (order.status, order.executed_qty) == (saved.status, saved.executed_qty)
        mine = trades.filter(buyer_order=order) | trades.filter(seller_order=order)
        expected = sorted(mine.values_list("pk", flat=True)) if order.executed_qty else []
        assert sorted(t.pk for t in order.new_fills) == expected
    assert find_ledger_breaks() == []
    assert_engine_matches_database(market)


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


def test_a_batch_rolled_back_in_the_desk_is_placed_there_order_by_order(
    market, order_desk, monkeypatch
):
    alone: list[str] = []
    place_order = services.place_order

    def placed_alone(**order):
        alone.append(threading.current_thread().name)
        return place_order(**order)

    def failing(groups, **options):
        raise services.BatchRolledBack()

    monkeypatch.setattr(services, "place_batches", failing)
    monkeypatch.setattr(services, "place_order", placed_alone)
    results = at_once(
        [placing(market, o, limit("BUY", "0.001", "90000000")) for o in market.traders]
    )

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

    assert all(isinstance(r, deskprocess.DeskFailed) for r in results), results
    assert "the answer to COMMIT was lost" in str(results[0])
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
    assert "order-desk" not in {name for name, _ in rounds}  # placed by the senders' threads
    assert len(tries) == 1  # the first failure kept the next from trying for a while
    assert Order.objects.filter(market=market).count() == 3

    monkeypatch.setattr(deskprocess, "_down_until", time.monotonic() - 1)  # a while later
    at_once([placing(market, market.traders[3], limit("BUY", "0.001", "90000000"))])
    assert len(tries) == 2


class _Mute:
    """A desk that reads an order and hangs up without answering (it died mid-batch)."""

    def __init__(self, path: Path) -> None:
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(str(path))
        self.listener.listen()
        self.received: list = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            self.received.append(deskprocess._read_frame(conn))


@pytest.fixture
def mute_desk(socket_path):
    mute = _Mute(socket_path)
    yield mute
    mute.listener.close()
    mute.thread.join(5)


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


def test_a_bad_frame_loses_its_own_connection_only(market, order_desk, socket_path, rounds):
    with socket.socket(socket.AF_UNIX) as rogue:
        rogue.connect(str(socket_path))
        rogue.sendall(deskprocess.HEADER.pack(5) + b"hello")
        rogue.settimeout(5)
        assert rogue.recv(10) == b""  # dropped

    (result,) = at_once([placing(market, market.traders[0], limit("BUY", "0.001", "90000000"))])
    assert isinstance(result, Order)
    assert [name for name, _ in rounds] == ["order-desk"]  # the desk still serves


def test_the_socket_is_its_owners_only(order_desk, socket_path):
    assert socket_path.stat().st_mode & 0o077 == 0


def test_the_command_needs_a_socket(settings):
    settings.EXCHANGE_ORDER_DESK_SOCKET = ""
    with pytest.raises(CommandError, match="EXCHANGE_ORDER_DESK_SOCKET"):
        call_command("order_desk", socket="")


@pytest.mark.parametrize(
    "refusal",
    [
        FilterFailure("LOT_SIZE", "Quantity steps of 0.00001."),
        MarketClosed("BTCKRW"),
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
