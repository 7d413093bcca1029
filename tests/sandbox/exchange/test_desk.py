"""The order desk: orders for an offering's markets that arrive together are placed in one
transaction, each caller gets its own outcome, orders of a market another process is busy with
wait for the next round, and a batch that fails is placed again one order at a time."""

import threading
import time
from decimal import Decimal as D
from types import SimpleNamespace

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from campus.models import User
from sandbox.exchange import desk, services
from sandbox.exchange.apikeys import create_api_key, revoke_api_key
from sandbox.exchange.errors import ApiKeyRejected, ExchangeError
from sandbox.exchange.markets import list_default_markets
from sandbox.exchange.models import ApiKey, Market, Order
from sandbox.wallet.checks import find_ledger_breaks
from sandbox.wallet.services import open_wallet
from tests.factories import EnrollmentFactory, OfferingFactory, UserFactory
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


def size(groups) -> int:
    return sum(len(entries) for _, entries in groups)


@pytest.fixture
def batches(monkeypatch):
    """The sizes of the batches the desk placed; the first one is slowed down a little, so that
    callers pile up behind it as they do under load."""
    sizes: list[int] = []
    place_batches = services.place_batches

    def recorded(groups, **options):
        sizes.append(size(groups))
        if len(sizes) == 1:
            time.sleep(0.2)
        return place_batches(groups, **options)

    monkeypatch.setattr(services, "place_batches", recorded)
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


@pytest.fixture
def rolled_back(monkeypatch):
    """Every batch is rolled back as a whole (after a moment, so that orders pile up behind
    it). Returns what happened: `failed`, the size of each batch; `alone`, (thread name, owner)
    of each order then placed on its own."""
    happened = SimpleNamespace(failed=[], alone=[])
    place_order = services.place_order

    def placed_alone(*, owner_id, market, request):
        happened.alone.append((threading.current_thread().name, owner_id))
        return place_order(owner_id=owner_id, market=market, request=request)

    def failing(groups, **options):
        happened.failed.append(size(groups))
        time.sleep(0.05)
        raise services.BatchRolledBack()

    monkeypatch.setattr(services, "place_batches", failing)
    monkeypatch.setattr(services, "place_order", placed_alone)
    return happened


def test_a_batch_rolled_back_is_placed_again_one_order_at_a_time(market, rolled_back):
    results = at_once(
        [placing(market, o, limit("BUY", "0.001", "90000000")) for o in market.traders]
    )
    failed, alone = rolled_back.failed, [owner for _, owner in rolled_back.alone]

    assert all(isinstance(r, Order) for r in results), results
    assert sum(failed) == CALLERS  # every order went through a batch first ...
    assert max(failed) > 1, failed  # (batches of several, rolled back as a whole) ...
    assert sorted(alone) == sorted(market.traders)  # ... then was placed on its own ...
    assert Order.objects.filter(market=market).count() == CALLERS  # ... and was placed once
    assert find_ledger_breaks() == []


def test_an_error_after_a_batch_may_have_committed_is_never_retried(market, monkeypatch):
    place_batches = services.place_batches

    sizes: list[int] = []

    def committed_then_failed(groups, **options):
        sizes.append(size(groups))
        place_batches(groups, **options)
        raise ConnectionError("the answer to COMMIT was lost")

    monkeypatch.setattr(services, "place_batches", committed_then_failed)
    results = at_once(
        [placing(market, o, limit("BUY", "0.001", "90000000")) for o in market.traders]
    )

    assert all(isinstance(r, ConnectionError) for r in results), results
    assert max(sizes) > 1, sizes  # whole batches, not only orders placed alone
    assert Order.objects.filter(market=market).count() == CALLERS  # each once, none twice


class Stop(BaseException):
    pass


def test_a_leader_stopped_mid_batch_leaves_the_desk_free(market, monkeypatch):
    def stopped(groups, **options):
        raise Stop()

    monkeypatch.setattr(services, "place_batches", stopped)
    first = at_once([placing(market, market.traders[0], limit("BUY", "0.001", "90000000"))])
    assert isinstance(first[0], Stop)

    monkeypatch.undo()
    later = at_once([placing(market, market.traders[1], limit("BUY", "0.001", "90000000"))])
    assert isinstance(later[0], Order), later  # the desk was handed on, not left taken


