"""Numbers as Binance writes them: amounts with eight places, percentages with three."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from sandbox.wallet.models import MONEY_PLACES

EIGHT_PLACES = Decimal(1).scaleb(-MONEY_PLACES)


def amount(value: Decimal | None) -> str:
    if value is None:
        return "0.00000000"
    return f"{value.quantize(EIGHT_PLACES, rounding=ROUND_HALF_EVEN):f}"


def percent(change: Decimal, base: Decimal | None) -> str:
    if not base:
        return "0.000"
    return f"{(change * 100 / base).quantize(Decimal('0.001'), rounding=ROUND_HALF_EVEN):f}"
