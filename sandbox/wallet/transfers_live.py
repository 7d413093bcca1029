"""Deposits' and withdrawals' progress pushed to the owner's open pages.

Sent after commit to the channel group `transfer_group(owner_id)`, so nothing rolled back is ever
announced. Best effort: a page that missed a message shows the stored state when it loads, so a
channel layer that is down never fails the service that changed the state.
"""

from __future__ import annotations

from campus.live import send_on_commit
from sandbox.wallet.transfer_input import plain_amount
from sandbox.wallet.transfers_models import Deposit, Withdrawal

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
    send_on_commit(
        transfer_group(transfer.owner_id),
        {"type": TRANSFER_EVENT, "transfer": transfer_event(transfer)},
    )
