"""Withdrawals: a student's funds held, sent by the exchange's hot wallet, then debited or freed.

pending (amount + fee held) → broadcast (the chain side sent it) → confirmed (the hold becomes a
debit: custody gets the amount back, FEES the fee) or → failed (the hold is released). Each step
locks the withdrawal row first and accounts after (the ledger locks those in primary-key order),
and is idempotent, so a chain-side task retried after a crash changes nothing twice.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campus.celery import app as celery_app
from sandbox.wallet.ledger import AVAILABLE, LOCKED, LedgerBatch, Leg
from sandbox.wallet.models import Account, Journal
from sandbox.wallet.services import system_account, user_accounts
from sandbox.wallet.transfer_input import (
    TransferRefused,
    checked_address,
    checked_amount,
    checked_tx_hash,
    plain_amount,
    rule_for,
)
from sandbox.wallet.transfers_live import announce_on_commit
from sandbox.wallet.transfers_models import Withdrawal
from sandbox.wallet.transfers_selectors import transfer_settings

log = logging.getLogger(__name__)
BROADCAST_TASK = "sandbox.chain.tasks.broadcast_withdrawal"
PENDING, BROADCAST = Withdrawal.Status.PENDING, Withdrawal.Status.BROADCAST
CONFIRMED, FAILED = Withdrawal.Status.CONFIRMED, Withdrawal.Status.FAILED


def request_withdrawal(
    *, offering_id: int, owner_id: int, asset_code: str, amount: Decimal, to_address: str
) -> Withdrawal:
    """Hold amount + fee and ask the chain side to send the amount. Refused, with nothing held,
    while withdrawals are halted, for an asset with no token, a bad address, an amount below the
    minimum or finer than the asset, or more than the owner has available."""
    _check_not_halted(offering_id)
    rule = rule_for(offering_id, asset_code)
    address = checked_address(to_address)
    value = checked_amount(amount, rule)
    with transaction.atomic(durable=True):
        _check_not_halted(offering_id)  # a halt committed while we validated
        account = _locked_owner_account(offering_id, owner_id, asset_code)
        _check_covers(account, value, rule.withdrawal_fee)
        withdrawal = Withdrawal.objects.create(
            offering_id=offering_id,
            owner_id=owner_id,
            asset_id=asset_code,
            amount=value,
            fee=rule.withdrawal_fee,
            to_address=address,
        )
        batch = LedgerBatch(offering_id)
        batch.hold(account, withdrawal.total, reference=f"withdrawal:{withdrawal.pk}")
        batch.commit()
        transaction.on_commit(lambda: _send_broadcast_task(withdrawal.pk))
        announce_on_commit(withdrawal)
    return withdrawal


def _check_not_halted(offering_id: int) -> None:
    desk = transfer_settings(offering_id)
    if not desk.withdrawals_halted:
        return
    if desk.halted_reason:
        message = _("Withdrawals are halted for this course: %(reason)s") % {
            "reason": desk.halted_reason
        }
    else:
        message = _("Withdrawals are halted for this course for now; try again later.")
    raise TransferRefused("withdrawals_halted", message)


def _locked_owner_account(offering_id: int, owner_id: int, asset_code: str) -> Account:
    account = user_accounts(offering_id=offering_id, owner_id=owner_id, asset_codes=[asset_code])
    account = account[asset_code]
    locked = Account.objects.select_for_update().get(pk=account.pk)
    locked.asset = account.asset  # the ledger reads the asset's precision
    return locked


def _check_covers(account: Account, amount: Decimal, fee: Decimal) -> None:
    if amount + fee <= account.available:
        return
    raise TransferRefused(
        "insufficient_balance",
        _(
            "Withdrawing %(amount)s %(asset)s costs %(total)s %(asset)s with the %(fee)s "
            "%(asset)s fee, but you have %(available)s %(asset)s available."
        )
        % {
            "amount": plain_amount(amount),
            "total": plain_amount(amount + fee),
            "fee": plain_amount(fee),
            "available": plain_amount(account.available),
            "asset": account.asset_id,
        },
    )


def _send_broadcast_task(withdrawal_id: int) -> None:
    """By name: the wallet never imports the chain app. A broker that is down leaves the
    withdrawal pending (logged); the chain side may sweep pending withdrawals."""
    try:
        celery_app.send_task(BROADCAST_TASK, args=[withdrawal_id])
    except Exception:
        log.exception("could not schedule the broadcast of withdrawal %s", withdrawal_id)


def mark_withdrawal_broadcast(*, withdrawal_id: int, chain_id: int, tx_hash: str) -> Withdrawal:
    """The hot wallet sent it (pending → broadcast). Again with the same transaction: nothing."""
    tx_hash = checked_tx_hash(tx_hash)
    with transaction.atomic(durable=True):
        withdrawal = _locked_withdrawal(withdrawal_id)
        if withdrawal.status == BROADCAST and withdrawal.tx_hash == tx_hash:
            return withdrawal
        _check_status(withdrawal, PENDING)
        withdrawal.status, withdrawal.broadcast_at = BROADCAST, timezone.now()
        withdrawal.chain_id, withdrawal.tx_hash = chain_id, tx_hash
        withdrawal.save(update_fields=["status", "broadcast_at", "chain_id", "tx_hash"])
        announce_on_commit(withdrawal)
    return withdrawal


def settle_withdrawal(*, withdrawal_id: int, block_number: int, gas_cost_wei: int) -> Withdrawal:
    """Mined with enough confirmations (broadcast → confirmed): one WITHDRAWAL journal turns the
    hold into a debit; custody takes the amount back, FEES the fee. Again: nothing."""
    if int(gas_cost_wei) < 0 or int(block_number) < 0:
        raise TransferRefused("invalid_receipt", _("Gas cost and block number cannot be negative."))
    with transaction.atomic(durable=True):
        withdrawal = _locked_withdrawal(withdrawal_id)
        if withdrawal.status == CONFIRMED:
            return withdrawal
        _check_status(withdrawal, BROADCAST)
        _post_debit(withdrawal)
        withdrawal.status, withdrawal.finished_at = CONFIRMED, timezone.now()
        withdrawal.block_number, withdrawal.gas_cost_wei = block_number, Decimal(gas_cost_wei)
        withdrawal.save()
        announce_on_commit(withdrawal)
    return withdrawal


def _post_debit(withdrawal: Withdrawal) -> None:
    offering_id, code = withdrawal.offering_id, withdrawal.asset_id
    owner = _owner_account(withdrawal)
    custody = system_account(offering_id=offering_id, asset_code=code, kind=Account.Kind.CUSTODY)
    fees = system_account(offering_id=offering_id, asset_code=code, kind=Account.Kind.FEES)
    batch = LedgerBatch(offering_id)
    batch.add(
        Journal.Kind.WITHDRAWAL,
        [
            Leg(owner, LOCKED, -withdrawal.total),
            Leg(custody, AVAILABLE, withdrawal.amount),
            Leg(fees, AVAILABLE, withdrawal.fee),
        ],
        reference=f"withdrawal:{withdrawal.pk}",
        memo=withdrawal.tx_hash,
    )
    batch.commit()


def fail_withdrawal(*, withdrawal_id: int, reason: str) -> Withdrawal:
    """It did not happen (pending/broadcast → failed): the hold goes back to available, and
    `reason` tells the student why. Again: nothing. A confirmed withdrawal cannot fail."""
    with transaction.atomic(durable=True):
        withdrawal = _locked_withdrawal(withdrawal_id)
        if withdrawal.status == FAILED:
            return withdrawal
        _check_status(withdrawal, PENDING, BROADCAST)
        batch = LedgerBatch(withdrawal.offering_id)
        batch.release(
            _owner_account(withdrawal), withdrawal.total, reference=f"withdrawal:{withdrawal.pk}"
        )
        batch.commit()
        withdrawal.status, withdrawal.finished_at = FAILED, timezone.now()
        withdrawal.failure = str(reason or "")[:2000]
        withdrawal.save(update_fields=["status", "finished_at", "failure"])
        announce_on_commit(withdrawal)
    return withdrawal


def _owner_account(withdrawal: Withdrawal) -> Account:
    accounts = user_accounts(
        offering_id=withdrawal.offering_id,
        owner_id=withdrawal.owner_id,
        asset_codes=[withdrawal.asset_id],
    )
    return accounts[withdrawal.asset_id]


def _locked_withdrawal(withdrawal_id: int) -> Withdrawal:
    try:
        return Withdrawal.objects.select_for_update().get(pk=withdrawal_id)
    except Withdrawal.DoesNotExist:
        raise TransferRefused(
            "unknown_withdrawal", _("There is no withdrawal %(id)s.") % {"id": withdrawal_id}
        ) from None


def _check_status(withdrawal: Withdrawal, *allowed: str) -> None:
    if withdrawal.status in allowed:
        return
    code = "withdrawal_finished" if withdrawal.status in (CONFIRMED, FAILED) else "wrong_status"
    raise TransferRefused(
        code,
        _("Withdrawal %(id)s is %(status)s; this step needs it %(allowed)s.")
        % {
            "id": withdrawal.pk,
            "status": withdrawal.get_status_display().lower(),
            "allowed": " / ".join(str(Withdrawal.Status(s).label).lower() for s in allowed),
        },
    )
