"""Assets, accounts and the double-entry ledger of a sandbox exchange.

Balances are `Decimal`s at a fixed scale (`MONEY_PLACES`), each asset further limited to its own
precision; no float ever touches them. `Account.available` and `Account.locked` are caches of the
postings behind them: `ledger.py` is the only code that moves them, always together with the
postings that explain the move, and `ledger_check` proves the two agree.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MONEY_DIGITS = 30
MONEY_PLACES = 8
ZERO = Decimal(0)


def money_field(verbose_name: str, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, **kwargs
    )


class Asset(models.Model):
    class Kind(models.TextChoices):
        FIAT = "fiat", _("Fiat currency")
        CRYPTO = "crypto", _("Crypto asset")
        STABLECOIN = "stablecoin", _("Stablecoin")
        COURSE_TOKEN = "course_token", _("Course token")

    code = models.CharField(_("code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    precision = models.PositiveSmallIntegerField(
        _("precision"), help_text=_("Decimal places an amount of this asset may have.")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        constraints = [
            models.CheckConstraint(
                condition=Q(precision__lte=MONEY_PLACES), name="asset_precision_fits_ledger"
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Z0-9]{2,12}$"), name="asset_code_upper"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def quantum(self) -> Decimal:
        """The smallest amount of this asset: 0.01 for precision 2."""
        return Decimal(1).scaleb(-self.precision)


class Account(models.Model):
    """What one holder has of one asset in one offering's sandbox.

    A user's account belongs to a student, instructor or bot. Three system accounts per asset and
    offering balance the books: ISSUANCE, the source of every simulated grant (its balance is the
    negative of everything ever granted, so it may go below zero), FEES, where trading and
    withdrawal fees collect, and CUSTODY, the other side of every deposit and withdrawal (minus
    what students brought in net from their chains, so it too may go below zero).
    """

    class Kind(models.TextChoices):
        USER = "user", _("User")
        ISSUANCE = "issuance", _("Issuance")
        FEES = "fees", _("Fees")
        CUSTODY = "custody", _("Custody")

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="accounts")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.USER)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sandbox_accounts",
    )
    available = money_field(_("available"), default=ZERO)
    locked = money_field(_("locked"), default=ZERO)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["issuance", "custody"]) | Q(available__gte=0, locked__gte=0),
                name="account_never_negative",
            ),
            models.CheckConstraint(
                condition=Q(kind="user", owner__isnull=False)
                | Q(~Q(kind="user"), owner__isnull=True),
                name="account_owner_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["offering", "asset", "owner"],
                condition=Q(owner__isnull=False),
                name="account_one_per_owner_asset",
            ),
            models.UniqueConstraint(
                fields=["offering", "asset", "kind"],
                condition=Q(owner__isnull=True),
                name="account_one_system_account_per_asset",
            ),
        ]

    def __str__(self) -> str:
        holder = self.owner.username if self.owner_id else self.get_kind_display()
        return f"{holder} · {self.asset_id} · {self.available}+{self.locked}"

    @property
    def total(self) -> Decimal:
        return self.available + self.locked


class Journal(models.Model):
    """One balanced movement: the postings of a journal sum to zero per asset."""

    class Kind(models.TextChoices):
        GRANT = "grant", _("Starting grant")
        HOLD = "hold", _("Order hold")
        RELEASE = "release", _("Hold released")
        TRADE = "trade", _("Trade")
        RESET = "reset", _("Wallet reset")
        ADJUSTMENT = "adjustment", _("Adjustment")
        DEPOSIT = "deposit", _("Deposit")
        WITHDRAWAL = "withdrawal", _("Withdrawal")

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("journal")
        verbose_name_plural = _("journals")
        indexes = [models.Index(fields=["kind", "reference"], name="journal_kind_reference")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}".strip()


class Posting(models.Model):
    """A signed change to one bucket (available or locked) of one account."""

    class Bucket(models.TextChoices):
        AVAILABLE = "available", _("available")
        LOCKED = "locked", _("locked")

    # journal: wallet_posting_journal_asset leads with it; asset: no query looks postings up by asset
    # alone (the ledger check reads them all), and each index costs every posting written
    journal = models.ForeignKey(
        Journal, on_delete=models.PROTECT, related_name="postings", db_index=False
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+", db_index=False)
    bucket = models.CharField(max_length=9, choices=Bucket.choices)
    amount = money_field(_("amount"))

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="posting_not_zero"),
        ]
        # the balance trigger (migration 0002) sums a journal's postings per asset
        indexes = [
            models.Index(fields=["journal", "asset"], name="wallet_posting_journal_asset"),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+} {self.asset_id} {self.bucket}"


class StartingGrant(models.Model):
    """What each student's wallet in an offering starts with; the instructor sets it."""

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    amount = money_field(_("amount"))

    class Meta:
        verbose_name = _("starting grant")
        verbose_name_plural = _("starting grants")
        constraints = [
            models.UniqueConstraint(fields=["offering", "asset"], name="grant_once_per_asset"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="grant_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.asset_id}"


class Wallet(models.Model):
    """A holder's sandbox wallet in one offering: opened once, funded with the starting grant."""

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sandbox_wallets"
    )
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("wallet")
        verbose_name_plural = _("wallets")
        constraints = [
            models.UniqueConstraint(fields=["offering", "owner"], name="wallet_once_per_offering")
        ]

    def __str__(self) -> str:
        return f"{self.owner} · {self.offering_id}"


# Deposits, withdrawals and their settings (issue 7) live in their own module.
from sandbox.wallet.transfers_models import (  # noqa: E402
    AssetTransferRule,
    Deposit,
    TransferSettings,
    Withdrawal,
)

__all__ = [
    "MONEY_DIGITS",
    "MONEY_PLACES",
    "ZERO",
    "Account",
    "Asset",
    "AssetTransferRule",
    "Deposit",
    "Journal",
    "Posting",
    "StartingGrant",
    "TransferSettings",
    "Wallet",
    "Withdrawal",
    "money_field",
]
