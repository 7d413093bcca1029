"""The transfer pages' live feed: the signed-in user's deposits and withdrawals as they change.

The wallet's transfer services send, after commit, `{"type": "transfer.update", "transfer": {...}}`
to the group `transfers.<owner id>`; this consumer lets only the signed-in user join their own
group and forwards the events unchanged. It reads nothing and accepts nothing from the client: the
page fetches the changed row over HTTP (`static/js/transfers.js`), so what it shows is always what
the database says, whatever the event carried (`transfers_live.transfer_event`).
"""

from __future__ import annotations

from campus.live import CLOSE_UNAUTHENTICATED, OwnFeedConsumer
from sandbox.wallet.transfers_live import TRANSFER_EVENT, transfer_group

__all__ = ["CLOSE_UNAUTHENTICATED", "TransfersConsumer"]


class TransfersConsumer(OwnFeedConsumer):
    def group_for(self, user_id: int) -> str:
        return transfer_group(user_id)

    async def transfer_update(self, event: dict) -> None:
        await self.send_json({"type": TRANSFER_EVENT, "transfer": event.get("transfer", {})})
