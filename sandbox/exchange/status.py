"""Halting and resuming a market (instructors, and scenarios through sandbox.markets).

A halted market refuses new orders (-2010, "Market is closed") and keeps its book; cancels still
work, so students can take their orders out while it is halted.
"""

from __future__ import annotations

from django.db import transaction

from sandbox.exchange.models import Market


def set_market_status(*, market_id: int, trading: bool) -> Market:
    """Halt (`trading=False`) or resume a market; setting the status it has changes nothing."""
    wanted = Market.Status.TRADING if trading else Market.Status.HALT
    with transaction.atomic(durable=True):
        market = Market.objects.select_for_update().get(pk=market_id)
        if market.status != wanted:
            market.status = wanted
            market.save(update_fields=["status"])
    return market
