"""Proofs that the books are right: run by `ledger_check`, by tests after every scenario, and by
the reliability tests after a crash."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from django.db import connection
from django.db.models import Q, Sum

from sandbox.wallet.models import Account, Deposit, Journal, Posting, Withdrawal

_registered: list[Callable[[], list[str]]] = []


def register_ledger_check(check: Callable[[], list[str]]) -> None:
    """Apps that hold funds add their own proof (the exchange: locked balances equal the holds
    of open orders) without the wallet knowing about them."""
    if check not in _registered:
        _registered.append(check)


def find_ledger_breaks() -> list[str]:
    """Every way the ledger is wrong, as sentences; empty when it is right."""
    breaks = find_posting_breaks()
    for check in _registered:
        breaks.extend(check())
    return breaks


def find_posting_breaks() -> list[str]:
    """The wallet's own proofs, without the checks other apps registered."""
    return [
        *_unbalanced_assets(),
        *_unbalanced_journals(),
        *_stale_balances(),
        *_negative_balances(),
        *_transfers_without_journals(),
    ]


def posting_sums(*group_by: str) -> dict[tuple, Decimal]:
    """Sums of posting amounts grouped by the given fields, exact on every database: PostgreSQL
    sums NUMERICs exactly; SQLite would sum in floating point, so there the sum is done here."""
    if connection.vendor == "postgresql":
        rows = Posting.objects.values(*group_by).annotate(total=Sum("amount")).order_by()
        return {tuple(row[f] for f in group_by): row["total"] for row in rows}
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    for row in Posting.objects.values_list(*group_by, "amount").iterator():
        totals[row[:-1]] += row[-1]
    return dict(totals)


def _unbalanced_assets() -> list[str]:
    return [
        f"asset {asset}: postings sum to {total}, not 0"
        for (asset,), total in sorted(posting_sums("asset_id").items())
        if total != 0
    ]


def _unbalanced_journals() -> list[str]:
    return [
        f"journal {journal}: {asset} postings sum to {total}, not 0"
        for (journal, asset), total in sorted(posting_sums("journal_id", "asset_id").items())
        if total != 0
    ][:50]


def _stale_balances() -> list[str]:
    sums: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for (account_id, bucket), total in posting_sums("account_id", "bucket").items():
        sums[account_id][bucket] = total
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
    # issuance and custody balance the students' books from outside: they may be below zero
    negative = Account.objects.exclude(
        kind__in=[Account.Kind.ISSUANCE, Account.Kind.CUSTODY]
    ).filter(Q(available__lt=0) | Q(locked__lt=0))
    return [
        f"account {a.pk} ({a.asset_id}) is negative: {a.available}+{a.locked}" for a in negative
    ]


def _transfers_without_journals() -> list[str]:
    """Each credited deposit has its DEPOSIT journal and each confirmed withdrawal its WITHDRAWAL
    journal, one for one: a credit or debit posted twice, or not at all, shows here."""
    breaks = [
        f"deposit {pk} is {status} but has no journal"
        for pk, status in Deposit.objects.filter(
            status__in=[Deposit.Status.CREDITED, Deposit.Status.FLAGGED], journal__isnull=True
        ).values_list("pk", "status")
    ]
    pairs = [
        ("deposits credited", Deposit.objects.filter(journal__isnull=False), Journal.Kind.DEPOSIT),
        (
            "withdrawals confirmed",
            Withdrawal.objects.filter(status=Withdrawal.Status.CONFIRMED),
            Journal.Kind.WITHDRAWAL,
        ),
    ]
    for label, rows, kind in pairs:
        made, journals = rows.count(), Journal.objects.filter(kind=kind).count()
        if made != journals:
            breaks.append(f"{made} {label} but {journals} {kind} journals")
    return breaks