@pytest.fixture
def eth(market):
    eth = next(
        m for m in list_default_markets(offering_id=market.offering_id) if m.symbol == "ETHKRW"
    )
    return eth


def test_orders_for_several_markets_arriving_together_share_transactions(market, eth, monkeypatch):
    seen: list[int] = []  # markets per batch
    place_batches = services.place_batches

    def recorded(groups, **options):
        seen.append(len(groups))
        if len(seen) == 1:
            time.sleep(0.2)  # so that callers pile up behind the first
        return place_batches(groups, **options)

    monkeypatch.setattr(services, "place_batches", recorded)
    orders = [(market, "0.001", "90000000"), (eth, "0.01", "4000000")]  # alternately
    calls = [
        placing(orders[n % 2][0], owner, limit("BUY", *orders[n % 2][1:]))
        for n, owner in enumerate(market.traders)
    ]
    results = at_once(calls)

    assert all(isinstance(r, Order) for r in results), results
    assert [r.market_id for r in results] == [(market, eth)[n % 2].pk for n in range(CALLERS)]
    assert [r.owner_id for r in results] == market.traders  # each caller its own order
    assert max(seen) == 2, seen  # both markets in one transaction
    assert find_ledger_breaks() == []
    assert_engine_matches_database(market)
    assert_engine_matches_database(eth)


def holding(market):
    """A transaction of another connection that holds the market's row locked until released;
    returns (release, thread)."""
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                services.lock_market(market.pk)
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    assert locked.wait(10)
    return release, thread


def test_a_batch_leaves_out_a_market_another_transaction_holds(market, eth):
    release, thread = holding(market)
    try:
        btc_outcomes, eth_outcomes = services.place_batches(
            [
                (market, [(market.traders[0], limit("BUY", "0.001", "90000000"))]),
                (eth, [(market.traders[1], limit("BUY", "0.01", "4000000"))]),
            ],
            skip_busy=True,
        )
    finally:
        release.set()
        thread.join()

    assert btc_outcomes is None  # nothing of it placed
    assert isinstance(eth_outcomes[0], Order)
    assert not Order.objects.filter(market=market).exists()
    assert Order.objects.filter(market=eth).count() == 1
    assert find_ledger_breaks() == []


def test_a_batch_whose_markets_are_all_held_waits_a_little_then_places_nothing(market):
    release, thread = holding(market)
    try:
        started = time.monotonic()
        outcomes = services.place_batches(
            [(market, [(market.traders[0], limit("BUY", "0.001", "90000000"))])], skip_busy=True
        )
        waited = time.monotonic() - started
    finally:
        release.set()
        thread.join()

    assert outcomes == [None]
    assert waited >= services.BUSY_WAIT_MS / 1000
    assert not Order.objects.filter(market=market).exists()
    [[placed]] = services.place_batches(
        [(market, [(market.traders[0], limit("BUY", "0.001", "90000000"))])], skip_busy=True
    )
    assert isinstance(placed, Order)  # once free, the same order goes in
    assert find_ledger_breaks() == []


def test_orders_for_a_busy_market_wait_while_the_others_go_ahead(market, eth):
    release, thread = holding(market)
    results: dict[str, list] = {"btc": [], "eth": []}

    def place(name, m, owner, request):
        try:
            results[name].append(desk.place_order(owner_id=owner, market=m, request=request))
        finally:
            connections.close_all()

    callers = [
        threading.Thread(target=place, args=("btc", market, o, limit("BUY", "0.001", "90000000")))
        for o in market.traders[:3]
    ] + [
        threading.Thread(target=place, args=("eth", eth, o, limit("BUY", "0.01", "4000000")))
        for o in market.traders[3:6]
    ]
    try:
        for caller in callers:
            caller.start()
        deadline = time.monotonic() + 20
        while len(results["eth"]) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        eth_done, btc_done = len(results["eth"]), len(results["btc"])
    finally:
        release.set()
        thread.join()
    for caller in callers:
        caller.join(timeout=30)

    assert (eth_done, btc_done) == (3, 0)  # ETH placed while BTCKRW was held
    assert all(isinstance(r, Order) for r in results["btc"] + results["eth"])
    assert len(results["btc"]) == 3  # and BTCKRW's once it was free
    assert Order.objects.filter(market=market).count() == 3
    assert find_ledger_breaks() == []
    assert_engine_matches_database(market)
    assert_engine_matches_database(eth)


