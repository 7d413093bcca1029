"""Withdrawals on the chain: the hot wallet sends what the wallet holds for the student, and the
watcher confirms it.

`broadcast_withdrawal` (the Celery task of the same name calls it) builds the transfer (ether, or
the token's `transfer`), checks that the hot wallet can pay it (a shortfall fails the withdrawal
with a message for the student, and nothing is sent), signs it with the derived key, records its
hash with `mark_withdrawal_broadcast` and only then sends it. It holds the chain's custody lock
(the hot wallet's nonces) and `chain_in_use` (a grading's `evm_revert` would undo the transfer).
Sent at most once: a retry finds the withdrawal no longer pending; a crash between recording and
sending leaves a hash the chain never saw, which the watcher fails (the hold is released).

`confirm_withdrawals` (called by each watcher pass) settles a broadcast withdrawal once its
receipt succeeded with the offering's confirmations (with the gas it cost), and fails it if the
transaction reverted or is gone from the chain (a reset or a snapshot revert).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from campus.errors import ServiceError
from sandbox.chain.custody import (
    ETH,
    ETH_DECIMALS,
    Node,
    NodeError,
    balance_call,
    control_node,
    custody_account,
    custody_lock,
    ensure_custody_locked,
    from_units,
    signed_transaction,
    to_units,
    transfer_data,
)
from sandbox.chain.execution import chain_in_use
from sandbox.chain.models import Chain, ChainCustody, ChainToken
from sandbox.chain.services import open_chain
from sandbox.wallet.api import (
    Withdrawal,
    fail_withdrawal,
    mark_withdrawal_broadcast,
    settle_withdrawal,
)

if TYPE_CHECKING:
    from sandbox.chain.watcher import PassReport

log = logging.getLogger(__name__)

LOCK_WAIT_S = 10
IN_USE_WAIT_S = 5


def broadcast_withdrawal(withdrawal_id: int) -> str:
    """Send a pending withdrawal; returns its status afterwards. Idempotent. Raises what a retry
    may cure: ChainUnavailable, ChainBusy, CustodyBusy, CustodyUnavailable, OSError."""
    withdrawal = Withdrawal.objects.filter(pk=withdrawal_id).first()
    if withdrawal is None or withdrawal.status != Withdrawal.Status.PENDING:
        return withdrawal.status if withdrawal else "unknown"
    try:
        chain = open_chain(offering_id=withdrawal.offering_id, owner_id=withdrawal.owner_id)
    except ServiceError as error:
        return fail_withdrawal(withdrawal_id=withdrawal_id, reason=error.message).status
    node = control_node(chain)
    with custody_lock(chain.pk, wait_s=LOCK_WAIT_S):
        withdrawal.refresh_from_db()
        if withdrawal.status != Withdrawal.Status.PENDING:
            return withdrawal.status
        custody, _fresh = ensure_custody_locked(node, chain)
        with chain_in_use(chain.pk, wait_s=IN_USE_WAIT_S):
            return _send(node, chain, custody, withdrawal)


def give_up(withdrawal_id: int, error: Exception) -> str:
    """The chain stayed out of reach through every retry: release the student's funds."""
    reason = _(
        "Your chain could not be reached to send this withdrawal (%(error)s); nothing left "
        "your wallet. Try again."
    ) % {"error": error}
    withdrawal = Withdrawal.objects.filter(pk=withdrawal_id).first()
    if withdrawal is None or withdrawal.status != Withdrawal.Status.PENDING:
        return withdrawal.status if withdrawal else "unknown"
    return fail_withdrawal(withdrawal_id=withdrawal_id, reason=reason).status


def _send(node: Node, chain: Chain, custody: ChainCustody, withdrawal: Withdrawal) -> str:
    hot = custody_account(chain.pk, "hot")
    problem = _refusal(node, chain, custody, withdrawal)
    if problem is None:
        to, data, value = _transfer(chain, withdrawal)
        try:
            tx_hash, raw = signed_transaction(node, hot, to=to, data=data, value=value)
        except NodeError as error:  # the gas estimate says it would revert
            problem = _("The exchange's transfer would fail on your chain: %(error)s") % {
                "error": error
            }
    if problem is not None:
        return fail_withdrawal(withdrawal_id=withdrawal.pk, reason=problem).status
    mark_withdrawal_broadcast(withdrawal_id=withdrawal.pk, chain_id=chain.chain_id, tx_hash=tx_hash)
    try:
        node.call("eth_sendRawTransaction", raw)
    except NodeError as error:
        reason = _("Your chain refused the exchange's transfer: %(error)s") % {"error": error}
        return fail_withdrawal(withdrawal_id=withdrawal.pk, reason=reason).status
    except OSError:
        log.warning("withdrawal %s: sending %s may not have arrived", withdrawal.pk, tx_hash)
    return Withdrawal.Status.BROADCAST


