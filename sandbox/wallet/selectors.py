"""Reads behind the wallet page and the sandbox's access rule.

Who may use an offering's sandbox: the people actively enrolled in it, in any role (student,
instructor, TA). University admins and superusers may open the offering's page but have no wallet
there, so its sandbox pages are a 404 for them, as for everyone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from campus.api import User
from courses.api import Offering, is_enrolled
from sandbox.wallet.models import Account, Journal, Posting, Wallet

ZERO = Decimal(0)


def is_member(user: User, offering: Offering) -> bool:
    return user.is_authenticated and is_enrolled(user_id=user.pk, offering_id=offering.pk)


def has_wallet(*, offering_id: int, owner_id: int) -> bool:
    return Wallet.objects.filter(offering_id=offering_id, owner_id=owner_id).exists()


def wallet_accounts(*, offering_id: int, owner_id: int) -> list[Account]:
    return list(
        Account.objects.filter(offering_id=offering_id, owner_id=owner_id)
        .select_related("asset")
        .order_by("asset_id")
    )


@dataclass(frozen=True)
class Movement:
    """One journal's effect on one account: its postings summed per bucket."""

    journal: Journal
    available: Decimal
    locked: Decimal


def movement_journal_ids(account: Account) -> QuerySet:
    """Ids of the journals that moved `account`, most recent first (paginate this)."""
    return (
        Posting.objects.filter(account=account)
        .values_list("journal_id", flat=True)
        .distinct()
        .order_by("-journal_id")
    )


def movements(account: Account, journal_ids: list[int]) -> list[Movement]:
    """The postings of `account` in these journals, one `Movement` per journal, most recent first."""
    postings = Posting.objects.filter(account=account, journal_id__in=journal_ids).select_related(
        "journal"
    )
    by_journal: dict[int, dict] = {}
    for posting in postings:
        row = by_journal.setdefault(
            posting.journal_id,
            {
                "journal": posting.journal,
                Posting.Bucket.AVAILABLE: ZERO,
                Posting.Bucket.LOCKED: ZERO,
            },
        )
        row[posting.bucket] += posting.amount
    return [
        Movement(
            journal=row["journal"],
            available=row[Posting.Bucket.AVAILABLE],
            locked=row[Posting.Bucket.LOCKED],
        )
        for _id, row in sorted(by_journal.items(), reverse=True)
    ]
