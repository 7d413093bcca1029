"""The transfer pages' live feed: the signed-in user's deposits and withdrawals as they change.

The wallet's transfer services send, after commit, `{"type": "transfer.update", "transfer": {...}}`
to the group `transfers.<owner id>`; this consumer lets only the signed-in user join their own
group and forwards the events unchanged. It reads nothing and accepts nothing from the client: the
page fetches the changed row over HTTP (`static/js/transfers.js`), so what it shows is always what
the database says, whatever the event carried (`transfers_live.transfer_event`).
"""

from __future__ import annotations

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from sandbox.wallet.transfers_live import TRANSFER_EVENT, transfer_group

CLOSE_UNAUTHENTICATED = 4401


class TransfersConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = transfer_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        """The feed is one-way; anything the client sends is ignored."""

    async def transfer_update(self, event: dict) -> None:
        await self.send_json({"type": TRANSFER_EVENT, "transfer": event.get("transfer", {})})
