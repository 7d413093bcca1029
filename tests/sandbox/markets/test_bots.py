"""The simulated traders' decisions: quotes on the grid around the reference, inventory limits,
noise that crosses the spread, trend following, and exact replay from the tick's randomness."""

from decimal import Decimal

from sandbox.markets.bots import CancelAll, Holdings, MarketView, Place, decide
from sandbox.markets.pricemodels import tick_random
from sandbox.markets.scenario import BotScript

VIEW = MarketView(
    symbol="KUSDKRW",
    reference=Decimal("1400.0"),
    tick_size=Decimal("0.1"),
    lot_size=Decimal("0.1"),
    min_qty=Decimal("0.1"),
    min_notional=Decimal("5000"),
)
FLAT = Holdings(inventory=Decimal(0), base_available=Decimal(10**6), quote_available=Decimal(10**9))
MAKER = BotScript(
    "market_maker",
    "KUSDKRW",
    {"spread_bps": 20, "levels": 2, "size": Decimal("100"), "inventory_limit": Decimal("500")},
)


def places(intents) -> list[Place]:
    return [i for i in intents if isinstance(i, Place)]


def test_a_market_maker_requotes_both_sides_around_the_reference_on_the_tick_grid():
    intents = decide(MAKER, VIEW, FLAT, tick_random(1, "KUSDKRW", 1))

    assert isinstance(intents[0], CancelAll)
    bids = sorted((p.price for p in places(intents) if p.side == "BUY"), reverse=True)
    asks = sorted(p.price for p in places(intents) if p.side == "SELL")
    assert bids == [Decimal("1398.6"), Decimal("1395.8")]  # 10 and 30 bps below, rounded down
    assert asks == [Decimal("1401.4"), Decimal("1404.2")]
    assert all(p.quantity == Decimal("100.0") and p.type == "LIMIT" for p in places(intents))


def test_a_market_maker_past_its_inventory_limit_stops_adding_to_it():
    long = Holdings(inventory=Decimal("600"), base_available=Decimal(1), quote_available=Decimal(1))
    short = Holdings(
        inventory=Decimal("-600"), base_available=Decimal(1), quote_available=Decimal(1)
    )

    assert {p.side for p in places(decide(MAKER, VIEW, long, tick_random(1, "K", 1)))} == {"SELL"}
    assert {p.side for p in places(decide(MAKER, VIEW, short, tick_random(1, "K", 1)))} == {"BUY"}


def test_noise_traders_send_market_and_limit_orders_of_both_sides_that_pass_the_filters():
    noise = BotScript("noise", "KUSDKRW", {"orders_per_tick": 5, "size": Decimal("50")})

    orders = [
        order
        for tick in range(1, 60)
        for order in places(decide(noise, VIEW, FLAT, tick_random(3, "KUSDKRW", tick)))
    ]

    assert {o.side for o in orders} == {"BUY", "SELL"}
    assert {o.type for o in orders} == {"MARKET", "LIMIT"}
    assert all(o.quantity >= VIEW.min_qty and o.quantity % VIEW.lot_size == 0 for o in orders)
    assert all((o.price or VIEW.reference) * o.quantity >= VIEW.min_notional for o in orders)


def test_a_momentum_trader_buys_a_rise_sells_a_fall_and_waits_otherwise():
    momentum = BotScript(
        "momentum", "KUSDKRW", {"lookback": 3, "threshold_bps": 50, "size": Decimal("10")}
    )

    def seen(*history: str, now: str) -> list:
        view = MarketView(
            **{**VIEW.__dict__, "reference": Decimal(now), "history": tuple(map(Decimal, history))}
        )
        return places(decide(momentum, view, FLAT, tick_random(1, "K", 1)))

    assert [(p.side, p.type) for p in seen("1400", "1402", "1405", now="1420")] == [
        ("BUY", "MARKET")
    ]
    assert [p.side for p in seen("1400", "1390", "1385", now="1380")] == ["SELL"]
    assert seen("1400", "1401", "1399", now="1400") == []
    assert seen("1400", now="1500") == []  # not enough history yet


def test_the_same_tick_gives_the_same_decisions():
    noise = BotScript("noise", "KUSDKRW", {"orders_per_tick": 3, "size": Decimal("50")})

    first = decide(noise, VIEW, FLAT, tick_random(9, "KUSDKRW", 42))

    assert first == decide(noise, VIEW, FLAT, tick_random(9, "KUSDKRW", 42))
    assert first != decide(noise, VIEW, FLAT, tick_random(9, "KUSDKRW", 43))
