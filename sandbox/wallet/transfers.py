"""Deposits: what the chain side saw arriving at a student's deposit address, credited once.

Exactly once rests on two things the database enforces: the unique key (chain id, tx hash, log
index), so a transfer seen twice is one row, and the row lock `credit_deposit` takes before it
looks at the status, so two watchers crediting at once post one journal. The deposit row is
locked before any account (accounts are then locked in primary-key order by the ledger), the
same order every transfer service keeps.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sandbox.wallet.ledger import AVAILABLE, LedgerBatch, Leg
from sandbox.wallet.models import Account, Journal
from sandbox.wallet.services import system_account, user_accounts
from sandbox.wallet.transfer_input import (
    ADDRESS,
    TransferRefused,
    checked_tx_hash,
    exact_amount,
    rule_for,
)
from sandbox.wallet.transfers_live import announce_on_commit
from sandbox.wallet.transfers_models import Deposit
from sandbox.wallet.transfers_selectors import transfer_rule, transfer_settings
from sandbox.wallet.withdrawals import (
    fail_withdrawal,
    mark_withdrawal_broadcast,
    request_withdrawal,
    settle_withdrawal,
)

__all__ = [
    "TransferRefused",
    "credit_deposit",
    "fail_withdrawal",
    "mark_withdrawal_broadcast",
    "record_deposit",
    "request_withdrawal",
    "revert_deposit",
    "settle_withdrawal",
]

_CREDITED = Deposit.Status.CREDITED


def record_deposit(
    *,
    offering_id: int,
    owner_id: int,
    asset_code: str,
    chain_id: int,
    tx_hash: str,
    log_index: int,
    block_number: int,
    block_hash: str,
    from_address: str,
    to_address: str,
    amount: Decimal,
) -> Deposit:
    """Record a transfer seen on the chain; idempotent on (chain id, tx hash, log index). Seen
    again after a reorganisation, the row follows it to its new block, and a `reverted` row comes
    back to `seen` (a `flagged` one back to `credited`: the credit is backed again)."""
    value = _deposit_amount(offering_id, asset_code, amount)
    key = {"chain_id": chain_id, "tx_hash": checked_tx_hash(tx_hash), "log_index": log_index}
    block_hash = checked_tx_hash(block_hash)
    _check_deposit_addresses(from_address, to_address, log_index)
    with transaction.atomic(durable=True):
        deposit, created = Deposit.objects.select_for_update().get_or_create(
            **key,
            defaults={
                "offering_id": offering_id,
                "owner_id": owner_id,
                "asset_id": asset_code,
                "block_number": block_number,
                "block_hash": block_hash,
                "from_address": from_address.lower(),
                "to_address": to_address.lower(),
                "amount": value,
            },
        )
        if created or _seen_again(deposit, block_number, block_hash):
            announce_on_commit(deposit)
    return deposit


def _deposit_amount(offering_id: int, asset_code: str, amount: Decimal) -> Decimal:
    value = exact_amount(amount, rule_for(offering_id, asset_code))
    if value <= 0:
        raise TransferRefused(
            "invalid_amount",
            _("A deposit must be more than 0 %(asset)s.") % {"asset": asset_code},
        )
    return value


def _check_deposit_addresses(from_address: str, to_address: str, log_index: int) -> None:
    for address in (from_address, to_address):
        if not ADDRESS.match(str(address or "")):
            raise TransferRefused(
                "invalid_address", _("“%(address)s” is not an address.") % {"address": address}
            )
    if log_index < -1:
        raise TransferRefused("invalid_log_index", _("A log index is -1 (ether) or more."))


def _seen_again(deposit: Deposit, block_number: int, block_hash: str) -> bool:
    """Follow the transfer to the block it is in now; True if anything changed."""
    changed = []
    if (deposit.block_number, deposit.block_hash) != (block_number, block_hash):
        deposit.block_number, deposit.block_hash, deposit.confirmations = (
            block_number,
            block_hash,
            0,
        )
        changed += ["block_number", "block_hash", "confirmations"]
    back = {Deposit.Status.REVERTED: Deposit.Status.SEEN, Deposit.Status.FLAGGED: _CREDITED}
    if deposit.status in back:
        deposit.status, deposit.reverted_at = back[deposit.status], None
        changed += ["status", "reverted_at"]
    if changed:
        deposit.save(update_fields=changed)
    return bool(changed)


def credit_deposit(*, deposit_id: int, confirmations: int) -> Deposit:
    """Credit a `seen` deposit once it has the offering's confirmations; otherwise only record
    how many it has (the page shows them). A second call, or a concurrent one, credits nothing
    more: the status is read under the row's lock."""
    if confirmations < 0:
        raise TransferRefused("invalid_confirmations", _("Confirmations cannot be negative."))
    with transaction.atomic(durable=True):
        deposit = _locked_deposit(deposit_id)
        changed = deposit.confirmations != confirmations
        deposit.confirmations = confirmations
        if deposit.status == Deposit.Status.SEEN and _may_credit(deposit):
            _post_credit(deposit)
            changed = True
        if changed:
            deposit.save()
            announce_on_commit(deposit)
    return deposit


def _may_credit(deposit: Deposit) -> bool:
    """Enough confirmations, and deposits of the asset open (a deposit made while they were
    closed waits, `seen`, and is credited by a later call once they open again)."""
    needed = transfer_settings(deposit.offering_id).confirmations
    rule = transfer_rule(deposit.offering_id, deposit.asset_id)
    return deposit.confirmations >= needed and rule.deposits_enabled


def _post_credit(deposit: Deposit) -> None:
    """Custody pays, the owner receives: custody's balance is minus what came in net."""
    custody = system_account(
        offering_id=deposit.offering_id, asset_code=deposit.asset_id, kind=Account.Kind.CUSTODY
    )
    owner = user_accounts(
        offering_id=deposit.offering_id, owner_id=deposit.owner_id, asset_codes=[deposit.asset_id]
    )[deposit.asset_id]
    batch = LedgerBatch(deposit.offering_id)
    batch.add(
        Journal.Kind.DEPOSIT,
        [Leg(custody, AVAILABLE, -deposit.amount), Leg(owner, AVAILABLE, deposit.amount)],
        reference=f"deposit:{deposit.pk}",
        memo=deposit.tx_hash,
    )
    (deposit.journal,) = batch.commit()
    deposit.status, deposit.credited_at = Deposit.Status.CREDITED, timezone.now()


def revert_deposit(*, deposit_id: int) -> Deposit:
    """The transfer is gone from the chain: a `seen` deposit is never credited (`reverted`); a
    credited one is `flagged` for the instructor, with no ledger change (the student may have
    traded the funds already: a person decides)."""
    gone = {Deposit.Status.SEEN: Deposit.Status.REVERTED, _CREDITED: Deposit.Status.FLAGGED}
    with transaction.atomic(durable=True):
        deposit = _locked_deposit(deposit_id)
        if deposit.status in gone:
            deposit.status, deposit.reverted_at = gone[deposit.status], timezone.now()
            deposit.save(update_fields=["status", "reverted_at"])
            announce_on_commit(deposit)
    return deposit


def _locked_deposit(deposit_id: int) -> Deposit:
    try:
        return Deposit.objects.select_for_update().get(pk=deposit_id)
    except Deposit.DoesNotExist:
        raise TransferRefused(
            "unknown_deposit", _("There is no deposit %(id)s.") % {"id": deposit_id}
        ) from None
