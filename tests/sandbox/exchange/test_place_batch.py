"""Orders of many owners placed together in one transaction (`services.place_batch`, and
`place_batches` for several markets at once: the order desk's group commit): each outcome is
exactly what `place_order` would have given that order in its turn, a refused order changes
nothing, and the ledger and the engines stay right."""

import random
import re
from dataclasses import replace
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sandbox.exchange.engines import _book, rebuild_engine
from sandbox.exchange.errors import ExchangeError
from sandbox.exchange.filters import OrderRequest
from sandbox.exchange.loadgen import RandomFlow
from sandbox.exchange.markets import list_default_markets
from sandbox.exchange.models import Market, Order, Trade
from sandbox.exchange.services import place_batch, place_batches, place_order
from sandbox.wallet.checks import find_ledger_breaks
from sandbox.wallet.models import Account
from sandbox.wallet.services import issue, open_wallet
from tests.factories import OfferingFactory, UserFactory
from tests.sandbox.trades import assert_engine_matches_database, limit

pytestmark = pytest.mark.django_db
REFERENCE = D("100000000")  # BTCKRW: tick 1000 KRW, lot 0.00001 BTC
REFERENCES = {"BTCKRW": REFERENCE, "ETHKRW": D("5000000")}  # ETHKRW: tick 100, lot 0.0001
FUNDS = {"KRW": D("60000000"), "BTC": D("0.6")}
MAKERS_BY_ID = re.compile(
    r"\bo\.id (= ANY\(|IN \()"
)  # settlement.py's read of the orders a trade touches


def make_twin_offerings(funds: dict) -> tuple[list[int], dict, dict]:
    """Two offerings, each with its markets (by symbol), and the same four traders funded alike
    in both (the starting grant, plus `funds`): one offering is fed in batches, the other one
    order at a time."""
    users = [UserFactory() for _ in range(4)]
    offerings = []
    for _ in range(2):
        offering = OfferingFactory()
        for user in users:
            open_wallet(offering_id=offering.pk, owner_id=user.pk)
            if funds:
                issue(offering_id=offering.pk, owner_id=user.pk, amounts=funds, memo="test")
        offerings.append({m.symbol: m for m in list_default_markets(offering_id=offering.pk)})
    return [u.pk for u in users], offerings[0], offerings[1]


def make_twins(funds: dict) -> tuple[list[int], object, object]:
    """`make_twin_offerings`, with only their BTCKRW markets."""
    owners, batched, alone = make_twin_offerings(funds)
    return owners, batched["BTCKRW"], alone["BTCKRW"]


@pytest.fixture
def twins(assets):
    return make_twins(FUNDS)


@pytest.fixture
def short_twins(assets):
    """Traders with only the starting grant (10M KRW, 0.05 BTC): the flow's orders often need
    more than is left, so each order's check must see what the batch's earlier ones locked."""
    return make_twins({})


def random_entries(market, owners: list[int], count: int, seed: int) -> list:
    """The load generator's orders (limit GTC/IOC/FOK, post-only, market by quantity and by
    quote amount, stops, every self-trade prevention mode), with reused client order ids,
    orders too big for any balance and prices off the tick mixed in."""
    flow = RandomFlow(market, owners, REFERENCES[market.symbol], seed=seed)
    rng = random.Random(seed)
    used: dict[int, list[str]] = {owner: [] for owner in owners}
    entries = []
    for n in range(count):
        owner, request = flow.order()
        roll = rng.random()
        if roll < 0.2:
            reuse = used[owner] and rng.random() < 0.4
            client_id = rng.choice(used[owner]) if reuse else f"c{n}"
            used[owner].append(client_id)
            request = replace(request, client_order_id=client_id)
        elif roll < 0.27 and request.quantity is not None:
            request = replace(request, quantity=D("5"))  # far beyond anyone's balance
        elif roll < 0.32 and request.price is not None:
            request = replace(request, price=request.price + 1)  # off the tick
        entries.append((owner, request))
    return entries


def outcome(result) -> tuple:
    if isinstance(result, ExchangeError):
        return ("refused", type(result).__name__, result.code)
    order = Order.objects.get(pk=result.pk)
    return (
        order.status,
        order.executed_qty,
        order.cummulative_quote_qty,
        order.held,
        order.stop_triggered,
    )


