"""The transfer pages' forms: a student's withdrawal, and the instructor's desk settings.

The forms only parse. The rules (address format and checksum, minimum, precision, balance, a
halt) are the services' (`sandbox/wallet/transfers.py`), so the page refuses with the same codes
and words as any other caller, and a refusal leaves nothing held. A form error here means only
that a value could not be read as a number or was left empty.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

# Generous enough for any amount a ledger account can hold; the service refuses what is too
# precise for the asset with its own message.
AMOUNT_DIGITS = 40
ADDRESS_LENGTH = 120  # longer than any address, so a pasted mistake reaches the service's message
REASON_LENGTH = 200


def plain(amount: Decimal | None) -> str:
    """1,000 or 0.00001: grouped thousands, no trailing zeros, never exponent notation."""
    if amount is None:
        return ""
    text = f"{amount:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class AmountField(forms.DecimalField):
    """A decimal that may be typed with the thousands separators the pages show."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("max_digits", AMOUNT_DIGITS)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace(",", "").replace(" ", "").replace("_", "")
        return super().to_python(value)


class WithdrawalForm(forms.Form):
    asset = forms.ChoiceField(label=_("Asset"))
    amount = AmountField(
        label=_("Amount"),
        help_text=_("What arrives at the address. The fee is charged on top of it."),
    )
    to_address = forms.CharField(
        label=_("Destination address"),
        max_length=ADDRESS_LENGTH,
        help_text=_(
            "An address on your own chain: 0x and 40 hexadecimal digits. Pick one of your "
            "accounts or paste another."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "off",
                "spellcheck": "false",
                "list": "own-accounts",
                "class": "address-input",
            }
        ),
    )

    def __init__(self, *args, assets: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["asset"].choices = assets


class HaltForm(forms.Form):
    """Halt (with a reason the students read) or resume withdrawals."""

    halted = forms.TypedChoiceField(
        choices=[("1", _("Halt")), ("0", _("Resume"))],
        coerce=lambda value: value == "1",
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        label=_("Reason shown to students"),
        max_length=REASON_LENGTH,
        required=False,
        help_text=_("For example: “Wallet maintenance until 15:00” or “Bank run drill”."),
    )


class ConfirmationsForm(forms.Form):
    confirmations = forms.IntegerField(
        label=_("Confirmations before a deposit is credited"),
        min_value=0,
        max_value=64,
        help_text=_(
            "The block holding the deposit counts as the first; 0 or 1 credits it as soon as it "
            "is mined."
        ),
    )


class AssetRuleForm(forms.Form):
    withdrawal_fee = AmountField(label=_("Withdrawal fee"), min_value=0)
    withdrawal_minimum = AmountField(label=_("Withdrawal minimum"), min_value=0)
    deposits_enabled = forms.BooleanField(label=_("Deposits credited"), required=False)
