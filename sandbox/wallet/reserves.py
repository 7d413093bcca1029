"""Proof of reserves: what the ledger owes against what the exchange's chain addresses hold.

Two debts per asset, kept apart on purpose. `owed_for_deposits` is what students brought in net
from their chains (minus the custody balance): the exchange must hold that on chain, so
`difference = onchain − owed_for_deposits` is 0 when the books reconcile. `owed_to_users` is
every user's balance, simulated starting grants included: a real exchange would have to back it
all, and the gap between the two is the lesson of 2022.

A withdrawal mined but not yet settled has left the chain while custody still counts it, so the
difference is exact when nothing is in flight; `in_flight` says how much is.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sandbox.wallet.models import Account, Asset
from sandbox.wallet.transfers_models import Withdrawal
from sandbox.wallet.transfers_selectors import HOLDING_STATUSES, WITHDRAWABLE_KINDS

ZERO = Decimal(0)


@dataclass(frozen=True)
class ReserveLine:
    asset_code: str
    owed_for_deposits: Decimal
    owed_to_users: Decimal
    onchain: Decimal
    difference: Decimal
    in_flight: Decimal = ZERO  # withdrawals requested or sent but not yet settled


def reserve_lines(*, offering_id: int, onchain: dict[str, Decimal]) -> list[ReserveLine]:
    """One line per withdrawable asset, by code. `onchain` comes from the chain side (what the
    exchange's addresses hold across the offering's chains, its own gas float excluded); an
    asset it does not name holds 0."""
    custody, users = _balances(offering_id)
    in_flight = _in_flight(offering_id)
    lines = []
    for code in (
        Asset.objects.filter(kind__in=WITHDRAWABLE_KINDS)
        .order_by("code")
        .values_list("code", flat=True)
    ):
        owed = -custody[code]
        held = Decimal(onchain.get(code, ZERO))
        lines.append(
            ReserveLine(
                asset_code=code,
                owed_for_deposits=owed,
                owed_to_users=users[code],
                onchain=held,
                difference=held - owed,
                in_flight=in_flight[code],
            )
        )
    return lines


def _balances(offering_id: int) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Custody's and all users' totals per asset, summed here so they are exact on SQLite too."""
    custody: dict[str, Decimal] = defaultdict(Decimal)
    users: dict[str, Decimal] = defaultdict(Decimal)
    rows = Account.objects.filter(
        offering_id=offering_id, kind__in=[Account.Kind.CUSTODY, Account.Kind.USER]
    ).values_list("kind", "asset_id", "available", "locked")
    for kind, code, available, locked in rows.iterator():
        (custody if kind == Account.Kind.CUSTODY else users)[code] += available + locked
    return custody, users


def _in_flight(offering_id: int) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    rows = Withdrawal.objects.filter(
        offering_id=offering_id, status__in=HOLDING_STATUSES
    ).values_list("asset_id", "amount")
    for code, amount in rows:
        totals[code] += amount
    return totals
