"""Orders and trades that tests set up again and again."""

from decimal import Decimal

from sandbox.exchange.api import OrderRequest, place_order


def limit(side: str, quantity: str, price: str, *, tif: str = "GTC", **extra) -> OrderRequest:
    return OrderRequest(
        side=side,
        type="LIMIT",
        quantity=Decimal(quantity),
        price=Decimal(price),
        time_in_force=tif,
        **extra,
    )


def bob_sells_to_alice(exchange, *, quantity="0.01", price="100000000", bought=None) -> None:
    """bob rests a limit sell of `quantity` BTC at `price`; alice takes `bought` of it (all, if
    not said) with a market buy."""
    place_order(
        owner_id=exchange.bob.pk, market=exchange.btc, request=limit("SELL", quantity, price)
    )
    buy = OrderRequest(side="BUY", type="MARKET", quantity=Decimal(bought or quantity))
    place_order(owner_id=exchange.alice.pk, market=exchange.btc, request=buy)


def assert_engine_matches_database(market) -> None:
    """This process's engine for `market` holds the book a rebuild from the database gives."""
    from sandbox.exchange.engines import _book, rebuild_engine

    market.refresh_from_db()
    engine = _book(market.pk).engine
    assert engine is not None, "this process has no engine for the market to compare"
    rebuilt = rebuild_engine(market)
    assert engine.depth(limit=1000) == rebuilt.depth(limit=1000)
    assert engine.open_orders() == rebuilt.open_orders()


def unsaved_order(exchange, client_order_id: str):
    """An order of Alice's in BTCKRW, not saved (for the hand-written INSERTs)."""
    from sandbox.exchange.models import Order

    return Order(
        market=exchange.btc,
        owner=exchange.alice,
        client_order_id=client_order_id,
        side="BUY",
        type="LIMIT",
        time_in_force="GTC",
        price=Decimal("90000000"),
        orig_qty=Decimal("0.01"),
        held=Decimal("0"),
    )
