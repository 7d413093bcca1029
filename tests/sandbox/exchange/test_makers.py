"""The resting orders a batch is likely to fill, named before it is placed (makers.py): in the
order they would be met, counting what the batch's earlier orders take, and bounded."""

from __future__ import annotations

from decimal import Decimal as D
from types import SimpleNamespace

from sandbox.exchange import makers
from sandbox.exchange.engine import MatchingEngine, Order, OrderKind, Side
from sandbox.exchange.filters import OrderRequest

MARKET = SimpleNamespace(pk=1, tick_size=D("1000"), lot_size=D("0.001"))


def book_with_sellers(count: int, first_id: int = 1) -> dict:
    """A book with `count` sellers, one lot each, at 100,000,000 KRW + n ticks (order ids from
    `first_id`)."""
    engine = MatchingEngine()
    for n in range(1, count + 1):
        engine.submit(
            Order(
                order_id=first_id + n - 1,
                account=f"seller{n}",
                side=Side.SELL,
                kind=OrderKind.LIMIT,
                price=100_000 + n,
                quantity=1,
            )
        )
    return {MARKET.pk: SimpleNamespace(engine=engine)}


def buy(quantity: str, price: str | None = None) -> tuple[int, OrderRequest]:
    kind = "LIMIT" if price is not None else "MARKET"
    return 7, OrderRequest(
        side="BUY", type=kind, quantity=D(quantity), price=None if price is None else D(price)
    )


def test_each_order_names_the_makers_after_those_the_earlier_ones_take():
    books = book_with_sellers(5)
    entries = [buy("0.002", "100002000"), buy("0.002", "100004000"), buy("0.001", "99000000")]

    named = makers.likely_makers([(MARKET, entries)], books)

    assert list(named) == [1, 2, 3, 4]  # the third would not cross
    assert named[3] == (MARKET, "seller3")


def test_a_huge_order_names_a_few_makers_not_the_whole_book():
    books = book_with_sellers(100)

    named = makers.likely_makers([(MARKET, [buy("1000000000")])], books)

    assert list(named) == list(range(1, makers.PER_ORDER + 1))


def test_a_batch_names_a_bounded_number_of_makers_over_all_its_markets():
    markets = [SimpleNamespace(pk=n, tick_size=D("1000"), lot_size=D("0.001")) for n in range(20)]
    books = {m.pk: book_with_sellers(100, first_id=1000 * m.pk + 1)[MARKET.pk] for m in markets}
    groups = [(market, [buy("1000000000")]) for market in markets]

    named = makers.likely_makers(groups, books)

    assert len(named) == makers.PER_BATCH  # 20 markets of 8 each would be 160


def test_malformed_orders_and_markets_without_a_book_name_nothing():
    books = book_with_sellers(3)
    malformed = [
        (7, OrderRequest(side="BUY", type="LIMIT", quantity=None, price=D("100003000"))),
        (7, OrderRequest(side="BUY", type="LIMIT", quantity=D("0.001"), price=None)),
        (7, OrderRequest(side="HOLD", type="LIMIT", quantity=D("0.001"), price=D("100003000"))),
        (7, OrderRequest(side="BUY", type="LIMIT_MAKER", quantity=D("1"), price=D("100003000"))),
        (7, OrderRequest(side="BUY", type="MARKET", quote_order_qty=D("100000000"))),
        (7, OrderRequest(side="BUY", type="LIMIT", quantity=D("NaN"), price=D("100003000"))),
    ]

    assert makers.likely_makers([(MARKET, malformed)], books) == {}
    no_book = {MARKET.pk: SimpleNamespace(engine=None)}
    assert makers.likely_makers([(MARKET, [buy("0.001", "100003000")])], no_book) == {}
