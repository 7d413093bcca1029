"""The exercise page's live feed of the student's own attempts (queued → being graded → result).

`courses.grading.live` sends every attempt state change to the group `attempts.<user id>`; this
consumer lets only the signed-in student join their own group and forwards the events as they
come, unchanged (`{"type": "attempt.update", "attempt": {...}}`). It reads nothing and accepts
nothing from the client: the page fetches the finished attempt's feedback over HTTP.
"""

from __future__ import annotations

from campus.live import CLOSE_UNAUTHENTICATED, OwnFeedConsumer
from courses.grading.live import EVENT_TYPE, attempt_group

__all__ = ["CLOSE_UNAUTHENTICATED", "AttemptsConsumer"]


class AttemptsConsumer(OwnFeedConsumer):
    def group_for(self, user_id: int) -> str:
        return attempt_group(user_id)

    async def attempt_update(self, event: dict) -> None:
        await self.send_json({"type": EVENT_TYPE, "attempt": event["attempt"]})