def trades_of(market, position: dict[int, int]) -> list[tuple]:
    return [
        (
            t.price,
            t.qty,
            position[t.buyer_order_id],
            position[t.seller_order_id],
            t.buyer_fee,
            t.seller_fee,
        )
        for t in Trade.objects.filter(market=market).order_by("pk")
    ]


def balances(market) -> dict:
    return {
        (a.owner_id, a.asset_id): (a.available, a.locked)
        for a in Account.objects.filter(offering_id=market.offering_id, owner__isnull=False)
    }


@pytest.mark.parametrize("funded", ["twins", "short_twins"])
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_a_batch_gives_each_order_what_placing_it_alone_would_have(
    funded, request, committed, seed
):
    owners, batched, alone = request.getfixturevalue(funded)
    entries = random_entries(batched, owners, 160, seed)
    rng = random.Random(seed)

    batch_results, start = [], 0
    while start < len(entries):
        size = rng.randint(1, 14)
        with committed():
            batch_results += place_batch(market=batched, entries=entries[start : start + size])
        start += size
    alone_results = []
    for owner, request in entries:
        try:
            with committed():
                alone_results.append(place_order(owner_id=owner, market=alone, request=request))
        except ExchangeError as refused:
            alone_results.append(refused)

    assert [outcome(r) for r in batch_results] == [outcome(r) for r in alone_results]
    kinds = {o[0] for o in map(outcome, batch_results)}
    assert {"refused", "FILLED"} <= kinds  # the flow did refuse and fill
    position = {
        **{r.pk: n for n, r in enumerate(batch_results) if isinstance(r, Order)},
        **{r.pk: n for n, r in enumerate(alone_results) if isinstance(r, Order)},
    }
    assert trades_of(batched, position) == trades_of(alone, position)
    assert len(trades_of(batched, position)) > 10
    assert balances(batched) == balances(alone)
    assert find_ledger_breaks() == []
    assert_engine_matches_database(batched)


def test_an_owner_s_later_order_in_a_batch_sees_what_the_earlier_ones_did(twins, committed):
    owners, market, _ = twins
    seller, buyer = owners[0], owners[1]
    krw = FUNDS["KRW"] + D("10000000")  # and the starting grant
    with committed():
        results = place_batch(
            market=market,
            entries=[
                # the buyer locks 50M of their 70M KRW ...
                (buyer, limit("BUY", "0.5", "100000000")),
                # ... so a second buy of theirs, for 27M, cannot be paid for
                (buyer, limit("BUY", "0.3", "90000000")),
                # the seller fills the first buy, and pays for a 90M buy with what it brought
                (seller, limit("SELL", "0.5", "100000000")),
                (seller, limit("BUY", "0.9", "100000000")),
            ],
        )
    assert [outcome(r)[0] for r in results] == ["FILLED", "refused", "FILLED", "NEW"]
    assert results[1].code == "insufficient_balance"
    seller_krw = Account.objects.get(
        offering_id=market.offering_id, owner_id=seller, asset_id="KRW"
    )
    fee = (D("50000000") * market.taker_fee).quantize(market.quote.quantum, rounding="ROUND_DOWN")
    assert seller_krw.locked == D("90000000")
    assert seller_krw.available == krw + D("50000000") - fee - D("90000000")
    assert find_ledger_breaks() == []
    assert_engine_matches_database(market)


def test_a_client_order_id_is_taken_once_across_a_batch_and_the_database(twins, committed):
    owners, market, _ = twins
    with committed():
        place_order(
            owner_id=owners[0],
            market=market,
            request=limit("BUY", "0.001", "90000000", client_order_id="mine"),
        )
    with committed():
        results = place_batch(
            market=market,
            entries=[
                (owners[0], limit("BUY", "0.001", "90000000", client_order_id="mine")),
                (owners[1], limit("BUY", "0.001", "90000000", client_order_id="mine")),
                (owners[1], limit("BUY", "0.001", "90000000", client_order_id="mine")),
            ],
        )
    assert [outcome(r)[0] for r in results] == ["refused", "NEW", "refused"]
    assert results[0].code == results[2].code == "duplicate_order"
    assert Order.objects.filter(market=market, client_order_id="mine").count() == 2


