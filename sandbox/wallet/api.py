"""What other apps may use of the wallet (OEP-49 style boundary).

Deposits and withdrawals (issue 7): the chain side calls the transfer services, the pages call
them and the selectors; `transfer_group(owner_id)` is the Channels group their changes reach.
"""

from sandbox.wallet.ledger import AVAILABLE, LOCKED, InsufficientBalance, LedgerBatch, Leg
from sandbox.wallet.models import (
    Account,
    Asset,
    AssetTransferRule,
    Deposit,
    Journal,
    Posting,
    TransferSettings,
    Wallet,
    Withdrawal,
    money_field,
)
from sandbox.wallet.reserves import ReserveLine, reserve_lines
from sandbox.wallet.resets import reset_wallet
from sandbox.wallet.services import (
    accounts_for_trading,
    open_funded_wallet,
    open_wallet,
    send_accounts_for_trading,
    starting_grant,
    system_account,
    user_accounts,
)
from sandbox.wallet.transfer_settings import (
    set_asset_rule,
    set_confirmations,
    set_withdrawals_halted,
)
from sandbox.wallet.transfers import (
    TransferRefused,
    credit_deposit,
    fail_withdrawal,
    mark_withdrawal_broadcast,
    record_deposit,
    request_withdrawal,
    revert_deposit,
    settle_withdrawal,
)
from sandbox.wallet.transfers_live import TRANSFER_EVENT, transfer_event, transfer_group
from sandbox.wallet.transfers_selectors import (
    TransferRule,
    deposits_of,
    flagged_deposits,
    net_transfers_in,
    transfer_rule,
    transfer_rules,
    transfer_settings,
    withdrawal_holds,
    withdrawals_of,
)

__all__ = [
    "AVAILABLE",
    "LOCKED",
    "TRANSFER_EVENT",
    "Account",
    "Asset",
    "AssetTransferRule",
    "Deposit",
    "InsufficientBalance",
    "Journal",
    "LedgerBatch",
    "Leg",
    "Posting",
    "ReserveLine",
    "TransferRefused",
    "TransferRule",
    "TransferSettings",
    "Wallet",
    "Withdrawal",
    "accounts_for_trading",
    "credit_deposit",
    "deposits_of",
    "fail_withdrawal",
    "flagged_deposits",
    "mark_withdrawal_broadcast",
    "money_field",
    "net_transfers_in",
    "open_funded_wallet",
    "open_wallet",
    "record_deposit",
    "request_withdrawal",
    "reserve_lines",
    "reset_wallet",
    "revert_deposit",
    "send_accounts_for_trading",
    "set_asset_rule",
    "set_confirmations",
    "set_withdrawals_halted",
    "settle_withdrawal",
    "starting_grant",
    "system_account",
    "transfer_event",
    "transfer_group",
    "transfer_rule",
    "transfer_rules",
    "transfer_settings",
    "user_accounts",
    "withdrawal_holds",
    "withdrawals_of",
]
