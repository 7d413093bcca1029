"""Putting a student's wallet back to the offering's starting grant (instructors' cohort reset).

The reset is one balanced journal per asset against the issuance account, in one transaction
with the accounts locked, so the ledger still sums to zero and every movement is explained. Funds
held by open orders cannot be reset from here: the exchange cancels those orders first (their
holds released), and a wallet that still has a hold is refused, not half reset.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from campus.errors import ServiceError
from sandbox.wallet.models import Account, Journal, Wallet
from sandbox.wallet.services import credit_from_issuance, starting_grant


def reset_wallet(*, offering_id: int, owner_id: int) -> bool:
    """Make every balance of the owner's wallet what the starting grant gives (zero for assets it
    does not give). Returns False if they had no wallet (nothing to reset)."""
    if not Wallet.objects.filter(offering_id=offering_id, owner_id=owner_id).exists():
        return False
    grant = starting_grant(offering_id)
    with transaction.atomic(durable=True):
        held = list(
            Account.objects.select_for_update()
            .filter(offering_id=offering_id, owner_id=owner_id, kind=Account.Kind.USER)
            .order_by("pk")
        )
        if any(account.locked for account in held):
            raise ServiceError(
                "funds_on_hold",
                _("This wallet still has funds on hold for open orders; cancel them first."),
            )
        now = {account.asset_id: account.available for account in held}
        changes = {
            code: grant.get(code, 0) - now.get(code, 0) for code in sorted(set(now) | set(grant))
        }
        credit_from_issuance(  # a negative change goes back to issuance
            offering_id=offering_id,
            owner_id=owner_id,
            amounts=changes,
            kind=Journal.Kind.RESET,
            reference=f"reset:{owner_id}",
            memo="back to the starting grant",
        )
    return True
