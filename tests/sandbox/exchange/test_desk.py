"""The order desk: orders for one market that arrive together are placed in one transaction, each
caller gets its own outcome, and a batch that fails is placed again one order at a time."""

import threading
import time
from decimal import Decimal as D

import pytest
from django.db import connections

from sandbox.exchange import desk, services
from sandbox.exchange.errors import ExchangeError
from sandbox.exchange.markets import list_default_markets
from sandbox.exchange.models import Order
from sandbox.wallet.checks import find_ledger_breaks
from sandbox.wallet.services import open_wallet
from tests.factories import OfferingFactory, UserFactory
from tests.sandbox.trades import assert_engine_matches_database, limit

CALLERS = 12


@pytest.fixture
def market(on_postgres, transactional_db, assets):
    offering = OfferingFactory()
    market = next(m for m in list_default_markets(offering_id=offering.pk) if m.symbol == "BTCKRW")
    market.traders = [UserFactory().pk for _ in range(CALLERS)]
    for owner in market.traders:
        open_wallet(offering_id=offering.pk, owner_id=owner)
    return market


@pytest.fixture
def batches(monkeypatch):
    """The sizes of the batches the desk placed; the first one is slowed down a little, so that
    callers pile up behind it as they do under load."""
    sizes: list[int] = []
    place_batch = services.place_batch

    def recorded(*, market, entries):
        sizes.append(len(entries))
        if len(sizes) == 1:
            time.sleep(0.2)
        return place_batch(market=market, entries=entries)

    monkeypatch.setattr(services, "place_batch", recorded)
    return sizes


def at_once(calls: list) -> list:
    """Run each call on a thread of its own, all released together; their results (or the
    exception each raised) in order."""
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(n: int, call) -> None:
        try:
            start.wait()
            results[n] = call()
        except BaseException as error:  # noqa: BLE001 (handed back to the test)
            results[n] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def placing(market, owner: int, request):
    return lambda: desk.place_order(owner_id=owner, market=market, request=request)


def test_orders_arriving_together_are_placed_in_a_few_transactions(market, batches):
    requests = [
        limit("BUY" if n % 2 else "SELL", "0.001", f"{100_000_000 + (n % 5 - 2) * 100_000}")
        for n in range(CALLERS)
    ]
    results = at_once(
        [placing(market, o, r) for o, r in zip(market.traders, requests, strict=True)]
    )

    assert all(isinstance(r, Order) for r in results), results
    assert [r.owner_id for r in results] == market.traders
    assert sum(batches) == CALLERS
    assert max(batches) > 1, batches  # the callers behind the first shared transactions
    assert Order.objects.filter(market=market).count() == CALLERS
    assert find_ledger_breaks() == []
    assert_engine_matches_database(market)


def test_a_refused_order_is_refused_to_its_own_caller_only(market, batches):
    calls = [placing(market, o, limit("BUY", "0.001", "90000000")) for o in market.traders]
    calls[3] = placing(market, market.traders[3], limit("BUY", "50", "90000000"))  # too big
    results = at_once(calls)

    assert isinstance(results[3], ExchangeError)
    assert results[3].code == "insufficient_balance"
    assert all(isinstance(r, Order) for n, r in enumerate(results) if n != 3), results
    assert not Order.objects.filter(owner_id=market.traders[3]).exists()
    assert max(batches) > 1, batches


def test_a_batch_rolled_back_is_placed_again_one_order_at_a_time(market, monkeypatch):
    failed: list[int] = []
    alone: list[int] = []
    place_order = services.place_order

    def placed_alone(*, owner_id, market, request):
        alone.append(owner_id)
        return place_order(owner_id=owner_id, market=market, request=request)

    def failing(*, market, entries):
        failed.append(len(entries))
        time.sleep(0.05)
        raise services.BatchRolledBack()

    monkeypatch.setattr(services, "place_batch", failing)
    monkeypatch.setattr(services, "place_order", placed_alone)
    results = at_once(
        [placing(market, o, limit("BUY", "0.001", "90000000")) for o in market.traders]
    )

    assert all(isinstance(r, Order) for r in results), results
    assert sum(failed) == CALLERS  # every order went through a batch first ...
    assert max(failed) > 1, failed  # (batches of several, rolled back as a whole) ...
    assert sorted(alone) == sorted(market.traders)  # ... then was placed on its own ...
    assert Order.objects.filter(market=market).count() == CALLERS  # ... and was placed once
    assert find_ledger_breaks() == []


def test_an_error_after_a_batch_may_have_committed_is_never_retried(market, monkeypatch):
    place_batch = services.place_batch

    sizes: list[int] = []

    def committed_then_failed(*, market, entries):
        sizes.append(len(entries))
        place_batch(market=market, entries=entries)
        raise ConnectionError("the answer to COMMIT was lost")

    monkeypatch.setattr(services, "place_batch", committed_then_failed)
    results = at_once(
        [placing(market, o, limit("BUY", "0.001", "90000000")) for o in market.traders]
    )

    assert all(isinstance(r, ConnectionError) for r in results), results
    assert max(sizes) > 1, sizes  # whole batches, not only orders placed alone
    assert Order.objects.filter(market=market).count() == CALLERS  # each once, none twice


class Stop(BaseException):
    pass


def test_a_leader_stopped_mid_batch_leaves_the_desk_free(market, monkeypatch):
    def stopped(*, market, entries):
        raise Stop()

    monkeypatch.setattr(services, "place_batch", stopped)
    first = at_once([placing(market, market.traders[0], limit("BUY", "0.001", "90000000"))])
    assert isinstance(first[0], Stop)

    monkeypatch.undo()
    later = at_once([placing(market, market.traders[1], limit("BUY", "0.001", "90000000"))])
    assert isinstance(later[0], Order), later  # the desk was handed on, not left taken


@pytest.mark.django_db
def test_inside_a_caller_s_transaction_an_order_is_placed_alone(exchange, monkeypatch):
    def unused(**kwargs):
        raise AssertionError("no batch inside a transaction")

    monkeypatch.setattr(services, "place_batch", unused)
    order = desk.place_order(
        owner_id=exchange.alice.pk, market=exchange.btc, request=limit("BUY", "0.001", "90000000")
    )
    assert Order.objects.get(pk=order.pk).held == D("90000")
