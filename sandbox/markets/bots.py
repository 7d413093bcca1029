"""What the simulated traders decide each tick: pure functions from what they see to order intents.

The runner (`runner.py`) builds each bot's view of its market and its own balances, asks `decide`,
and places the intents through the exchange's services from the bot's house account, like any
student. Decisions use only the view and the tick's random stream, so a run replays exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from sandbox.markets.scenario import BotScript

BPS = Decimal("0.0001")


@dataclass(frozen=True)
class MarketView:
    symbol: str
    reference: Decimal  # the price model's price, on the tick grid
    tick_size: Decimal
    lot_size: Decimal
    min_qty: Decimal
    min_notional: Decimal
    history: tuple[Decimal, ...] = ()  # earlier ticks' reference prices, oldest first


@dataclass(frozen=True)
class Holdings:
    """The bot's position in the market's base asset against where it started (+ bought)."""

    inventory: Decimal
    base_available: Decimal
    quote_available: Decimal


@dataclass(frozen=True)
class Place:
    side: str  # BUY or SELL
    type: str  # LIMIT or MARKET
    quantity: Decimal
    price: Decimal | None = None


@dataclass(frozen=True)
class CancelAll:
    pass


Intent = Place | CancelAll


def decide(
    bot: BotScript, view: MarketView, holdings: Holdings, rng: random.Random
) -> list[Intent]:
    decide_for = {"market_maker": market_maker, "noise": noise_trader, "momentum": momentum_trader}
    intents = decide_for[bot.kind](bot.params, view, holdings, rng)
    return [i for i in intents if isinstance(i, CancelAll) or _worth_placing(i, view)]


def market_maker(
    params: dict, view: MarketView, holdings: Holdings, rng: random.Random
) -> list[Intent]:
    """Re-quote `levels` bids and asks around the reference, `spread_bps` apart. Past its
    inventory limit it stops buying (long) or selling (short) until the position comes back."""
    half_spread = Decimal(params["spread_bps"]) * BPS / 2
    size, limit = params["size"], params["inventory_limit"]
    intents: list[Intent] = [CancelAll()]
    for level in range(1, params["levels"] + 1):
        offset = half_spread * (2 * level - 1)
        if holdings.inventory < limit:
            bid = _on_grid(view.reference * (1 - offset), view.tick_size, ROUND_FLOOR)
            intents.append(Place("BUY", "LIMIT", _lots(size, view), bid))
        if holdings.inventory > -limit:
            ask = _on_grid(view.reference * (1 + offset), view.tick_size, ROUND_CEILING)
            intents.append(Place("SELL", "LIMIT", _lots(size, view), ask))
    return intents


def noise_trader(
    params: dict, view: MarketView, holdings: Holdings, rng: random.Random
) -> list[Intent]:
    """Random buys and sells: half market orders, half limit orders a few ticks either side of
    the reference (some of which cross). Sizes are exponential around `size`."""
    intents: list[Intent] = []
    for _ in range(params["orders_per_tick"]):
        side = rng.choice(("BUY", "SELL"))
        quantity = _lots(params["size"] * Decimal(repr(rng.expovariate(1.0))), view)
        if rng.random() < 0.5:
            intents.append(Place(side, "MARKET", quantity))
        else:
            ticks = rng.randint(-3, 3)
            price = max(view.reference + ticks * view.tick_size, view.tick_size)
            intents.append(Place(side, "LIMIT", quantity, price))
    return intents


def momentum_trader(
    params: dict, view: MarketView, holdings: Holdings, rng: random.Random
) -> list[Intent]:
    """Buys when the price rose more than `threshold_bps` over the last `lookback` ticks, sells
    when it fell as much: the trend follower that makes a fall steeper."""
    lookback = params["lookback"]
    if len(view.history) < lookback:
        return []
    then = view.history[-lookback]
    move = (view.reference - then) / then
    threshold = Decimal(params["threshold_bps"]) * BPS
    if move > threshold:
        return [Place("BUY", "MARKET", _lots(params["size"], view))]
    if move < -threshold:
        return [Place("SELL", "MARKET", _lots(params["size"], view))]
    return []


def _on_grid(price: Decimal, tick: Decimal, rounding: str) -> Decimal:
    return max((price / tick).quantize(Decimal(1), rounding=rounding), Decimal(1)) * tick


def _lots(quantity: Decimal, view: MarketView) -> Decimal:
    return (quantity / view.lot_size).quantize(Decimal(1), rounding=ROUND_FLOOR) * view.lot_size


def _worth_placing(order: Place, view: MarketView) -> bool:
    """Orders the exchange would refuse for size are not sent at all."""
    if order.quantity < view.min_qty:
        return False
    price = order.price if order.price is not None else view.reference
    return order.quantity * price >= view.min_notional
