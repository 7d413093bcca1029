"""Deposits and withdrawals between a student's chain and their exchange wallet (issue 7).

The wallet records what the chain side saw and asked for, and posts the ledger movements; it
never imports the chain app, so a chain is named by its EVM chain id only. A deposit is keyed by
(chain id, tx hash, log index): the database makes that key unique, which is what lets a watcher
that runs twice or restarts credit each transfer exactly once.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# models.py imports this module at its end, after money_field is defined
from sandbox.wallet.models import money_field

TX_HASH_PATTERN = r"^0x[0-9a-f]{64}$"
ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"
MAX_CONFIRMATIONS = 64


class TransferSettings(models.Model):
    """An offering's deposit and withdrawal desk; created on demand with the defaults."""

    offering = models.OneToOneField("courses.Offering", on_delete=models.CASCADE, related_name="+")
    confirmations = models.PositiveSmallIntegerField(
        _("confirmations"),
        default=2,
        validators=[MaxValueValidator(MAX_CONFIRMATIONS)],
        help_text=_("Blocks a deposit must be buried under before it is credited."),
    )
    withdrawals_halted = models.BooleanField(_("withdrawals halted"), default=False)
    halted_reason = models.TextField(_("reason for the halt"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("transfer settings")
        verbose_name_plural = _("transfer settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(confirmations__lte=MAX_CONFIRMATIONS),
                name="transfer_confirmations_at_most_64",
            )
        ]

    def __str__(self) -> str:
        return f"{self.offering_id} · {self.confirmations} confirmations"


class AssetTransferRule(models.Model):
    """An instructor's fee and minimum for one asset; without a row the defaults apply."""

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey("wallet.Asset", on_delete=models.PROTECT, related_name="+")
    withdrawal_fee = money_field(_("withdrawal fee"))
    withdrawal_minimum = money_field(_("withdrawal minimum"))
    deposits_enabled = models.BooleanField(_("deposits enabled"), default=True)

    class Meta:
        verbose_name = _("asset transfer rule")
        verbose_name_plural = _("asset transfer rules")
        constraints = [
            models.UniqueConstraint(fields=["offering", "asset"], name="transfer_rule_per_asset"),
            models.CheckConstraint(
                condition=Q(withdrawal_fee__gte=0, withdrawal_minimum__gt=0),
                name="transfer_rule_amounts_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id}: fee {self.withdrawal_fee}, min {self.withdrawal_minimum}"


class Deposit(models.Model):
    """One transfer the chain side saw arriving at a student's deposit address."""

    class Status(models.TextChoices):
        SEEN = "seen", _("Waiting for confirmations")
        CREDITED = "credited", _("Credited")
        REVERTED = "reverted", _("Reverted (never credited)")
        FLAGGED = "flagged", _("Flagged: credited, then gone from the chain")

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sandbox_deposits"
    )
    asset = models.ForeignKey("wallet.Asset", on_delete=models.PROTECT, related_name="+")
    chain_id = models.BigIntegerField(_("chain id"))
    tx_hash = models.CharField(_("transaction hash"), max_length=66)
    log_index = models.IntegerField(_("log index"), help_text=_("-1 for a native ETH transfer."))
    block_number = models.BigIntegerField(_("block number"))
    block_hash = models.CharField(_("block hash"), max_length=66)
    from_address = models.CharField(_("from"), max_length=42)
    to_address = models.CharField(_("to"), max_length=42)
    amount = money_field(_("amount"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SEEN
    )
    confirmations = models.PositiveIntegerField(_("confirmations"), default=0)
    seen_at = models.DateTimeField(_("seen at"), auto_now_add=True)
    credited_at = models.DateTimeField(_("credited at"), null=True, blank=True)
    reverted_at = models.DateTimeField(_("reverted at"), null=True, blank=True)
    journal = models.ForeignKey(
        "wallet.Journal", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("deposit")
        verbose_name_plural = _("deposits")
        ordering = ["-seen_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["chain_id", "tx_hash", "log_index"], name="deposit_once_per_transfer"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="deposit_amount_positive"),
            models.CheckConstraint(condition=Q(log_index__gte=-1), name="deposit_log_index"),
            models.CheckConstraint(
                condition=Q(tx_hash__regex=TX_HASH_PATTERN), name="deposit_tx_hash_format"
            ),
            models.CheckConstraint(
                condition=Q(journal__isnull=True) | Q(status__in=["credited", "flagged"]),
                name="deposit_journal_only_when_credited",
            ),
        ]
        indexes = [
            models.Index(fields=["offering", "owner", "-seen_at"], name="deposit_owner_recent"),
            models.Index(fields=["offering", "status"], name="deposit_offering_status"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.asset_id} {self.tx_hash[:10]}… ({self.status})"


class Withdrawal(models.Model):
    """A student's request to send funds from their exchange wallet to an address on their chain."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        BROADCAST = "broadcast", _("Broadcast")
        CONFIRMED = "confirmed", _("Confirmed")
        FAILED = "failed", _("Failed")

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sandbox_withdrawals"
    )
    asset = models.ForeignKey("wallet.Asset", on_delete=models.PROTECT, related_name="+")
    amount = money_field(_("amount"))
    fee = money_field(_("fee"))
    to_address = models.CharField(_("to"), max_length=42)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    chain_id = models.BigIntegerField(_("chain id"), null=True, blank=True)
    tx_hash = models.CharField(_("transaction hash"), max_length=66, blank=True)
    block_number = models.BigIntegerField(_("block number"), null=True, blank=True)
    gas_cost_wei = models.DecimalField(
        _("gas cost (wei)"), max_digits=40, decimal_places=0, default=0
    )
    failure = models.TextField(_("why it failed"), blank=True)
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    broadcast_at = models.DateTimeField(_("broadcast at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("withdrawal")
        verbose_name_plural = _("withdrawals")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0, fee__gte=0, gas_cost_wei__gte=0),
                name="withdrawal_amounts_valid",
            ),
            models.UniqueConstraint(
                fields=["chain_id", "tx_hash"],
                condition=~Q(tx_hash=""),
                name="withdrawal_one_per_tx",
            ),
        ]
        indexes = [
            models.Index(
                fields=["offering", "owner", "-requested_at"], name="withdrawal_owner_recent"
            ),
            models.Index(fields=["status"], name="withdrawal_status"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.asset_id} → {self.to_address} ({self.status})"

    @property
    def total(self):
        """What leaves the student's wallet: the amount sent plus the exchange's fee."""
        return self.amount + self.fee
