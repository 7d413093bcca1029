"""The only code that moves balances.

A caller collects balanced journals in a `LedgerBatch` and commits it inside its own database
transaction, so every movement is written in the same transaction as the event that caused it.
A commit applies the net change to each account in primary-key order, whatever order the legs
came in (two transactions touching the same accounts always take their row locks in the same order
and cannot deadlock), then writes the journals and postings in bulk. The database refuses a negative
balance (`account_never_negative`); on PostgreSQL a deferred constraint trigger refuses, at commit,
a journal whose postings do not sum to zero per asset.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from django.db import IntegrityError, connection
from django.utils import timezone

from campus import sqlrows
from campus.errors import ServiceError
from sandbox.wallet.models import ZERO, Account, Journal, Posting

AVAILABLE = Posting.Bucket.AVAILABLE
LOCKED = Posting.Bucket.LOCKED


class UnbalancedJournal(ValueError):
    """A programming error: the legs given for one journal do not sum to zero per asset."""


class InsufficientBalance(ServiceError):
    def __init__(
        self, message: str = "Account has insufficient balance for requested action."
    ) -> None:
        super().__init__("insufficient_balance", message)


@dataclass(frozen=True, slots=True)
class Leg:
    account: Account
    bucket: str
    amount: Decimal


@dataclass
class _PendingJournal:
    kind: str
    reference: str
    memo: str
    legs: list[Leg]


@dataclass
class LedgerBatch:
    """Journals to write together. `add` checks each journal balances; `commit` writes them all
    and leaves in `balances` each changed account's (available, locked) as the database has it.

    With `follow`, `add` also moves each leg's amount on its `Account` object in memory, so that
    a caller deciding many things in one transaction (orders placed together) checks each
    against balances that include what it decided before; the database still has the last word
    at `commit` (a balance that would go negative there raises InsufficientBalance)."""

    offering_id: int
    journals: list[_PendingJournal] = field(default_factory=list)
    balances: dict[int, tuple[Decimal, Decimal]] = field(default_factory=dict)
    follow: bool = False

    def add(self, kind: str, legs: list[Leg], *, reference: str = "", memo: str = "") -> None:
        legs = [leg for leg in legs if leg.amount != 0]
        _check_balanced(legs)
        if legs:
            self.journals.append(_PendingJournal(kind, str(reference), memo, legs))
        if self.follow:
            for leg in legs:  # the bucket names are the Account fields (available, locked)
                setattr(leg.account, leg.bucket, getattr(leg.account, leg.bucket) + leg.amount)

    def hold(self, account: Account, amount: Decimal, *, reference: str = "") -> None:
        """Move `amount` from available to locked (funds promised to an open order)."""
        self.add(
            Journal.Kind.HOLD,
            [Leg(account, AVAILABLE, -amount), Leg(account, LOCKED, amount)],
            reference=reference,
        )

    def release(self, account: Account, amount: Decimal, *, reference: str = "") -> None:
        """Move `amount` back from locked to available (a hold no longer needed)."""
        self.add(
            Journal.Kind.RELEASE,
            [Leg(account, LOCKED, -amount), Leg(account, AVAILABLE, amount)],
            reference=reference,
        )

    def commit(self) -> list[Journal]:
        """Write everything and return the journals written. Must run inside the caller's
        transaction; raises InsufficientBalance (after which the caller's transaction must roll
        back) if a balance would go negative."""
        return self.send()()

    def send(self) -> Callable[[], list[Journal]]:
        """`commit` in two steps: the writes are sent now, and the function returned reads
        their answers (the balances after, into `balances`, and the journals' ids) and returns
        the journals. On PostgreSQL that is two statements, the balances' and then the journals'
        with their postings in one, and inside `sqlrows.pipeline()` neither is waited for until
        the function is called (a caller that commits in the same pipeline calls it after)."""
        if not connection.in_atomic_block:
            raise RuntimeError("LedgerBatch.commit() must run inside transaction.atomic()")
        pending, self.journals = self.journals, []
        if not pending:
            return list
        now = timezone.now()
        stamp = sqlrows.db_value(Journal, "created_at", now)
        with _refusing_negative():
            balances = _send_net_changes(pending)
            journal_ids = _send_journals(self.offering_id, pending, stamp)

        def written() -> list[Journal]:
            with _refusing_negative():
                self.balances.update(balances())
                ids = journal_ids()
            names = ["id", "offering_id", "kind", "reference", "memo", "created_at"]
            return [  # as if read back from the database
                Journal.from_db(
                    connection.alias,
                    names,
                    [pk, self.offering_id, j.kind, j.reference, j.memo, now],
                )
                for pk, j in zip(ids, pending, strict=True)
            ]

        return written


@contextmanager
def _refusing_negative():
    """A balance the database refused to let go negative is InsufficientBalance (the caller's
    transaction is then rolled back by its atomic())."""
    try:
        yield
    except IntegrityError as error:
        if "account_never_negative" in str(error):
            raise InsufficientBalance() from None
        raise


_JOURNAL_COLUMNS = ("offering", "kind", "reference", "memo", "created_at")
_POSTING_COLUMNS = ("journal", "account", "asset", "bucket", "amount")


def _send_journals(offering_id: int, pending: list[_PendingJournal], stamp) -> Callable[[], list]:
    """Insert the journals and their postings; the function returned reads the journals' ids,
    in order. On PostgreSQL one statement, whose text is the same for any number of rows: the
    journals go in first, their ids are numbered in the order they were inserted (ids from the
    table's sequence rise within a statement), and each posting takes the id of its journal's
    number. Elsewhere the journals' ids are read before the postings are inserted."""
    journals = [(offering_id, j.kind, j.reference, j.memo, stamp) for j in pending]
    legs = [
        (number, leg.account.pk, leg.account.asset_id, leg.bucket, leg.amount)
        for number, journal in enumerate(pending, start=1)
        for leg in journal.legs
    ]
    if connection.vendor != "postgresql":
        ids = sqlrows.insert_rows(Journal, _JOURNAL_COLUMNS, journals)
        sqlrows.insert_rows(Posting, _POSTING_COLUMNS, [(ids[n - 1], *rest) for n, *rest in legs])
        return lambda: ids
    columns = [sqlrows.array(column) for column in zip(*journals, strict=True)]
    columns += [sqlrows.array(column) for column in zip(*legs, strict=True)]
    rows = sqlrows.send(_journals_and_postings_sql(), columns)
    return lambda: [journal_id for (journal_id,) in rows()]


@lru_cache(maxsize=1)
def _journals_and_postings_sql() -> str:
    journals = sqlrows.unnest_insert_sql(Journal, _JOURNAL_COLUMNS)
    journal_id = connection.ops.quote_name(Journal._meta.pk.column)
    postings = f"{sqlrows.table(Posting)} ({sqlrows.column_list(Posting, _POSTING_COLUMNS)})"
    legs = sqlrows.unnest_params(Posting, _POSTING_COLUMNS[1:])
    return (
        f"WITH j AS ({journals}),"  # noqa: S608 (names from _meta, values as parameters)
        f" n AS (SELECT {journal_id} AS id, row_number() OVER (ORDER BY {journal_id}) AS number"
        " FROM j),"
        f" p AS (INSERT INTO {postings} SELECT n.id, leg.account, leg.asset, leg.bucket, leg.amount"
        f" FROM unnest(%s::bigint[], {legs}) WITH ORDINALITY"
        " AS leg(number, account, asset, bucket, amount, position)"
        " JOIN n ON n.number = leg.number ORDER BY leg.position)"
        " SELECT id FROM n ORDER BY number"
    )


def _check_balanced(legs: list[Leg]) -> None:
    per_asset: dict[str, Decimal] = defaultdict(Decimal)
    for leg in legs:
        quantum = leg.account.asset.quantum
        if leg.amount != leg.amount.quantize(quantum):
            raise UnbalancedJournal(
                f"{leg.amount} has more places than {leg.account.asset_id} allows"
            )
        per_asset[leg.account.asset_id] += leg.amount
    unbalanced = {asset: total for asset, total in per_asset.items() if total != 0}
    if unbalanced:
        raise UnbalancedJournal(f"legs do not sum to zero: {unbalanced}")


def _send_net_changes(
    journals: list[_PendingJournal],
) -> Callable[[], dict[int, tuple[Decimal, Decimal]]]:
    """Add each account's net change; the function returned reads {account id: (available,
    locked)} after it (inside `sqlrows.pipeline()`, waiting for it only then). A balance that
    would go negative raises IntegrityError (account_never_negative), at the latest there."""
    net: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for pending in journals:
        for leg in pending.legs:
            net[leg.account.pk][leg.bucket] += leg.amount
    changes = {
        pk: {bucket: delta for bucket, delta in net[pk].items() if delta}
        for pk in sorted(net)
        if any(net[pk].values())
    }
    if connection.vendor == "postgresql":
        if len(changes) == 1:
            return _add_one_in_database(*next(iter(changes.items())))
        return _add_many_in_database(changes) if changes else dict
    after = {pk: _add_in_python(pk, deltas) for pk, deltas in changes.items()}
    return lambda: after


def _add_many_in_database(changes: dict[int, dict[str, Decimal]]) -> Callable[[], dict]:
    """One statement for any number of accounts: lock the rows in primary-key order (so that
    concurrent transactions cannot deadlock), then add every delta; the UPDATE touches only rows
    the lock has already taken. NO KEY UPDATE is the lock an UPDATE of non-key columns takes; it
    does not block foreign-key checks. The text is fixed, so PostgreSQL plans it once."""
    pks = sorted(changes)
    ids = sqlrows.array(pks)
    rows = sqlrows.send(
        _ADD_MANY_SQL.format(table=Account._meta.db_table),
        [
            ids,
            ids,
            sqlrows.array(changes[pk].get("available", ZERO) for pk in pks),
            sqlrows.array(changes[pk].get("locked", ZERO) for pk in pks),
        ],
    )
    return lambda: {pk: (available, locked) for pk, available, locked in rows()}


_ADD_MANY_SQL = (
    "WITH taken AS MATERIALIZED (SELECT id FROM {table} WHERE id = ANY(%s::bigint[])"
    " ORDER BY id FOR NO KEY UPDATE)"
    " UPDATE {table} AS a SET available = a.available + d.available,"
    " locked = a.locked + d.locked"
    " FROM unnest(%s::bigint[], %s::numeric[], %s::numeric[]) AS d(id, available, locked)"
    " WHERE a.id = d.id AND a.id IN (SELECT id FROM taken)"
    " RETURNING a.id, a.available, a.locked"
)


def _add_one_in_database(account_pk: int, deltas: dict[str, Decimal]) -> Callable[[], dict]:
    """One account: one UPDATE, which takes the row's lock itself (no lock order to keep)."""
    rows = sqlrows.send(
        f"UPDATE {Account._meta.db_table} SET available = available + %s::numeric, "  # noqa: S608
        "locked = locked + %s::numeric WHERE id = %s RETURNING available, locked",
        [deltas.get("available", ZERO), deltas.get("locked", ZERO), account_pk],
    )
    return lambda: {account_pk: rows()[0]}


def _add_in_python(account_pk: int, changes: dict[str, Decimal]) -> tuple[Decimal, Decimal]:
    """SQLite would add in floating point, so add exact Decimals here and write the results.
    Safe because SQLite transactions here begin IMMEDIATE (settings), serialising writers."""
    current = Account.objects.filter(pk=account_pk).values("available", "locked").get()
    after = {bucket: current[bucket] + changes.get(bucket, ZERO) for bucket in current}
    Account.objects.filter(pk=account_pk).update(**{bucket: after[bucket] for bucket in changes})
    return after["available"], after["locked"]
