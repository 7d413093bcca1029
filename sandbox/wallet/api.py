"""What other apps may use of the wallet (OEP-49 style boundary)."""

from sandbox.wallet.ledger import AVAILABLE, LOCKED, InsufficientBalance, LedgerBatch, Leg
from sandbox.wallet.models import Account, Asset, Journal, Posting, Wallet, money_field
from sandbox.wallet.resets import reset_wallet
from sandbox.wallet.services import (
    open_funded_wallet,
    open_wallet,
    starting_grant,
    system_account,
    user_accounts,
)

__all__ = [
    "AVAILABLE",
    "LOCKED",
    "Account",
    "Asset",
    "InsufficientBalance",
    "Journal",
    "LedgerBatch",
    "Leg",
    "Posting",
    "Wallet",
    "money_field",
    "open_funded_wallet",
    "open_wallet",
    "reset_wallet",
    "starting_grant",
    "system_account",
    "user_accounts",
]
