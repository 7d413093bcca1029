"""Proofs that the books are right: run by `ledger_check`, by tests after every scenario, and by
the reliability tests after a crash."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Q, Sum

from sandbox.wallet.models import Account, Posting


def find_ledger_breaks() -> list[str]:
    """Every way the ledger is wrong, as sentences; empty when it is right."""
    return [
        *_unbalanced_assets(),
        *_unbalanced_journals(),
        *_stale_balances(),
        *_negative_balances(),
    ]


def _unbalanced_assets() -> list[str]:
    rows = Posting.objects.values("asset_id").annotate(total=Sum("amount")).exclude(total=0)
    return [f"asset {row['asset_id']}: postings sum to {row['total']}, not 0" for row in rows]


def _unbalanced_journals() -> list[str]:
    rows = (
        Posting.objects.values("journal_id", "asset_id")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .order_by("journal_id")[:50]
    )
    return [
        f"journal {row['journal_id']}: {row['asset_id']} postings sum to {row['total']}, not 0"
        for row in rows
    ]


def _stale_balances() -> list[str]:
    sums: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in Posting.objects.values("account_id", "bucket").annotate(total=Sum("amount")):
        sums[row["account_id"]][row["bucket"]] = row["total"]
    breaks = []
    for account in Account.objects.all().only("pk", "available", "locked", "asset_id"):
        posted = sums.get(account.pk, {})
        for bucket in ("available", "locked"):
            cached = getattr(account, bucket)
            if cached != posted.get(bucket, Decimal(0)):
                breaks.append(
                    f"account {account.pk} ({account.asset_id}): {bucket} is {cached} but its "
                    f"postings sum to {posted.get(bucket, Decimal(0))}"
                )
    return breaks


def _negative_balances() -> list[str]:
    negative = Account.objects.exclude(kind=Account.Kind.ISSUANCE).filter(
        Q(available__lt=0) | Q(locked__lt=0)
    )
    return [
        f"account {a.pk} ({a.asset_id}) is negative: {a.available}+{a.locked}" for a in negative
    ]
