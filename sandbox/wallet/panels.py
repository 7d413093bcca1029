"""The wallet's panel on the student's dashboard (courses shows it without importing us): what
they hold of each asset, available and locked, with the way to their wallet, deposits and
withdrawals. One query; it never opens a wallet (the wallet page does that)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from campus.api import User
from courses.api import Offering, Panel
from sandbox.wallet.selectors import wallet_accounts


@dataclass(frozen=True)
class BalanceLine:
    asset: str
    name: str
    available: str
    locked: str


def plain(amount: Decimal) -> str:
    """1,000 or 0.00001: grouped thousands, no trailing zeros, never exponent notation."""
    text = f"{amount:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def wallet_panel(user: User, offering: Offering) -> list[Panel]:
    balances = [
        BalanceLine(a.asset_id, a.asset.name, plain(a.available), plain(a.locked))
        for a in wallet_accounts(offering_id=offering.pk, owner_id=user.pk)
    ]
    context = {"balances": balances}
    return [Panel("wallet", _("Wallet"), "sandbox/wallet/panels/wallet.html", context, 30)]
