"""Reads behind the deposit, withdrawal and reserves pages, and the rules the services apply.

Reads never write: an offering without a `TransferSettings` row or an asset without an
`AssetTransferRule` row gets the defaults as unsaved objects; the `set_*` services create rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sandbox.wallet.models import Asset
from sandbox.wallet.transfers_models import (
    AssetTransferRule,
    Deposit,
    TransferSettings,
    Withdrawal,
)

RECENT = 50
# (fee, minimum) where an offering has no rule of its own; other tokens: no fee, minimum 1 quantum
DEFAULT_FEES = {
    "ETH": (Decimal("0.001"), Decimal("0.01")),
    "BTC": (Decimal("0.0001"), Decimal("0.001")),
    "KUSD": (Decimal("1"), Decimal("10")),
}
# Only assets that exist as tokens (or native ether) on the students' chains can move there.
WITHDRAWABLE_KINDS = (Asset.Kind.CRYPTO, Asset.Kind.STABLECOIN)
HOLDING_STATUSES = (Withdrawal.Status.PENDING, Withdrawal.Status.BROADCAST)


@dataclass(frozen=True)
class TransferRule:
    """What moving one asset costs in an offering. `withdrawable` is False for fiat (KRW) and
    course tokens, which have no token on the chain: neither deposits nor withdrawals."""

    asset_code: str
    precision: int
    withdrawal_fee: Decimal
    withdrawal_minimum: Decimal
    deposits_enabled: bool
    withdrawable: bool


def transfer_settings(offering_id: int) -> TransferSettings:
    """The offering's settings; the defaults (2 confirmations, not halted) if never set."""
    found = TransferSettings.objects.filter(offering_id=offering_id).first()
    return found or TransferSettings(offering_id=offering_id)


def transfer_rule(offering_id: int, asset_code: str) -> TransferRule:
    """The rule for one asset; raises Asset.DoesNotExist for an unknown code."""
    asset = Asset.objects.get(code=asset_code)
    row = AssetTransferRule.objects.filter(offering_id=offering_id, asset=asset).first()
    return _rule(asset, row)


def transfer_rules(offering_id: int) -> list[TransferRule]:
    """The rules of every withdrawable asset, by code (the deposit page's and settings' rows)."""
    rows = {row.asset_id: row for row in AssetTransferRule.objects.filter(offering_id=offering_id)}
    assets = Asset.objects.filter(kind__in=WITHDRAWABLE_KINDS).order_by("code")
    return [_rule(asset, rows.get(asset.code)) for asset in assets]


def _rule(asset: Asset, row: AssetTransferRule | None) -> TransferRule:
    withdrawable = asset.kind in WITHDRAWABLE_KINDS
    if row is not None and withdrawable:
        fee, minimum, enabled = row.withdrawal_fee, row.withdrawal_minimum, row.deposits_enabled
    else:
        fee, minimum = DEFAULT_FEES.get(asset.code, (Decimal(0), asset.quantum))
        enabled = withdrawable
    return TransferRule(
        asset_code=asset.code,
        precision=asset.precision,
        withdrawal_fee=fee,
        withdrawal_minimum=minimum,
        deposits_enabled=enabled,
        withdrawable=withdrawable,
    )


def deposits_of(offering_id: int, owner_id: int, *, limit: int = RECENT) -> list[Deposit]:
    """The owner's most recent deposits, newest first."""
    rows = Deposit.objects.filter(offering_id=offering_id, owner_id=owner_id)
    return list(rows.select_related("asset").order_by("-seen_at", "-pk")[:limit])


def withdrawals_of(offering_id: int, owner_id: int, *, limit: int = RECENT) -> list[Withdrawal]:
    """The owner's most recent withdrawal requests, newest first."""
    rows = Withdrawal.objects.filter(offering_id=offering_id, owner_id=owner_id)
    return list(rows.select_related("asset").order_by("-requested_at", "-pk")[:limit])


def flagged_deposits(offering_id: int) -> list[Deposit]:
    """Deposits credited and then gone from the chain: the instructor decides what to do."""
    rows = Deposit.objects.filter(offering_id=offering_id, status=Deposit.Status.FLAGGED)
    return list(rows.select_related("asset", "owner").order_by("-reverted_at", "-pk"))


def withdrawal_holds() -> dict[tuple[int, int, str], Decimal]:
    """What withdrawals in flight hold, by (offering id, owner id, asset code): the locked
    balance a ledger check must expect besides the exchange's open orders."""
    rows = Withdrawal.objects.filter(status__in=HOLDING_STATUSES).values_list(
        "offering_id", "owner_id", "asset_id", "amount", "fee"
    )
    held: dict[tuple[int, int, str], Decimal] = defaultdict(Decimal)
    for offering_id, owner_id, asset_code, amount, fee in rows.iterator():
        held[(offering_id, owner_id, asset_code)] += amount + fee  # exact, on SQLite too
    return dict(held)


def net_transfers_in(
    offering_id: int, *, owner_id: int | None = None, since=None
) -> dict[int, dict[str, Decimal]]:
    """{student id: {asset: what they brought in less what they took out}}: credited deposits
    (a flagged one was credited too) less confirmed withdrawals' amounts (their fees are a cost,
    not a transfer), since `since` if given. Sums in Python: exact Decimals on SQLite too."""
    deposits = Deposit.objects.filter(
        offering_id=offering_id,
        status__in=[Deposit.Status.CREDITED, Deposit.Status.FLAGGED],
    )
    withdrawals = Withdrawal.objects.filter(
        offering_id=offering_id, status=Withdrawal.Status.CONFIRMED
    )
    if owner_id is not None:
        deposits, withdrawals = (
            deposits.filter(owner_id=owner_id),
            withdrawals.filter(owner_id=owner_id),
        )
    if since is not None:
        deposits = deposits.filter(credited_at__gte=since)
        withdrawals = withdrawals.filter(finished_at__gte=since)
    net: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for owner, asset, amount in deposits.values_list("owner_id", "asset_id", "amount"):
        net[owner][asset] += amount
    for owner, asset, amount in withdrawals.values_list("owner_id", "asset_id", "amount"):
        net[owner][asset] -= amount
    return {owner: dict(assets) for owner, assets in net.items()}
