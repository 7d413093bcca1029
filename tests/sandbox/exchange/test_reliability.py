"""Many processes trading one market at once on PostgreSQL, including one killed mid-flight.

After each run: the ledger sums to zero and matches every balance, no balance is negative, every
trade has its postings, each open order's hold matches what it still needs, and an engine rebuilt
from the database is the book the writers were matching against."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from sandbox.exchange.deskprocess import listening
from sandbox.exchange.engines import rebuild_engine
from sandbox.exchange.markets import list_default_markets
from sandbox.exchange.models import Market, Order, Trade
from sandbox.wallet.checks import find_ledger_breaks
from sandbox.wallet.services import open_wallet
from tests.factories import OfferingFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PROCESSES = 3
ORDERS_EACH = 700


@pytest.fixture
def market(on_postgres, assets):
    offering = OfferingFactory(slug="load")
    market = next(m for m in list_default_markets(offering_id=offering.pk) if m.symbol == "BTCKRW")
    for n in range(6):
        open_wallet(offering_id=offering.pk, owner_id=UserFactory(username=f"trader{n}").pk)
    return market


def load(
    users: str, orders: int, seed: int, threads: int = 1, desk: Path | None = None
) -> subprocess.Popen:
    """A process placing random orders; with `desk`, through the order desk process there."""
    command = [sys.executable, "manage.py", "exchange_load", "--offering", "load"]
    command += ["--users", users, "--orders", str(orders), "--seed", str(seed)]
    command += ["--threads", str(threads)]  # above 1: through the order desk, in batches
    return subprocess.Popen(
        command,
        cwd=settings.BASE_DIR,
        env=process_env(desk),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def process_env(desk: Path | None = None) -> dict[str, str]:
    """A child process's environment: this test's database; with `desk`, its order desk."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    env.pop("EXCHANGE_ORDER_DESK_SOCKET", None)
    if desk is not None:
        env["EXCHANGE_ORDER_DESK_SOCKET"] = str(desk)
    return env


def order_desk(path: Path) -> subprocess.Popen:
    """`manage.py order_desk` on `path`, as the Procfile runs it, once it listens."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "order_desk"],
        cwd=settings.BASE_DIR,
        env=process_env(path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not listening(path):
        assert process.poll() is None, process.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "the order desk did not start"
        time.sleep(0.1)
    return process


@pytest.fixture
def desk_socket():
    folder = Path(tempfile.mkdtemp(prefix="desk"))  # short: a Unix socket's path is limited
    yield folder / "desk.sock"
    shutil.rmtree(folder)


def finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-6000:]
    assert "book-consistent" in out
    return out


def assert_books_are_right(market: Market) -> None:
    """ledger_check's proofs: postings balance and match every balance, none negative; locked
    balances are the open orders' holds and each hold is what its order needs; every trade has
    its journal. Then the book rebuilt from the database is not crossed."""
    assert find_ledger_breaks() == []
    market.refresh_from_db()
    book = rebuild_engine(market)
    assert book.best_bid is None or book.best_ask is None or book.best_bid < book.best_ask


def test_concurrent_processes_keep_the_books_right(market):
    users = ["trader0,trader1,trader2", "trader2,trader3,trader4", "trader4,trader5,trader0"]

    processes = [
        load(users[i], ORDERS_EACH, seed=i, threads=1 + 3 * (i > 0)) for i in range(PROCESSES)
    ]
    outputs = [finish(p) for p in processes]

    assert Trade.objects.count() > 50, outputs
    assert all("live engine equals the rebuild" in out for out in outputs), outputs
    assert_books_are_right(market)


def test_a_writer_killed_mid_flight_loses_nothing_and_the_market_resumes(market):
    survivor = load("trader0,trader1,trader2", ORDERS_EACH, seed=7)
    victim = load("trader3,trader4,trader5,trader0", 100_000, seed=8, threads=4)
    _wait_for_orders(market, minimum=300)

    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    finish(survivor)
    connection.close()  # the test's own connection sees the committed state fresh

    assert victim.returncode == -signal.SIGKILL
    assert_books_are_right(market)
    restarted = finish(load("trader3,trader4,trader5", 300, seed=9))  # the only writer now
    assert "live engine equals the rebuild" in restarted
    assert_books_are_right(market)


def test_processes_trading_through_the_order_desk_keep_the_books_right(market, desk_socket):
    desk = order_desk(desk_socket)
    try:
        loaders = [
            load(users, 300, seed=20 + n, threads=3, desk=desk_socket)
            for n, users in enumerate(["trader0,trader1,trader2", "trader3,trader4,trader5"])
        ]
        outputs = [p.communicate(timeout=600) for p in loaders]
    finally:
        desk.send_signal(signal.SIGTERM)
        said, err = desk.communicate(timeout=30)

    assert desk.returncode == 0, err[-3000:]
    assert not desk_socket.exists()  # it cleans up after itself
    counted = re.search(r"(\d+) orders placed or refused in (\d+) rounds", said).groups()
    answered, rounds = map(int, counted)
    placed = Order.objects.filter(market=market).count()
    assert answered >= placed > 200  # every order was placed there (the rest: cancels, refusals)
    assert rounds < answered  # in batches
    for loader, (out, err) in zip(loaders, outputs, strict=True):
        assert loader.returncode == 0, err[-6000:]
        assert "book-consistent" in out
        assert "cannot be reached" not in err  # none fell back: every order went to the desk
    assert Trade.objects.filter(market=market).count() > 20
    assert_books_are_right(market)


def test_the_order_desk_killed_mid_flight_loses_nothing_and_its_senders_carry_on(
    market, desk_socket
):
    desk = order_desk(desk_socket)
    loader = load("trader0,trader1,trader2,trader3", 1500, seed=30, threads=4, desk=desk_socket)
    _wait_for_orders(market, minimum=300)

    # stopped first, so that orders are surely in flight at the kill: killed at once, the desk
    # might have answered every sender a moment before (a race the test lost once in CI)
    desk.send_signal(signal.SIGSTOP)
    time.sleep(0.5)  # the loader's threads send their next orders, and wait
    desk.send_signal(signal.SIGKILL)
    desk.wait(timeout=30)
    out, err = loader.communicate(timeout=600)
    connection.close()

    assert loader.returncode == 0, err[-6000:]
    assert "book-consistent" in out
    assert "order_status_unknown=" in out  # orders were in flight at the kill ...
    assert "cannot be reached" in err  # ... and it went on placing its orders itself
    assert_books_are_right(market)


def _wait_for_orders(market: Market, minimum: int) -> None:
    deadline = time.monotonic() + 120
    while Order.objects.filter(market=market).count() < minimum:
        assert time.monotonic() < deadline, "load never got going"
        time.sleep(0.2)