@pytest.mark.parametrize("held", [False, True], ids=["first-came-in-time", "wait-ran-out"])
def test_after_waiting_for_a_market_the_ledger_s_locks_wait_as_always(
    market, eth, monkeypatch, held
):
    """The short lock timeout of the wait is set back before the batch's own writes."""
    seen = []
    place = services._place_batches_locked

    def spy(*args, **kwargs):
        with connections["default"].cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            seen.append(cursor.fetchone()[0])
        return place(*args, **kwargs)

    monkeypatch.setattr(services, "_place_batches_locked", spy)
    with connections["default"].cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        usual = cursor.fetchone()[0]
    release, thread = holding(market) if held else (threading.Event(), None)
    try:
        outcomes = services.place_batches(
            [
                (market, [(market.traders[0], limit("BUY", "0.001", "90000000"))]),
                (eth, [(market.traders[1], limit("BUY", "0.01", "4000000"))]),
            ],
            skip_busy=True,
            wait_for_first=True,
        )
    finally:
        release.set()
        if thread is not None:
            thread.join()

    assert isinstance(outcomes[1][0], Order)
    assert (outcomes[0] is None) == held
    assert seen == [usual] and usual != f"{services.BUSY_WAIT_MS}ms"


def test_orders_left_out_before_are_waited_for_even_when_others_are_free(market, eth):
    release, thread = holding(market)
    try:
        started = time.monotonic()
        outcomes = services.place_batches(
            [
                (market, [(market.traders[0], limit("BUY", "0.001", "90000000"))]),
                (eth, [(market.traders[1], limit("BUY", "0.01", "4000000"))]),
            ],
            skip_busy=True,
            wait_for_first=True,
        )
        waited = time.monotonic() - started
    finally:
        release.set()
        thread.join()

    assert waited >= services.BUSY_WAIT_MS / 1000
    assert outcomes[0] is None  # it waited for BTCKRW, in vain ...
    assert isinstance(outcomes[1][0], Order)  # ... and then placed what was free
    assert not Order.objects.filter(market=market).exists()
    btc_outcomes, eth_outcomes = services.place_batches(
        [
            (market, [(market.traders[0], limit("BUY", "0.001", "90000000"))]),
            (eth, [(market.traders[1], limit("BUY", "0.01", "4000000"))]),
        ],
        skip_busy=True,
        wait_for_first=True,
    )
    assert isinstance(btc_outcomes[0], Order) and isinstance(eth_outcomes[0], Order)
    assert find_ledger_breaks() == []


@pytest.mark.django_db
def test_inside_a_caller_s_transaction_an_order_is_placed_alone(exchange, monkeypatch):
    def unused(*args, **kwargs):
        raise AssertionError("no batch inside a transaction")

    monkeypatch.setattr(services, "place_batches", unused)
    order = desk.place_order(
        owner_id=exchange.alice.pk, market=exchange.btc, request=limit("BUY", "0.001", "90000000")
    )
    assert Order.objects.get(pk=order.pk).held == D("90000")


def key_of(market, owner: int) -> int:
    """A new API key of `owner` (enrolled for it) in the market's offering."""
    EnrollmentFactory(offering=market.offering, user=User.objects.get(pk=owner))
    return create_api_key(user_id=owner, offering_id=market.offering_id)[0].pk


def test_a_round_checks_its_orders_keys_in_one_query_and_refuses_those_that_may_not_act(market):
    owners = market.traders[:3]
    keys = []
    for owner in owners:
        keys.append(key_of(market, owner))
    revoke_api_key(user_id=owners[1], key_id=keys[1])
    tickets = [
        desk.Ticket(market, owner, limit("BUY", "0.001", "90000000"), key)
        for owner, key in zip(owners, keys, strict=True)
    ]
    outcomes: list = [None] * len(tickets)

    with CaptureQueriesContext(connection) as captured:
        desk.place_round(tickets, outcomes)

    assert isinstance(outcomes[0], Order) and isinstance(outcomes[2], Order), outcomes
    assert isinstance(outcomes[1], ApiKeyRejected)
    assert not Order.objects.filter(owner_id=owners[1]).exists()
    key_checks = [q for q in captured if ApiKey._meta.db_table in q["sql"]]
    assert len(key_checks) == 1
    assert find_ledger_breaks() == []


