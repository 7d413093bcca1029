"""Instructors create trading competitions in their offerings; the leaderboard ranks students
within one from its start, and freezes its standings when it ends
(`leaderboard.freeze_ended_competitions`)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from campus.errors import ServiceError
from sandbox.markets.models import Competition

MAX_TITLE = Competition._meta.get_field("title").max_length


def create_competition(
    *, offering_id: int, title: str, starts_at: datetime, ends_at: datetime
) -> Competition:
    """A competition from `starts_at` to `ends_at` (which must come after it), with a title."""
    title = title.strip()
    if not title:
        raise ServiceError("competition_title", _("Give the competition a title."))
    if len(title) > MAX_TITLE:
        raise ServiceError(
            "competition_title",
            _("The title is too long: at most %d characters.") % MAX_TITLE,
        )
    if ends_at <= starts_at:
        raise ServiceError("competition_window", _("The competition must end after it starts."))
    with transaction.atomic(durable=True):
        return Competition.objects.create(
            offering_id=offering_id, title=title, starts_at=starts_at, ends_at=ends_at
        )
