"""Random order flow for load and reliability runs: limit (GTC, IOC, FOK) and post-only orders
around a reference price, market orders by quantity and by quote amount, stop-loss and
take-profit orders, every self-trade prevention mode, and cancels, from a seeded generator.

Refusals (insufficient balance, post-only that would take, ...) are part of the flow and are
counted, not raised: they must change nothing, which the checks after a run prove.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from sandbox.exchange.errors import ExchangeError
from sandbox.exchange.filters import STP_MODES, OrderRequest
from sandbox.exchange.models import OPEN_STATUSES, Market, Order
from sandbox.exchange.services import cancel_order, place_order


@dataclass
class RandomFlow:
    market: Market
    owner_ids: list[int]
    reference: Decimal
    seed: int = 0
    outcomes: Counter = field(default_factory=Counter)
    place: Callable[..., Order] = place_order  # or the order desk's (desk.place_order)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def step(self) -> None:
        owner_id = self.rng.choice(self.owner_ids)
        roll = self.rng.random()
        try:
            if roll < 0.25:
                outcome = self._cancel_one(owner_id)
            else:
                outcome = self.place(
                    owner_id=owner_id, market=self.market, request=self._request(roll)
                ).status
        except ExchangeError as error:
            outcome = error.code
        self.outcomes[outcome] += 1

    def order(self) -> tuple[int, OrderRequest]:
        """A random order to place, as `step` would place one: (owner id, request)."""
        return self.rng.choice(self.owner_ids), self._request(0.25 + 0.75 * self.rng.random())

    def _request(self, roll: float) -> OrderRequest:
        side = self.rng.choice(("BUY", "SELL"))
        quantity = self.market.lot_size * self.rng.randint(100, 3000)
        stp = self.rng.choice(STP_MODES)
        if roll < 0.30:
            return OrderRequest(
                side=side, type="MARKET", quantity=quantity, self_trade_prevention_mode=stp
            )
        if roll < 0.35:
            quote = (self.reference * quantity).quantize(self.market.quote.quantum)
            return OrderRequest(
                side=side, type="MARKET", quote_order_qty=quote, self_trade_prevention_mode=stp
            )
        price = self._price(20)
        if roll < 0.42:
            return OrderRequest(side=side, type="LIMIT_MAKER", price=price, quantity=quantity)
        if roll < 0.50:
            return self._stop(side, quantity)
        tif = self.rng.choice(("IOC", "FOK")) if roll < 0.58 else "GTC"
        return OrderRequest(
            side=side,
            type="LIMIT",
            price=price,
            quantity=quantity,
            time_in_force=tif,
            self_trade_prevention_mode=stp,
        )

    def _price(self, within_permille: int) -> Decimal:
        offset = Decimal(self.rng.randint(-within_permille, within_permille)) / 1000
        return _on_step(self.reference * (1 + offset), self.market.tick_size)

    def _stop(self, side: str, quantity: Decimal) -> OrderRequest:
        """A stop a little away from the reference, on the side where it waits (some are refused
        as 'would trigger immediately', which is part of the flow)."""
        kind = self.rng.choice(("STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"))
        falls = (kind == "STOP_LOSS_LIMIT") == (side == "SELL")
        stop = _on_step(
            self.reference * (1 + Decimal(-5 if falls else 5) / 1000), self.market.tick_size
        )
        price = _on_step(
            stop * (1 + Decimal(-5 if side == "SELL" else 5) / 1000), self.market.tick_size
        )
        return OrderRequest(
            side=side,
            type=kind,
            price=price,
            stop_price=stop,
            quantity=quantity,
            time_in_force="GTC",
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
