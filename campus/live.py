"""Pushing a user's own events to their open pages (attempts being graded, transfers moving).

`send_on_commit` sends to a Channels group after the transaction commits, so nothing rolled back
is announced, and best effort: a page that missed a message shows the stored state when it
loads, so a channel layer that is down never fails the service that changed the state.
`OwnFeedConsumer` is the page's end: only the signed-in user joins, only their own group, and
the feed is one-way.
"""

from __future__ import annotations

import logging

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.db import transaction

from campus import sidecar

log = logging.getLogger(__name__)
CLOSE_UNAUTHENTICATED = 4401


def send_on_commit(group: str, message: dict) -> None:
    """`message` (with its Channels `type`) to `group` once the current transaction commits."""
    transaction.on_commit(lambda: send_now(group, message))


def send_now(group: str, message: dict) -> None:
    try:
        layer = get_channel_layer()
        if layer is not None:
            sidecar.run(layer.group_send(group, message))
    except Exception:
        log.warning("could not send %s to %s", message.get("type"), group, exc_info=True)


class OwnFeedConsumer(AsyncJsonWebsocketConsumer):
    """A one-way feed of the signed-in user's own group (`group_for(user id)`); subclasses name
    the group and forward its events."""

    group: str | None = None

    def group_for(self, user_id: int) -> str:
        raise NotImplementedError

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = self.group_for(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        """The feed is one-way; anything the client sends is ignored."""