def test_a_batch_reads_its_keys_with_its_locks_and_refuses_an_order_whose_key_may_not_act(
    market,
):
    owners = market.traders[:2]
    keys = [key_of(market, owner) for owner in owners]
    revoke_api_key(user_id=owners[1], key_id=keys[1])
    entries = [(owner, limit("BUY", "0.001", "90000000")) for owner in owners]

    with CaptureQueriesContext(connection) as captured:
        (outcomes,) = services.place_batches([(market, entries)], recheck_keys=[keys])

    assert isinstance(outcomes[0], Order), outcomes
    assert isinstance(outcomes[1], ApiKeyRejected)
    assert not Order.objects.filter(owner_id=owners[1]).exists()
    sql = [query["sql"] for query in captured]
    locks = next(n for n, q in enumerate(sql) if "FOR UPDATE" in q and "exchange_market" in q)
    reads = next(n for n, q in enumerate(sql) if ApiKey._meta.db_table in q)
    writes = next(n for n, q in enumerate(sql) if q.startswith("INSERT"))
    assert locks < reads < writes  # in the transaction, sent with the locks
    assert find_ledger_breaks() == []


def test_in_a_halted_market_an_order_whose_key_may_not_act_is_refused_for_its_key(market):
    owner = market.traders[0]
    key = key_of(market, owner)
    revoke_api_key(user_id=owner, key_id=key)
    Market.objects.filter(pk=market.pk).update(status=Market.Status.HALT)

    (outcomes,) = services.place_batches(
        [(market, [(owner, limit("BUY", "0.001", "90000000"))])], recheck_keys=[[key]]
    )

    assert isinstance(outcomes[0], ApiKeyRejected)


def test_a_round_of_orders_without_keys_to_check_reads_no_key(market):
    tickets = [desk.Ticket(market, market.traders[0], limit("BUY", "0.001", "90000000"))]
    outcomes: list = [None]

    with CaptureQueriesContext(connection) as captured:
        desk.place_round(tickets, outcomes)

    assert isinstance(outcomes[0], Order)
    assert not [q for q in captured if ApiKey._meta.db_table in q["sql"]]


def test_a_round_whose_keys_cannot_be_checked_leaves_each_order_to_be_placed_alone(
    market, monkeypatch
):
    def unreachable(ids):
        raise OperationalError("the database went away")

    monkeypatch.setattr(services, "send_usable_key_ids", unreachable)
    tickets = [desk.Ticket(market, market.traders[0], limit("BUY", "0.001", "90000000"), 1)]
    outcomes: list = [None]

    desk.place_round(tickets, outcomes)

    assert outcomes == [None]  # not Failed: nothing was written
    assert not Order.objects.filter(market=market).exists()


def test_an_order_of_a_round_rolled_back_is_refused_for_its_key_when_placed_alone(
    market, monkeypatch
):
    def rolled_back(groups, **options):
        raise services.BatchRolledBack()

    monkeypatch.setattr(services, "place_batches", rolled_back)
    owner = market.traders[0]
    key = key_of(market, owner)
    revoke_api_key(user_id=owner, key_id=key)
    tickets = [
        desk.Ticket(market, owner, limit("BUY", "0.001", "90000000"), key),
        desk.Ticket(market, market.traders[1], limit("BUY", "0.001", "90000000")),
    ]
    outcomes: list = [None, None]

    desk.place_round(tickets, outcomes)

    assert outcomes == [None, None]  # each to be placed alone, its key checked again
    with pytest.raises(ApiKeyRejected):
        desk.place_alone(tickets[0])
    assert isinstance(desk.place_alone(tickets[1]), Order)
    assert not Order.objects.filter(owner_id=owner).exists()
