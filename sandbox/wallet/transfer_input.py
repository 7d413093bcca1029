"""Validating what a deposit or withdrawal says, with refusals a student can act on.

Every refusal is a `TransferRefused` (a ServiceError) raised before anything is written: its code
is stable for pages and tests, its message names the asset and the amounts as a person would
write them (0.001, not 0.00100000).
"""

from __future__ import annotations

import re
from decimal import Context, Decimal, InvalidOperation

from django.utils.translation import gettext as _
from eth_utils import is_checksum_address

from campus.errors import ServiceError
from sandbox.wallet.models import MONEY_DIGITS, MONEY_PLACES, Asset
from sandbox.wallet.transfers_selectors import TransferRule, transfer_rule

ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
TX_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")
ZERO_ADDRESS = "0x" + "0" * 40
EXACT = Context(prec=80)  # normalising must not round away a digit the student typed


class TransferRefused(ServiceError):
    """A deposit or withdrawal request refused: `code` is stable, `message` is for the student."""


def plain_amount(amount: Decimal) -> str:
    """1.50000000 → "1.5", 10 → "10": the ledger's scale is not what a person writes."""
    return format(Decimal(amount).normalize(EXACT), "f")


def rule_for(offering_id: int, asset_code: str) -> TransferRule:
    """The asset's rule, refusing assets that cannot move to or from a chain."""
    try:
        rule = transfer_rule(offering_id, asset_code)
    except Asset.DoesNotExist:
        raise TransferRefused(
            "unknown_asset", _("There is no asset %(asset)s.") % {"asset": asset_code}
        ) from None
    if not rule.withdrawable:
        raise TransferRefused(
            "asset_not_withdrawable",
            _(
                "%(asset)s cannot move to or from a chain: it has no token there "
                "(fiat money and course tokens stay on the exchange)."
            )
            % {"asset": asset_code},
        )
    return rule


def checked_address(address: str) -> str:
    """A usable EVM address, or a refusal saying what is wrong with it. Mixed case is an EIP-55
    checksum and must be right (it catches typos); all lower or all upper case carries none."""
    text = str(address or "").strip()
    if not ADDRESS.match(text):
        raise TransferRefused(
            "invalid_address",
            _("“%(address)s” is not an address: it must be 0x followed by 40 hexadecimal digits.")
            % {"address": text[:60]},
        )
    digits = text[2:]
    mixed = digits != digits.lower() and digits != digits.upper()
    if mixed and not is_checksum_address(text):
        raise TransferRefused(
            "invalid_address",
            _(
                "%(address)s has a wrong checksum (the mix of upper and lower case letters): "
                "copy the address again, or write it all in lower case."
            )
            % {"address": text},
        )
    if text.lower() == ZERO_ADDRESS:
        raise TransferRefused(
            "invalid_address",
            _("The zero address burns whatever is sent to it; choose one of your accounts."),
        )
    return text


def checked_amount(amount: Decimal | str, rule: TransferRule) -> Decimal:
    """A Decimal amount at the asset's precision, at least the rule's minimum."""
    value = exact_amount(amount, rule)
    if value < rule.withdrawal_minimum:
        raise TransferRefused(
            "below_minimum",
            _("The minimum withdrawal of %(asset)s is %(minimum)s; you asked for %(amount)s.")
            % {
                "asset": rule.asset_code,
                "minimum": plain_amount(rule.withdrawal_minimum),
                "amount": plain_amount(value),
            },
        )
    return value


def exact_amount(amount: Decimal | str, rule: TransferRule) -> Decimal:
    """A finite Decimal that the ledger can hold, with no more places than the asset has."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        value = Decimal("NaN")
    if not value.is_finite() or value.adjusted() >= MONEY_DIGITS - MONEY_PLACES:
        raise TransferRefused(
            "invalid_amount",
            _("“%(amount)s” is not an amount of %(asset)s.")
            % {"amount": str(amount)[:40], "asset": rule.asset_code},
        )
    if -value.normalize(EXACT).as_tuple().exponent > rule.precision:
        raise TransferRefused(
            "too_precise",
            _("%(asset)s amounts have at most %(places)s decimal places; you asked for %(amount)s.")
            % {"asset": rule.asset_code, "places": rule.precision, "amount": plain_amount(value)},
        )
    return value


def checked_tx_hash(tx_hash: str) -> str:
    """A transaction hash in the one spelling the unique key compares: lower case."""
    text = str(tx_hash or "").strip()
    if not TX_HASH.match(text):
        raise TransferRefused(
            "invalid_tx_hash",
            _("“%(hash)s” is not a transaction hash (0x and 64 hexadecimal digits).")
            % {"hash": text[:80]},
        )
    return text.lower()
