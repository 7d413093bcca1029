"""An instructor's (or a market scenario's) settings of the deposit and withdrawal desk.

Rows are created on first change; until then the selectors give the defaults. Each setter locks
the row it changes, so two instructors saving at once leave one consistent row.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from sandbox.wallet.transfer_input import TransferRefused, exact_amount, plain_amount, rule_for
from sandbox.wallet.transfers_models import MAX_CONFIRMATIONS, AssetTransferRule, TransferSettings

MAX_REASON = 500


def set_withdrawals_halted(*, offering_id: int, halted: bool, reason: str = "") -> TransferSettings:
    """Halt or resume the offering's withdrawals. Requests already made go on (the chain side
    sends what was held); new requests are refused with `reason` while halted."""
    with transaction.atomic(durable=True):
        desk = _locked_settings(offering_id)
        desk.withdrawals_halted = bool(halted)
        desk.halted_reason = str(reason or "").strip()[:MAX_REASON] if halted else ""
        desk.save()
    return desk


def set_confirmations(*, offering_id: int, confirmations: int) -> TransferSettings:
    """How deep a deposit must be buried before it is credited (0 to 64 blocks)."""
    if not 0 <= int(confirmations) <= MAX_CONFIRMATIONS:
        raise TransferRefused(
            "invalid_confirmations",
            _("Confirmations must be between 0 and %(max)s; you asked for %(value)s.")
            % {"max": MAX_CONFIRMATIONS, "value": confirmations},
        )
    with transaction.atomic(durable=True):
        desk = _locked_settings(offering_id)
        desk.confirmations = int(confirmations)
        desk.save()
    return desk


def _locked_settings(offering_id: int) -> TransferSettings:
    desk, _created = TransferSettings.objects.select_for_update().get_or_create(
        offering_id=offering_id
    )
    return desk


def set_asset_rule(
    *,
    offering_id: int,
    asset_code: str,
    withdrawal_fee: Decimal,
    withdrawal_minimum: Decimal,
    deposits_enabled: bool = True,
) -> AssetTransferRule:
    """One asset's fee and minimum in the offering, and whether deposits of it are credited."""
    rule = rule_for(offering_id, asset_code)
    fee, minimum = exact_amount(withdrawal_fee, rule), exact_amount(withdrawal_minimum, rule)
    if fee < 0 or minimum <= 0:
        raise TransferRefused(
            "invalid_rule",
            _(
                "The fee must be 0 or more and the minimum more than 0 %(asset)s; "
                "you gave fee %(fee)s and minimum %(minimum)s."
            )
            % {"asset": asset_code, "fee": plain_amount(fee), "minimum": plain_amount(minimum)},
        )
    with transaction.atomic(durable=True):
        row, _created = AssetTransferRule.objects.update_or_create(
            offering_id=offering_id,
            asset_id=asset_code,
            defaults={
                "withdrawal_fee": fee,
                "withdrawal_minimum": minimum,
                "deposits_enabled": bool(deposits_enabled),
            },
        )
    return row
