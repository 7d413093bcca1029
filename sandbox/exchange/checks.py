"""The exchange's part of `ledger_check`: what each user account has locked is exactly what
their open orders hold, and no closed order still holds anything."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sandbox.exchange.models import OPEN_STATUSES, Order
from sandbox.wallet.api import Account


def holds_match_locked_balances() -> list[str]:
    held: dict[tuple[int, int, str], Decimal] = defaultdict(Decimal)
    breaks = []
    rows = Order.objects.filter(held__gt=0).values_list(
        "pk",
        "status",
        "side",
        "held",
        "owner_id",
        "market__offering_id",
        "market__base_id",
        "market__quote_id",
    )
    for pk, status, side, amount, owner, offering, base, quote in rows.iterator():
        if status not in OPEN_STATUSES:
            breaks.append(f"order {pk} is {status} but still holds {amount}")
            continue
        held[(offering, owner, quote if side == "BUY" else base)] += amount
    accounts = Account.objects.filter(kind=Account.Kind.USER).values_list(
        "pk", "offering_id", "owner_id", "asset_id", "locked"
    )
    for pk, offering, owner, asset, locked in accounts.iterator():
        if locked != held.get((offering, owner, asset), Decimal(0)):
            breaks.append(
                f"account {pk} ({asset}) has {locked} locked but its open orders hold "
                f"{held.get((offering, owner, asset), Decimal(0))}"
            )
    return breaks