def _transfer(chain: Chain, withdrawal: Withdrawal) -> tuple[str, bytes, int]:
    """(to, data, value) of the transaction that pays the withdrawal."""
    if withdrawal.asset_id == ETH:
        return withdrawal.to_address, b"", to_units(withdrawal.amount, ETH_DECIMALS)
    token = ChainToken.objects.get(chain=chain, asset_code=withdrawal.asset_id)
    units = to_units(withdrawal.amount, token.decimals)
    return token.address, transfer_data(withdrawal.to_address, units), 0


def _refusal(node: Node, chain: Chain, custody: ChainCustody, withdrawal: Withdrawal) -> str | None:
    """Why the hot wallet cannot send this withdrawal, for the student; None if it can."""
    code, amount = withdrawal.asset_id, withdrawal.amount
    exchange = {custody.deposit_address.lower(), custody.hot_address.lower()}
    if withdrawal.to_address.lower() in exchange:
        return _("That is one of the exchange's own addresses; withdraw to one of your accounts.")
    token = ChainToken.objects.filter(chain=chain, asset_code=code).first()
    if code != ETH and token is None:
        return _("There is no %(asset)s token on your chain.") % {"asset": code}
    decimals = ETH_DECIMALS if code == ETH else token.decimals
    if to_units(amount, decimals) is None:
        return _("%(asset)s on your chain has only %(n)s decimals.") % {
            "asset": code,
            "n": decimals,
        }
    calls = [("eth_getBalance", [custody.hot_address, "latest"])]
    if token is not None:
        calls.append(balance_call(token.address, custody.hot_address))
    held = [int(value, 16) for value in node.batch(calls)]
    available = held[-1] if token is not None else held[0]
    if available < to_units(amount, decimals):
        return _(
            "The exchange's hot wallet on your chain holds only %(held)s %(asset)s, less than "
            "the %(amount)s %(asset)s to send. Nothing left your wallet."
        ) % {
            "held": _plain(from_units(available, decimals)),
            "amount": _plain(amount),
            "asset": code,
        }
    return None


def _plain(amount: Decimal) -> str:
    return format(amount.normalize(), "f")


# -- confirming (each watcher pass) --------------------------------------------------------------


def confirm_withdrawals(
    node: Node, chain: Chain, custody: ChainCustody, head: int, needed: int, report: PassReport
) -> None:
    """Settle, fail or keep waiting for each withdrawal the hot wallet broadcast on this chain.
    A receipt is used only once the watcher has read its block (its gas is counted by then)."""
    rows = list(
        Withdrawal.objects.filter(chain_id=chain.chain_id, status=Withdrawal.Status.BROADCAST)
    )
    calls = []
    for row in rows:
        calls += [("eth_getTransactionByHash", [row.tx_hash])]
        calls += [("eth_getTransactionReceipt", [row.tx_hash])]
    answers = node.batch(calls)
    for n, row in enumerate(rows):
        tx, receipt = answers[2 * n], answers[2 * n + 1]
        _confirm(row, tx, receipt, custody, head, needed, report)


def _confirm(row, tx, receipt, custody, head, needed, report) -> None:
    if tx is None:
        reason = _(
            "The exchange's transfer is no longer on your chain (it was reset or reverted to a "
            "snapshot before the transfer was confirmed). Nothing left your wallet."
        )
        fail_withdrawal(withdrawal_id=row.pk, reason=reason)
        report.failed += 1
        return
    if receipt is None or int(receipt["blockNumber"], 16) > custody.scanned_block:
        report.waiting += 1  # not mined yet, or its block not read yet
        return
    block = int(receipt["blockNumber"], 16)
    if int(receipt["status"], 16) != 1:
        reason = _("The exchange's transfer reverted on your chain. Nothing left your wallet.")
        fail_withdrawal(withdrawal_id=row.pk, reason=reason)
        report.failed += 1
    elif head - block + 1 >= needed:
        gas = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
        settle_withdrawal(withdrawal_id=row.pk, block_number=block, gas_cost_wei=gas)
        report.settled += 1
    else:
        report.waiting += 1