def test_a_batch_in_a_halted_market_places_nothing(twins, committed):
    owners, market, _ = twins
    market.status = market.Status.HALT
    market.save(update_fields=["status"])
    with committed():
        results = place_batch(
            market=market,
            entries=[
                *[(o, limit("BUY", "0.001", "90000000")) for o in owners],
                (owners[0], limit("BUY", "0.001", "90000500")),  # off the tick
            ],
        )
    codes = [outcome(r)[2] for r in results]
    assert codes[:-1] == ["market_closed"] * len(owners)
    assert codes[-1] == "filter_price_filter"  # as placing it alone says: its own error first
    assert not Order.objects.filter(market=market).exists()


def test_a_sale_for_more_than_the_seller_has_is_refused_and_the_book_put_back(twins, committed):
    owners, market, _ = twins
    seller, buyer = owners[0], owners[1]
    with committed():  # bids for 1.2 BTC; the seller has 0.65
        place_order(owner_id=buyer, market=market, request=limit("BUY", "0.6", "100000000"))
        place_order(owner_id=owners[2], market=market, request=limit("BUY", "0.6", "99000000"))
    before = rebuild_engine(market).depth(limit=100)
    sell_for = OrderRequest(side="SELL", type="MARKET", quote_order_qty=D("90000000"))  # ~0.9 BTC
    with committed():
        refused, placed = place_batch(
            market=market,
            entries=[(seller, sell_for), (buyer, limit("BUY", "0.01", "99000000"))],
        )
    assert outcome(refused) == ("refused", "OrderRejected", "insufficient_balance")
    assert "Selling needs 0.90" in refused.detail and "you have 0.65" in refused.detail
    assert outcome(placed)[0] == "NEW"
    assert not Trade.objects.filter(market=market).exists()
    after = rebuild_engine(market).depth(limit=100)
    assert after.bids[0] == before.bids[0]  # the best bid, which the sale took, is back
    assert after.bids[1][1] == before.bids[1][1] + 1000  # and the batch's next order rests
    assert_engine_matches_database(market)
    assert _book(market.pk).version == Market.objects.get(pk=market.pk).book_version  # trusted
    assert find_ledger_breaks() == []


def test_a_batch_that_fails_as_a_whole_leaves_nothing_and_a_fresh_engine(
    twins, committed, monkeypatch
):
    owners, market, _ = twins
    with committed():
        place_order(owner_id=owners[0], market=market, request=limit("SELL", "0.01", "100000000"))
    before = (Order.objects.count(), Trade.objects.count(), balances(market))

    from sandbox.exchange import services

    def broken(batch):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services.LedgerBatch, "send", broken)
    with pytest.raises(services.BatchRolledBack):
        place_batch(
            market=market,
            entries=[
                (owners[1], limit("BUY", "0.01", "100000000")),
                (owners[2], limit("BUY", "0.001", "90000000")),
            ],
        )
    assert (Order.objects.count(), Trade.objects.count(), balances(market)) == before
    assert _book(market.pk).engine is None  # it saw orders that were rolled back
    monkeypatch.undo()
    with committed():
        [taken] = place_batch(
            market=market, entries=[(owners[1], limit("BUY", "0.01", "100000000"))]
        )
    assert Order.objects.get(pk=taken.pk).status == "FILLED"
    assert find_ledger_breaks() == []


def test_each_placed_order_lists_its_own_fills(twins, committed):
    owners, market, _ = twins
    with committed():
        place_order(owner_id=owners[0], market=market, request=limit("SELL", "0.01", "100000000"))
        place_order(owner_id=owners[0], market=market, request=limit("SELL", "0.01", "101000000"))
    with committed():
        first, second = place_batch(
            market=market,
            entries=[
                (owners[1], limit("BUY", "0.015", "101000000")),
                (owners[2], limit("BUY", "0.005", "101000000")),
            ],
        )
    assert [(t.price, t.qty) for t in first.new_fills] == [
        (D("100000000"), D("0.01")),
        (D("101000000"), D("0.005")),
    ]
    assert [(t.price, t.qty) for t in second.new_fills] == [(D("101000000"), D("0.005"))]
    assert all(t.pk for t in first.new_fills + second.new_fills)


