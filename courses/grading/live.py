"""Attempts' progress pushed to the student's open pages (queued → being graded → result).

Sent after commit to the channel group `attempt_group(user_id)`; a consumer on the exercise page
forwards it. Best effort: a page that missed a message shows the stored state when it loads.
"""

from __future__ import annotations

from campus.live import send_on_commit
from courses.models import Attempt

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
    send_on_commit(
        attempt_group(attempt.user_id), {"type": EVENT_TYPE, "attempt": attempt_event(attempt)}
    )
