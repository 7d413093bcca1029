"""How a deposit or a withdrawal reads on the student's pages: one table row each, with its
state in a word and a sentence on what it means, the transaction linked to the student's own
chain explorer. The history, the deposit page and the live row fragment all render these."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courses.api import Offering
from sandbox.wallet.forms import plain
from sandbox.wallet.models import Deposit, Withdrawal
from sandbox.wallet.views_desk import short_hex


@dataclass(frozen=True)
class DepositRow:
    id: int
    asset: str
    amount: str
    status: str
    label: str
    explanation: str
    confirmations: int
    required: int
    final: bool
    tx_hash: str
    tx_short: str
    tx_url: str
    seen_at: object
    credited_at: object


@dataclass(frozen=True)
class WithdrawalRow:
    id: int
    asset: str
    amount: str
    fee: str
    to_address: str
    to_short: str
    status: str
    label: str
    explanation: str
    final: bool
    tx_hash: str
    tx_short: str
    tx_url: str
    requested_at: object
    finished_at: object
    highlight: bool


def deposit_row(offering: Offering, deposit: Deposit, required: int) -> DepositRow:
    status = deposit.status
    return DepositRow(
        id=deposit.pk,
        asset=deposit.asset_id,
        amount=plain(deposit.amount),
        status=status,
        label=STATE_LABELS.get(status, status),
        explanation=deposit_explanation(deposit, required),
        confirmations=min(deposit.confirmations, required),
        required=required,
        final=status != Deposit.Status.SEEN,
        tx_hash=deposit.tx_hash,
        tx_short=short_hex(deposit.tx_hash),
        tx_url=tx_url(offering, deposit.tx_hash),
        seen_at=deposit.seen_at,
        credited_at=deposit.credited_at,
    )


def withdrawal_row(offering: Offering, withdrawal: Withdrawal, *, highlight: bool) -> WithdrawalRow:
    status = withdrawal.status
    return WithdrawalRow(
        id=withdrawal.pk,
        asset=withdrawal.asset_id,
        amount=plain(withdrawal.amount),
        fee=plain(withdrawal.fee),
        to_address=withdrawal.to_address,
        to_short=short_hex(withdrawal.to_address),
        status=status,
        label=STATE_LABELS.get(status, status),
        explanation=withdrawal.failure or WITHDRAWAL_MEANINGS.get(status, ""),
        final=status in (Withdrawal.Status.CONFIRMED, Withdrawal.Status.FAILED),
        tx_hash=withdrawal.tx_hash,
        tx_short=short_hex(withdrawal.tx_hash),
        tx_url=tx_url(offering, withdrawal.tx_hash),
        requested_at=withdrawal.requested_at,
        finished_at=withdrawal.finished_at,
        highlight=highlight,
    )


def deposit_explanation(deposit: Deposit, required: int) -> str:
    if deposit.status == Deposit.Status.SEEN:
        return _("%(count)s of %(required)s confirmations: credited when it has them all.") % {
            "count": min(deposit.confirmations, required),
            "required": required,
        }
    return DEPOSIT_MEANINGS.get(deposit.status, "")


def tx_url(offering: Offering, tx_hash: str) -> str:
    """The transaction on the student's own chain's explorer (their chain keeps its id)."""
    if not tx_hash:
        return ""
    return reverse("chain-tx", args=[offering.slug, tx_hash])


STATE_LABELS = {
    "seen": gettext_lazy("Seen"),
    "credited": gettext_lazy("Credited"),
    "reverted": gettext_lazy("Reverted"),
    "flagged": gettext_lazy("Flagged"),
    "pending": gettext_lazy("Pending"),
    "broadcast": gettext_lazy("Broadcast"),
    "confirmed": gettext_lazy("Confirmed"),
    "failed": gettext_lazy("Failed"),
}
DEPOSIT_MEANINGS = {
    "credited": gettext_lazy("In your exchange wallet: you can trade it or withdraw it."),
    "reverted": gettext_lazy(
        "Its block was undone (a snapshot revert or a reset of your chain) before it was "
        "credited, so nothing was credited."
    ),
    "flagged": gettext_lazy(
        "It was credited, then its block was undone. Your instructor sees it on the proof of "
        "reserves: the exchange now owes more than it holds."
    ),
}
WITHDRAWAL_MEANINGS = {
    "pending": gettext_lazy("The exchange holds the amount and fee and will send the transfer."),
    "broadcast": gettext_lazy("The exchange's hot wallet has sent it; waiting for it to be mined."),
    "confirmed": gettext_lazy(
        "Mined on your chain: the amount is at the address, the fee was charged."
    ),
    "failed": gettext_lazy("The transfer did not happen; the amount and fee were released."),
}
