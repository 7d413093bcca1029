"""Many processes trading one market at once on PostgreSQL, including one killed mid-flight.

After each run: the ledger sums to zero and matches every balance, no balance is negative, every
trade has its postings, each open order's hold matches what it still needs, and an engine rebuilt
from the database is the book the writers were matching against."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

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


def load(users: str, orders: int, seed: int, threads: int = 1) -> subprocess.Popen:
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    command = [sys.executable, "manage.py", "exchange_load", "--offering", "load"]
    command += ["--users", users, "--orders", str(orders), "--seed", str(seed)]
    command += ["--threads", str(threads)]  # above 1: through the order desk, in batches
    return subprocess.Popen(
        command,
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


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


def _wait_for_orders(market: Market, minimum: int) -> None:
    deadline = time.monotonic() + 120
    while Order.objects.filter(market=market).count() < minimum:
        assert time.monotonic() < deadline, "load never got going"
        time.sleep(0.2)
