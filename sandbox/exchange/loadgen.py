"""Random order flow for load and reliability runs: limit orders around a reference price,
marketable orders, IOC and post-only orders, and cancels, from a seeded generator.

Refusals (insufficient balance, post-only that would take, ...) are part of the flow and are
counted, not raised: they must change nothing, which the checks after a run prove.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sandbox.exchange.errors import ExchangeError
from sandbox.exchange.filters import OrderRequest
from sandbox.exchange.models import OPEN_STATUSES, Market, Order
from sandbox.exchange.services import cancel_order, place_order


@dataclass
class RandomFlow:
    market: Market
    owner_ids: list[int]
    reference: Decimal
    seed: int = 0
    outcomes: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def step(self) -> None:
        owner_id = self.rng.choice(self.owner_ids)
        roll = self.rng.random()
        try:
            if roll < 0.25:
                outcome = self._cancel_one(owner_id)
            else:
                outcome = place_order(
                    owner_id=owner_id, market=self.market, request=self._request(roll)
                ).status
        except ExchangeError as error:
            outcome = error.code
        self.outcomes[outcome] += 1

    def _request(self, roll: float) -> OrderRequest:
        side = self.rng.choice(("BUY", "SELL"))
        quantity = self.market.lot_size * self.rng.randint(100, 3000)
        if roll < 0.35:
            return OrderRequest(side=side, type="MARKET", quantity=quantity)
        offset = Decimal(self.rng.randint(-20, 20)) / 1000  # within ±2% of the reference
        price = _on_step(self.reference * (1 + offset), self.market.tick_size)
        if roll < 0.45:
            return OrderRequest(side=side, type="LIMIT_MAKER", price=price, quantity=quantity)
        tif = "IOC" if roll < 0.55 else "GTC"
        return OrderRequest(
            side=side, type="LIMIT", price=price, quantity=quantity, time_in_force=tif
        )

    def _cancel_one(self, owner_id: int) -> str:
        ids = list(
            Order.objects.filter(market=self.market, owner_id=owner_id, status__in=OPEN_STATUSES)
            .order_by("pk")
            .values_list("pk", flat=True)[:20]
        )
        if not ids:
            return "nothing_to_cancel"
        return cancel_order(
            owner_id=owner_id, market=self.market, order_id=self.rng.choice(ids)
        ).status


def _on_step(amount: Decimal, step: Decimal) -> Decimal:
    return (amount / step).to_integral_value() * step
