"""Deposits' and withdrawals' progress pushed to the owner's open pages.

Sent after commit to the channel group `transfer_group(owner_id)`, so nothing rolled back is ever
announced. Best effort: a page that missed a message shows the stored state when it loads, so a
channel layer that is down never fails the service that changed the state.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from sandbox.wallet.transfer_input import plain_amount
from sandbox.wallet.transfers_models import Deposit, Withdrawal

log = logging.getLogger(__name__)
TRANSFER_EVENT = "transfer.update"


def transfer_group(owner_id: int) -> str:
    """The Channels group of one user's transfer pages (every offering: events name the asset)."""
    return f"transfers.{owner_id}"


def transfer_event(transfer: Deposit | Withdrawal) -> dict:
    """What a page needs to redraw one row: plain JSON, amounts as strings (never floats)."""
    is_deposit = isinstance(transfer, Deposit)
    return {
        "kind": "deposit" if is_deposit else "withdrawal",
        "id": transfer.pk,
        "offering_id": transfer.offering_id,
        "status": transfer.status,
        "confirmations": transfer.confirmations if is_deposit else None,
        "amount": plain_amount(transfer.amount),
        "asset": transfer.asset_id,
        "tx_hash": transfer.tx_hash or None,
    }


def announce_on_commit(transfer: Deposit | Withdrawal) -> None:
    group, event = transfer_group(transfer.owner_id), transfer_event(transfer)
    transaction.on_commit(lambda: _send(group, event))


def _send(group: str, event: dict) -> None:
    try:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group, {"type": TRANSFER_EVENT, "transfer": event})
    except Exception:
        log.warning("could not announce %s %s", event["kind"], event["id"], exc_info=True)
