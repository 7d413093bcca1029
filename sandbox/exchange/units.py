"""Conversion between a market's Decimal amounts and the engine's integer ticks and lots.

A notional in engine units is `ticks * lots`; one unit is `tick_size * lot_size` of the quote
asset. Markets are only created where that unit is a whole number of the quote asset's smallest
amount, so every engine notional converts back to an exact quote amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal


class OffStep(ValueError):
    """An amount that is not a whole number of steps."""


@dataclass(frozen=True, slots=True)
class MarketUnits:
    tick_size: Decimal
    lot_size: Decimal

    @property
    def notional_unit(self) -> Decimal:
        return self.tick_size * self.lot_size

    def to_ticks(self, price: Decimal) -> int:
        return _steps(price, self.tick_size)

    def to_lots(self, quantity: Decimal) -> int:
        return _steps(quantity, self.lot_size)

    def price(self, ticks: int) -> Decimal:
        return ticks * self.tick_size

    def quantity(self, lots: int) -> Decimal:
        return lots * self.lot_size

    def notional(self, units: int) -> Decimal:
        return units * self.notional_unit

    def notional_units_within(self, quote_amount: Decimal) -> int:
        """The most whole notional units `quote_amount` pays for."""
        return int((quote_amount / self.notional_unit).to_integral_value(rounding=ROUND_FLOOR))


def _steps(amount: Decimal, step: Decimal) -> int:
    steps = amount / step
    if steps != steps.to_integral_value():
        raise OffStep(f"{amount} is not a multiple of {step}")
    return int(steps)


def plain_amount(amount: Decimal, *, grouped: bool = False) -> str:
    """1000 or 0.00001 (1,000 when grouped): no trailing zeros, never exponent notation."""
    text = f"{amount:,f}" if grouped else f"{amount:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
