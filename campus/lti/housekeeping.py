"""Deleting what launches leave behind once it can no longer be used: login states past their
expiry (their nonce can no longer be redeemed: a replayed id_token then meets `unknown_state`)
and launches past theirs (their follow-up pages already answer `launch_expired`).

Nothing else points at either: people, identities, enrolments, course links and scores stay."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from campus.lti.models import Launch, LaunchState

BATCH = 1000  # rows per transaction: short locks, and a big backlog never becomes one huge DELETE


@dataclass(frozen=True)
class Purged:
    states: int
    launches: int


def purge_expired_launches(*, now: datetime | None = None) -> Purged:
    """Delete login states and launches whose `expires_at` has passed; returns how many."""
    now = now or timezone.now()
    return Purged(
        states=_purge(LaunchState, now),
        launches=_purge(Launch, now),
    )


def _purge(model: type[Model], now: datetime) -> int:
    deleted = 0
    while True:
        with transaction.atomic(durable=True):
            ids = list(
                model.objects.filter(expires_at__lt=now).values_list("pk", flat=True)[:BATCH]
            )
            if not ids:
                return deleted
            deleted += model.objects.filter(pk__in=ids).delete()[0]