@pytest.mark.parametrize("funds", [{**FUNDS, "ETH": D("12")}, {}], ids=["funded", "short"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_batch_across_markets_gives_each_order_what_placing_it_alone_would_have(
    funds, seed, assets, committed
):
    owners, batched, alone = make_twin_offerings(funds)
    symbols = ["BTCKRW", "ETHKRW"]
    streams = {s: random_entries(batched[s], owners, 100, seed + n) for n, s in enumerate(symbols)}
    rng = random.Random(seed)

    results: dict[str, list] = {s: [] for s in symbols}
    in_turn = []  # the order in which a batch places them: by market id, each market's in order
    shared = 0
    while any(streams.values()):
        groups = []
        for symbol in rng.sample(symbols, k=len(symbols)):  # given in any order
            size = rng.randint(0, 8)
            taken, streams[symbol] = streams[symbol][:size], streams[symbol][size:]
            if taken:
                groups.append((batched[symbol], taken))
        if not groups:
            continue
        shared += len(groups) > 1
        with committed():
            outcomes = place_batches(groups)
        for (market, entries), placed in zip(groups, outcomes, strict=True):
            assert len(placed) == len(entries)  # each group's outcomes, in the order given
            results[market.symbol] += placed
        for market, entries in sorted(groups, key=lambda group: group[0].pk):
            in_turn += [(market.symbol, entry) for entry in entries]
    placed_alone: dict[str, list] = {s: [] for s in symbols}
    for symbol, (owner, request) in in_turn:
        try:
            with committed():
                order = place_order(owner_id=owner, market=alone[symbol], request=request)
            placed_alone[symbol].append(order)
        except ExchangeError as refused:
            placed_alone[symbol].append(refused)

    assert shared > 5  # many batches held both markets
    for symbol in symbols:
        assert [outcome(r) for r in results[symbol]] == [outcome(r) for r in placed_alone[symbol]]
        position = {
            r.pk: n
            for placed in (results[symbol], placed_alone[symbol])
            for n, r in enumerate(placed)
            if isinstance(r, Order)
        }
        assert trades_of(batched[symbol], position) == trades_of(alone[symbol], position)
        assert len(trades_of(batched[symbol], position)) > 5
        assert_engine_matches_database(batched[symbol])
    kinds = {outcome(r)[0] for placed in results.values() for r in placed}
    assert {"refused", "FILLED"} <= kinds
    assert balances(batched["BTCKRW"]) == balances(alone["BTCKRW"])  # the whole offering's
    assert find_ledger_breaks() == []


def test_an_owner_s_orders_in_two_markets_of_a_batch_share_one_balance(assets, committed):
    owners, markets, _ = make_twin_offerings(FUNDS)
    btc, eth = markets["BTCKRW"], markets["ETHKRW"]
    buyer = owners[0]  # 70M KRW with the starting grant
    with committed():
        [eth_results, btc_results] = place_batches(
            [
                (eth, [(buyer, limit("BUY", "5", "5000000"))]),  # 25M: after the BTC buy, too much
                (btc, [(buyer, limit("BUY", "0.5", "100000000"))]),  # 50M, placed first (lower id)
            ]
        )
    assert btc.pk < eth.pk
    assert outcome(btc_results[0])[0] == "NEW"
    assert eth_results[0].code == "insufficient_balance"
    krw = Account.objects.get(offering_id=btc.offering_id, owner_id=buyer, asset_id="KRW")
    assert krw.locked == D("50000000")
    assert not Order.objects.filter(market=eth).exists()
    assert find_ledger_breaks() == []


def test_a_batch_is_of_distinct_markets_of_one_offering(twins):
    _, market, other_offering_s = twins
    with pytest.raises(ValueError, match="distinct markets of one offering"):
        place_batches([(market, []), (market, [])])
    with pytest.raises(ValueError, match="distinct markets of one offering"):
        place_batches([(market, []), (other_offering_s, [])])


def test_a_batch_across_markets_tells_each_owner_their_balances_once(
    assets, committed, monkeypatch
):
    from sandbox.exchange import services
    from sandbox.exchange.streams import user_group

    owners, markets, _ = make_twin_offerings(FUNDS)
    btc, eth = markets["BTCKRW"], markets["ETHKRW"]
    seller, buyer = owners[0], owners[1]
    with committed():
        place_order(owner_id=seller, market=btc, request=limit("SELL", "0.01", "100000000"))
    sent: list[list] = []
    monkeypatch.setattr(services, "publish_on_commit", sent.append)
    with committed():
        place_batches(
            [
                (btc, [(buyer, limit("BUY", "0.01", "100000000"))]),  # takes the seller's order
                (eth, [(buyer, limit("BUY", "0.1", "4000000"))]),  # rests
            ]
        )

    [messages] = sent  # one publish for the whole batch
    mine = user_group(offering_id=btc.offering_id, owner_id=buyer)
    positions = [p for g, p in messages if g == mine and p["e"] == "outboundAccountPosition"]
    assert len(positions) == 1  # once, not once per market
    assert sorted(b["a"] for b in positions[0]["B"]) == ["BTC", "KRW"]  # what changed
    krw = Account.objects.get(offering_id=btc.offering_id, owner_id=buyer, asset_id="KRW")
    [krw_line] = [b for b in positions[0]["B"] if b["a"] == "KRW"]
    assert D(krw_line["f"]) == krw.available and D(krw_line["l"]) == krw.locked
    reports = [(p["s"], p["x"]) for g, p in messages if g == mine and p["e"] == "executionReport"]
    assert reports == [("BTCKRW", "NEW"), ("BTCKRW", "TRADE"), ("ETHKRW", "NEW")]
    depth = [g for g, p in messages if p.get("e") == "depthUpdate"]
    assert len(depth) == 2  # one diff per market
    theirs = user_group(offering_id=btc.offering_id, owner_id=seller)
    assert [p["e"] for g, p in messages if g == theirs] == [
        "executionReport",
        "outboundAccountPosition",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_batch_s_commit_goes_with_its_writes_so_an_error_after_it_leaves_the_orders_placed(
    twins, on_postgres, monkeypatch
):
    """On PostgreSQL the COMMIT is sent in the pipeline of the batch's writes: an error raised
    after that is the caller's to see as it is (the batch may have committed: here it did), not
    a rolled-back batch that the desk would place again."""
    from sandbox.exchange import services

    owners, market, _ = twins

    def failing_after_the_commit(*args, **kwargs):
        raise RuntimeError("found after the COMMIT")

    monkeypatch.setattr(services, "positions", failing_after_the_commit)
    before = Order.objects.count()

    with pytest.raises(RuntimeError, match="found after the COMMIT"):
        place_batch(market=market, entries=[(owners[1], limit("BUY", "0.01", "90000000"))])

    assert Order.objects.count() == before + 1
    assert find_ledger_breaks() == []


@pytest.mark.django_db(transaction=True)
def test_a_batch_whose_statement_the_database_refuses_before_the_commit_is_rolled_back(
    twins, on_postgres, monkeypatch
):
    """A statement refused in the writes' pipeline (here a division by zero, not a constraint)
    makes PostgreSQL skip the COMMIT behind it: the batch is rolled back, for sure, so its
    orders may be placed again one by one."""
    from campus import sqlrows
    from sandbox.exchange import services

    owners, market, _ = twins
    send_commit = sqlrows.send_commit
    committing = []

    def refused_just_before():
        sqlrows.send("SELECT 1 / 0", [])
        committing.append(True)
        return send_commit()

    monkeypatch.setattr(sqlrows, "send_commit", refused_just_before)
    before = (Order.objects.count(), balances(market))

    with pytest.raises(services.BatchRolledBack) as raised:
        place_batch(market=market, entries=[(owners[1], limit("BUY", "0.01", "90000000"))])

    assert committing == [True]  # the COMMIT was on its way: only the refusal tells
    assert "division by zero" in str(raised.value.__cause__)
    assert (Order.objects.count(), balances(market)) == before
    assert _book(market.pk).engine is None


def test_a_batch_reads_the_resting_orders_its_orders_cross_all_at_once(twins, committed):
    owners, market, _ = twins
    with committed():  # two sellers' orders rest on the book
        place_batch(market=market, entries=[(owners[0], limit("SELL", "0.01", "100000000"))])
    with committed():
        place_batch(market=market, entries=[(owners[1], limit("SELL", "0.01", "101000000"))])

    with committed(), CaptureQueriesContext(connection) as captured:
        results = place_batch(
            market=market,
            entries=[
                (owners[2], limit("BUY", "0.01", "100000000")),
                (owners[3], limit("BUY", "0.01", "101000000")),
            ],
        )

    assert [outcome(r)[0] for r in results] == ["FILLED", "FILLED"]
    maker_reads = [q for q in captured if MAKERS_BY_ID.search(q["sql"])]
    assert len(maker_reads) == 1, [q["sql"] for q in captured]
    assert find_ledger_breaks() == []


def test_a_maker_s_next_order_in_the_batch_sees_what_its_resting_order_earned(twins, committed):
    owners, market, _ = twins
    maker, taker = owners[0], owners[1]
    with committed():  # the maker's sell rests, read by no batch since
        place_batch(market=market, entries=[(maker, limit("SELL", "0.01", "100000000"))])

    with committed():
        results = place_batch(
            market=market,
            entries=[
                (taker, limit("BUY", "0.01", "100000000")),  # fills it: 1M KRW for the maker
                # 70.92M KRW: more than the 70M the maker had, less than what they have now
                (maker, limit("BUY", "0.788", "90000000")),
            ],
        )

    assert [outcome(r)[0] for r in results] == ["FILLED", "NEW"]
    krw = Account.objects.get(offering_id=market.offering_id, owner_id=maker, asset_id="KRW")
    assert krw.locked == D("70920000")
    assert find_ledger_breaks() == []


def test_the_resting_orders_a_batch_will_fill_are_read_with_its_other_reads(
    twins, committed, monkeypatch
):
    from sandbox.exchange.settlement import Settlement

    owners, market, alone = twins
    resting = [(owners[0], limit("SELL", "0.01", "100000000"))]
    resting += [(owners[1], limit("SELL", "0.01", "101000000"))]
    taking = [(owner, limit("BUY", "0.01", "101000000")) for owner in owners[2:]]
    for owner, request in resting:  # two sellers' orders rest on the books this process holds
        with committed():
            place_batch(market=market, entries=[(owner, request)])
            place_order(owner_id=owner, market=alone, request=request)
    read_after_matching: list = []
    send_load = Settlement.send_load

    def recorded(settlement, needs):
        read_after_matching.append(needs)
        return send_load(settlement, needs)

    monkeypatch.setattr(Settlement, "send_load", recorded)

    with committed():
        results = place_batch(market=market, entries=taking)  # takes the first, then the second

    assert read_after_matching == []  # both makers, and their owners' accounts, read ahead
    assert [outcome(r)[:2] for r in results] == [("FILLED", D("0.01")), ("FILLED", D("0.01"))]
    with committed():
        for owner, request in taking:
            place_order(owner_id=owner, market=alone, request=request)
    assert balances(market) == balances(alone)
    assert find_ledger_breaks() == []
    assert_engine_matches_database(market)


def test_a_resting_order_read_ahead_but_not_filled_is_neither_written_nor_announced(
    twins, committed, monkeypatch
):
    from sandbox.exchange import services
    from sandbox.exchange.settlement import Settlement
    from sandbox.exchange.streams import user_group

    owners, market, _ = twins
    filled_maker, untouched_maker, poor, taker = owners
    for maker, price in ((filled_maker, "100000000"), (untouched_maker, "101000000")):
        with committed():
            place_batch(market=market, entries=[(maker, limit("SELL", "0.01", price))])
    untouched = Order.objects.get(owner_id=untouched_maker)
    preloaded: list[int] = []
    preload = Settlement.preload

    def recorded(settlement, orders):
        orders = list(orders)
        preloaded.extend(order.pk for order in orders)
        return preload(settlement, orders)

    monkeypatch.setattr(Settlement, "preload", recorded)
    sent: list[list] = []
    monkeypatch.setattr(services, "publish_on_commit", sent.append)

    with committed():
        results = place_batch(
            market=market,
            entries=[
                (poor, limit("BUY", "10", "101000000")),  # 1,010M KRW is not there: refused
                (taker, limit("BUY", "0.01", "100000000")),  # fills the first seller only
            ],
        )

    assert isinstance(results[0], ExchangeError)
    assert outcome(results[1])[:2] == ("FILLED", D("0.01"))
    assert untouched.pk in preloaded  # read for the refused order, which would have taken it
    assert Order.objects.get(owner_id=filled_maker).status == "FILLED"
    assert Order.objects.get(pk=untouched.pk).updated_at == untouched.updated_at
    assert Order.objects.get(pk=untouched.pk).status == "NEW"
    groups = {g for messages in sent for g, _ in messages}
    assert user_group(offering_id=market.offering_id, owner_id=filled_maker) in groups
    assert user_group(offering_id=market.offering_id, owner_id=untouched_maker) not in groups
    depth = [p for messages in sent for _, p in messages if p.get("e") == "depthUpdate"]
    assert [level for p in depth for level in p["a"]] == [["100000000.00000000", "0.00000000"]]
    assert find_ledger_breaks() == []
    assert_engine_matches_database(market)
