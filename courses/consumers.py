"""The exercise page's live feed of the student's own attempts (queued → being graded → result).

`courses.grading.live` sends every attempt state change to the group `attempts.<user id>`; this
consumer lets only the signed-in student join their own group and forwards the events as they
come, unchanged (`{"type": "attempt.update", "attempt": {...}}`). It reads nothing and accepts
nothing from the client: the page fetches the finished attempt's feedback over HTTP.
"""

from __future__ import annotations

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from courses.grading.live import EVENT_TYPE, attempt_group

CLOSE_UNAUTHENTICATED = 4401


class AttemptsConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = attempt_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        """The feed is one-way; anything the client sends is ignored."""

    async def attempt_update(self, event: dict) -> None:
        await self.send_json({"type": EVENT_TYPE, "attempt": event["attempt"]})
