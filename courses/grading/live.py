"""Attempts' progress pushed to the student's open pages (queued → being graded → result).

Sent after commit to the channel group `attempt_group(user_id)`; a consumer on the exercise page
forwards it. Best effort: a page that missed a message shows the stored state when it loads.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from courses.models import Attempt

log = logging.getLogger(__name__)
EVENT_TYPE = "attempt.update"


def attempt_group(user_id: int) -> str:
    return f"attempts.{user_id}"


def attempt_event(attempt: Attempt) -> dict:
    return {
        "id": attempt.pk,
        "exercise_id": attempt.exercise_id,
        "offering_id": attempt.offering_id,
        "number": attempt.number,
        "status": attempt.status,
        "finished": attempt.finished,
        "score": None if attempt.score is None else str(attempt.score),
    }


def announce_on_commit(attempt: Attempt) -> None:
    group, event = attempt_group(attempt.user_id), attempt_event(attempt)
    transaction.on_commit(lambda: _send(group, event))


def _send(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": EVENT_TYPE, "attempt": event})
    except Exception:
        log.warning("could not announce attempt %s", event["id"], exc_info=True)
