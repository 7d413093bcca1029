"""The resting orders a batch of orders is likely to fill, named before it is placed.

A batch's fills touch resting orders (makers) and their owners' accounts, which the batch has to
read before it can settle them. Read after matching, they cost the batch a round trip of its own
to PostgreSQL, and under load, with every process of a 2-core machine busy, a round trip costs
far more than the query: about a seventh of the order desk's time per round. The desk's process
holds each market's book in memory, so it can name the orders a batch will most likely fill
before it sends its reads, and read them with the others, in the same round trip, under the
markets' locks (`services._send_reads`).

A guess: what it missed (another process changed the book; self-trade prevention; triggered
stops; past the caps below) is read as the fills need it (`Settlement.needs`), and what it named
for nothing is neither written nor announced. It is bounded, so that an order refused later (too
large, not funded) cannot make a batch read a whole book.
"""

from __future__ import annotations

import math
from collections.abc import Hashable

from sandbox.exchange.filters import OrderRequest
from sandbox.exchange.models import Market, Order
from sandbox.exchange.units import MarketUnits

PER_ORDER = 8  # makers named for one order (a 20,000 KRW order fills one or two)
PER_BATCH = 64  # makers named for a whole batch
_SIDES = frozenset(Order.Side.values)  # Django's `.values` builds its list on every call


def likely_makers(groups, books) -> dict[int, tuple[Market, Hashable]]:
    """For a batch's (market, entries) groups and this process's `books` (by market id, held
    under its locks): the resting orders its orders would meet first
    (`MatchingEngine.first_makers`, each order counting what the earlier ones of its side would
    take), as order id to (market, owner), in the order they would be met."""
    makers: dict[int, tuple[Market, Hashable]] = {}
    for market, entries in groups:
        engine = books[market.pk].engine
        if engine is None:
            continue
        units = MarketUnits(market.tick_size, market.lot_size)
        taken = {Order.Side.BUY: 0, Order.Side.SELL: 0}  # lots the batch's earlier orders take
        for _, request in entries:
            reach = _reach(request, units)
            if reach is None:
                continue
            side, price, lots = reach
            met = engine.first_makers(side, price, taken[side] + lots, limit=PER_ORDER)
            if met:
                taken[side] += lots
            for order_id, owner in met:
                makers.setdefault(order_id, (market, owner))
                if len(makers) >= PER_BATCH:
                    return makers
    return makers


def _reach(request: OrderRequest, units: MarketUnits) -> tuple[str, int | None, int] | None:
    """(side, price in ticks or None for any, lots) of an order that may take from the book at
    once, rounded to reach further rather than less; None for one that cannot, or that is
    malformed (placing it says what is wrong)."""
    try:
        if request.type == Order.Type.LIMIT:
            price = request.price / units.tick_size
            ticks = math.ceil(price) if request.side == Order.Side.BUY else math.floor(price)
        elif request.type == Order.Type.MARKET:
            ticks = None
        else:
            return None
        lots = math.ceil(request.quantity / units.lot_size)
    except (TypeError, ArithmeticError, ValueError):  # a price or quantity missing or not finite
        return None
    if request.side not in _SIDES or lots <= 0:
        return None
    return request.side, ticks, lots
