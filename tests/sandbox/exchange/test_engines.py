"""Engines of several processes taking turns on one market: each catches up on what the others
changed, from the database, and ends with the book a rebuild would give."""

from decimal import Decimal as D

import pytest

from sandbox.exchange import engines
from sandbox.exchange.engines import (
    engine_for,
    forget_all,
    market_writer,
    rebuild_engine,
    send_catch_up,
)
from sandbox.exchange.filters import OrderRequest
from sandbox.exchange.models import Market
from sandbox.exchange.services import cancel_order, place_order
from tests.sandbox.trades import limit

pytestmark = pytest.mark.django_db


def stop_loss(qty, stop, price):
    return OrderRequest(
        side="SELL",
        type="STOP_LOSS_LIMIT",
        quantity=D(qty),
        price=D(price),
        stop_price=D(stop),
        time_in_force="GTC",
    )


def other_process(exchange, committed):
    """What a second web process does meanwhile: a fill and a partial fill, a waiting stop, a
    cancel, and new resting orders."""
    alice, bob, btc = exchange.alice.pk, exchange.bob.pk, exchange.btc
    with committed():
        place_order(owner_id=bob, market=btc, request=limit("SELL", "0.0015", "90001000"))
        place_order(owner_id=bob, market=btc, request=stop_loss("0.001", "89000000", "88000000"))
        resting = place_order(owner_id=alice, market=btc, request=limit("BUY", "0.001", "89500000"))
        cancel_order(owner_id=alice, market=btc, order_id=resting.pk)
        place_order(owner_id=bob, market=btc, request=limit("SELL", "0.002", "99000000"))


def behind_another_process(exchange, committed, *, orders: int = 1):
    """This process's BTCKRW engine, after `orders` of its own, and then behind what another
    process wrote: (the market as it is now, that engine)."""
    with committed():
        for i in range(orders):
            place_order(
                owner_id=exchange.alice.pk,
                market=exchange.btc,
                request=limit("BUY", "0.001", str(90000000 + i * 1000)),
            )
    this_process = dict(engines._books)
    forget_all()  # the other process starts with its own engines
    other_process(exchange, committed)
    engines._books.clear()
    engines._books.update(this_process)  # back in the first process, its engine now behind
    return Market.objects.get(pk=exchange.btc.pk), this_process[exchange.btc.pk].engine


def test_an_engine_behind_another_process_catches_up_to_the_rebuilt_book(exchange, committed):
    market, stale = behind_another_process(exchange, committed, orders=3)

    with market_writer(market.pk) as book:
        caught_up = engine_for(book, market)

    assert caught_up is stale  # caught up in place, not rebuilt
    assert caught_up.open_orders() == rebuild_engine(market).open_orders()
    assert caught_up.last_price == rebuild_engine(market).last_price


def test_changes_read_ahead_are_what_catching_up_reads(
    exchange, committed, django_assert_num_queries
):
    market, _ = behind_another_process(exchange, committed)

    with market_writer(market.pk) as book:
        read = send_catch_up(book, market.pk)()
        with django_assert_num_queries(0):  # read already
            caught_up = engine_for(book, market, changed=read)

    assert read.orders  # the other process's orders
    assert caught_up.open_orders() == rebuild_engine(market).open_orders()


def test_changes_read_ahead_from_another_version_are_read_again(
    exchange, committed, django_assert_num_queries
):
    market, _ = behind_another_process(exchange, committed)

    with market_writer(market.pk) as book:
        stale = engines.Caught(since=book.version - 1, orders=[])
        with django_assert_num_queries(1):
            caught_up = engine_for(book, market, changed=stale)

    assert caught_up.open_orders() == rebuild_engine(market).open_orders()


def test_nothing_is_read_ahead_for_an_engine_that_is_rebuilt(exchange):
    with market_writer(exchange.btc.pk) as book:
        assert book.engine is None
        assert send_catch_up(book, exchange.btc.pk)() is None


def test_a_refused_order_leaves_the_engine_trusted(exchange, committed):
    with committed():
        place_order(
            owner_id=exchange.alice.pk,
            market=exchange.btc,
            request=limit("BUY", "0.001", "90000000"),
        )
    engine = engines._books[exchange.btc.pk].engine

    with pytest.raises(Exception, match="insufficient balance"):
        place_order(
            owner_id=exchange.alice.pk, market=exchange.btc, request=limit("BUY", "10", "90000000")
        )

    assert engines._books[exchange.btc.pk].engine is engine
