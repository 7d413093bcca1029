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
from sandbox.wallet.ledger import AVAILABLE, LedgerBatch, Leg
from sandbox.wallet.models import Account, Journal, Wallet
from sandbox.wallet.services import starting_grant, system_account, user_accounts


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
        codes = sorted({a.asset_id for a in held} | set(grant))
        accounts = user_accounts(offering_id=offering_id, owner_id=owner_id, asset_codes=codes)
        batch = LedgerBatch(offering_id)
        for code in codes:
            change = grant.get(code, 0) - accounts[code].available
            issuance = system_account(
                offering_id=offering_id, asset_code=code, kind=Account.Kind.ISSUANCE
            )
            batch.add(
                Journal.Kind.RESET,
                [Leg(accounts[code], AVAILABLE, change), Leg(issuance, AVAILABLE, -change)],
                reference=f"reset:{owner_id}",
                memo="back to the starting grant",
            )
        batch.commit()
    return True
