"""Several orders of one owner in one transaction (a bot's quotes for a tick): each is what
`place_order` would have made, a refused one stands alone, and the engine stays in step with the
database."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sandbox.exchange.engines import _book
from sandbox.exchange.errors import ExchangeError
from sandbox.exchange.filters import OrderRequest
from sandbox.exchange.models import Market, Order, Trade
from sandbox.exchange.services import place_order, place_orders
from sandbox.wallet.checks import find_ledger_breaks
from tests.sandbox.trades import assert_engine_matches_database, limit

pytestmark = pytest.mark.django_db


def book_of(market: Market):
    engine = _book(market.pk).engine
    return engine.depth(limit=100) if engine is not None else None


def test_a_batch_rests_and_matches_each_order_as_one_at_a_time_would(exchange, committed):
    with committed():
        place_order(
            owner_id=exchange.bob.pk,
            market=exchange.btc,
            request=limit("SELL", "0.002", "90000000"),
        )

    with committed():
        results = place_orders(
            owner_id=exchange.alice.pk,
            market=exchange.btc,
            requests=[
                limit("BUY", "0.001", "89000000"),
                limit("BUY", "0.001", "90000000"),  # takes half of bob's ask
                limit("BUY", "0.001", "88000000"),
            ],
        )

    assert all(isinstance(r, Order) for r in results)
    statuses = [Order.objects.get(pk=r.pk).status for r in results]
    assert statuses == ["NEW", "FILLED", "NEW"]
    assert Trade.objects.filter(market=exchange.btc).count() == 1
    assert find_ledger_breaks() == []
    assert_engine_matches_database(exchange.btc)


def test_a_refused_order_in_a_batch_stands_alone_and_the_others_are_placed(exchange, committed):
    too_big = limit("BUY", "100", "90000000")  # far beyond alice's KRW
    with committed():
        results = place_orders(
            owner_id=exchange.alice.pk,
            market=exchange.btc,
            requests=[
                limit("BUY", "0.001", "89000000"),
                too_big,
                limit("BUY", "0.001", "88000000"),
            ],
        )

    assert isinstance(results[1], ExchangeError)
    assert results[1].code == "insufficient_balance" or "insufficient" in results[1].message.lower()
    assert [isinstance(r, Order) for r in (results[0], results[2])] == [True, True]
    assert Order.objects.filter(owner=exchange.alice).count() == 2
    assert find_ledger_breaks() == []
    assert_engine_matches_database(exchange.btc)


def test_a_post_only_rejected_by_the_engine_mid_batch_leaves_engine_and_book_in_step(
    exchange, committed
):
    with committed():
        place_order(
            owner_id=exchange.bob.pk,
            market=exchange.btc,
            request=limit("SELL", "0.002", "90000000"),
        )
    would_take = OrderRequest(
        side="BUY", type="LIMIT_MAKER", quantity=D("0.001"), price=D("91000000")
    )

    with committed():
        results = place_orders(
            owner_id=exchange.alice.pk,
            market=exchange.btc,
            requests=[
                limit("BUY", "0.001", "89000000"),
                would_take,
                limit("BUY", "0.001", "90000000"),
            ],
        )

    assert isinstance(results[1], ExchangeError)
    assert Order.objects.get(pk=results[2].pk).status == "FILLED"
    assert not Order.objects.filter(type="LIMIT_MAKER").exists()
    assert find_ledger_breaks() == []
    assert_engine_matches_database(exchange.btc)
    with committed():  # and the next single order still matches right
        place_order(
            owner_id=exchange.alice.pk,
            market=exchange.btc,
            request=limit("BUY", "0.001", "90000000"),
        )
    assert Order.objects.get(owner=exchange.bob).status == "FILLED"


def test_a_batch_locks_the_market_once(exchange, committed):
    requests = [limit("BUY", "0.001", str(89000000 - i * 1000)) for i in range(5)]

    with committed(), CaptureQueriesContext(connection) as queries:
        place_orders(owner_id=exchange.alice.pk, market=exchange.btc, requests=requests)

    locks = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "exchange_market"' in q["sql"]
    ]
    assert len(locks) == 1
    assert Order.objects.filter(owner=exchange.alice, status="NEW").count() == 5


def test_a_batch_on_a_halted_market_places_nothing(exchange):
    Market.objects.filter(pk=exchange.btc.pk).update(status=Market.Status.HALT)

    results = place_orders(
        owner_id=exchange.alice.pk,
        market=exchange.btc,
        requests=[limit("BUY", "0.001", "89000000")],
    )

    assert isinstance(results[0], ExchangeError)
    assert not Order.objects.exists()
