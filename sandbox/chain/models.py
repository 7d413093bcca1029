"""Students' chains as the database knows them: which exist, where each runs, how to reach it.

The chain host (`host.py`) owns the Anvil processes and writes their status here; the web's RPC
proxy reads it. A chain's state lives in files on its host's disk, so a chain stays on the host
that first ran it. Nothing here is lost when either process restarts.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

CHAIN_ID_BASE = 880_000_000  # far from public networks' ids and from the tools' defaults


class ChainHost(models.Model):
    """A process that runs chains (`manage.py chainhost`), found by the web at `control_url`."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    control_url = models.URLField(_("control URL"))
    capacity = models.PositiveIntegerField(_("most chains running at once"))
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)

    class Meta:
        verbose_name = _("chain host")
        verbose_name_plural = _("chain hosts")

    def __str__(self) -> str:
        return self.name


class ChainPolicy(models.Model):
    """What an offering's instructors allow on their students' chains."""

    offering = models.OneToOneField(
        "courses.Offering", on_delete=models.CASCADE, related_name="chain_policy"
    )
    allow_cheats = models.BooleanField(
        _("allow cheat methods"),
        default=False,
        help_text=_(
            "anvil_*, hardhat_*, evm_* methods such as setting balances or the next block's "
            "time. Refuse them while graded exercises are open."
        ),
    )

    class Meta:
        verbose_name = _("chain policy")
        verbose_name_plural = _("chain policies")

    def __str__(self) -> str:
        return f"chain policy of {self.offering_id}"


class Chain(models.Model):
    class Status(models.TextChoices):
        STOPPED = "stopped", _("Stopped")
        STARTING = "starting", _("Starting")
        RUNNING = "running", _("Running")
        FAILED = "failed", _("Failed")

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sandbox_chains"
    )
    forked_from = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="forks",
        help_text=_("Set on an instructor's throwaway fork of a student's chain."),
    )
    chain_id = models.PositiveBigIntegerField(_("chain id"), unique=True, null=True)
    token_digest = models.CharField(max_length=64, unique=True)
    encrypted_token = models.TextField()
    host = models.ForeignKey(ChainHost, on_delete=models.PROTECT, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.STOPPED)
    port = models.PositiveIntegerField(null=True, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    restarts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("chain")
        verbose_name_plural = _("chains")
        constraints = [
            models.UniqueConstraint(
                fields=["offering", "owner"],
                condition=Q(forked_from__isnull=True),
                name="one_chain_per_student_and_offering",
            ),
            models.UniqueConstraint(
                fields=["host", "port"],
                condition=Q(port__isnull=False),
                name="one_chain_per_host_port",
            ),
        ]

    def __str__(self) -> str:
        return f"chain {self.chain_id} ({self.owner_id} in {self.offering_id})"

    @property
    def is_fork(self) -> bool:
        return self.forked_from_id is not None


class Snapshot(models.Model):
    """A saved state of a chain the student can return to; kept in a file on the chain's host."""

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="snapshots")
    label = models.CharField(_("label"), max_length=80, blank=True)
    file_name = models.CharField(max_length=120)
    block_number = models.PositiveBigIntegerField(_("block"))
    created_at = models.DateTimeField(_("taken at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")

    def __str__(self) -> str:
        return self.label or f"snapshot at block {self.block_number}"


class ContractArtifact(models.Model):
    """A contract compiled on the platform (studio, graders): its ABI decodes calls and logs in
    the explorer, its bytecode deploys it."""

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contract_artifacts"
    )
    name = models.CharField(_("contract"), max_length=120)
    source_name = models.CharField(_("source file"), max_length=200)
    sources = models.JSONField(help_text=_("{file name: Solidity source} as compiled."))
    abi = models.JSONField()
    bytecode = models.TextField()
    deployed_bytecode = models.TextField()
    compiler_version = models.CharField(max_length=80)
    evm_version = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("compiled contract")
        verbose_name_plural = _("compiled contracts")

    def __str__(self) -> str:
        return f"{self.name} ({self.source_name})"


class Deployment(models.Model):
    """A contract the platform deployed (or saw deployed) on a chain, with what it was built from."""

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="deployments")
    artifact = models.ForeignKey(
        ContractArtifact, on_delete=models.CASCADE, related_name="deployments"
    )
    address = models.CharField(_("address"), max_length=42)
    tx_hash = models.CharField(_("transaction"), max_length=66)
    block_number = models.PositiveBigIntegerField(_("block"))
    deployer = models.CharField(_("deployed from"), max_length=42)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")
        constraints = [
            models.UniqueConstraint(fields=["chain", "address"], name="one_deployment_per_address")
        ]

    def __str__(self) -> str:
        return f"{self.artifact.name} at {self.address}"


class LevelInstance(models.Model):
    """A student's own instance of an on-chain exercise's level contract, on their chain.

    One per (chain, exercise): opening the exercise deploys it once. A reset, or a revert to a
    snapshot taken before it existed, removes its code from the chain; `code_hash` tells the
    level apart from whatever else may later sit at the same address, and the level is deployed
    again the next time it is needed."""

    class Status(models.TextChoices):
        DEPLOYED = "deployed", _("Deployed")
        GONE = "gone", _("Gone from the chain")

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    exercise = models.ForeignKey("courses.Exercise", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="level_instances"
    )
    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="level_instances")
    address = models.CharField(_("address"), max_length=42)
    code_hash = models.CharField(max_length=66, help_text=_("keccak256 of the deployed code."))
    tx_hash = models.CharField(_("transaction"), max_length=66)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DEPLOYED)
    deployed_at = models.DateTimeField(_("deployed at"))

    class Meta:
        verbose_name = _("level instance")
        verbose_name_plural = _("level instances")
        constraints = [
            models.UniqueConstraint(fields=["chain", "exercise"], name="one_level_per_chain")
        ]

    def __str__(self) -> str:
        return f"level of exercise {self.exercise_id} at {self.address}"


class ChainCustody(models.Model):
    """The exchange's side of one student's chain (issue 7): its two addresses there, whether
    its tokens are deployed, and how far the deposit watcher has read the chain.

    Both addresses' keys are derived from the server's secret (`custody.py`), never from the
    student's mnemonic, so the student cannot move the exchange's funds. The watcher keeps a few
    recent `checkpoints` (block, hash, gas spent by then) so that after a snapshot revert or a
    grading's undo it rewinds to the newest block still on the chain instead of rereading it all.
    `holdings` is what the exchange's addresses held net of its own floats at `holdings_block`,
    as the last watcher pass read it: a stopped chain cannot change, so it stays right."""

    chain = models.OneToOneField(Chain, on_delete=models.CASCADE, related_name="custody")
    deposit_address = models.CharField(_("deposit address"), max_length=42)
    hot_address = models.CharField(_("hot wallet"), max_length=42)
    provisioned = models.BooleanField(_("provisioned"), default=False)
    provision_error = models.TextField(_("provisioning error"), blank=True)
    provisioned_at = models.DateTimeField(_("provisioned at"), null=True, blank=True)
    node_started_at = models.DateTimeField(
        null=True, blank=True, help_text=_("The node's start when its contracts were checked.")
    )
    float_wei = models.DecimalField(
        _("ether float (wei)"),
        max_digits=40,
        decimal_places=0,
        default=0,
        help_text=_("Ether the platform gave the exchange's addresses on this chain."),
    )
    gas_spent_wei = models.DecimalField(
        _("gas spent (wei)"),
        max_digits=40,
        decimal_places=0,
        default=0,
        help_text=_("Ether the exchange's addresses spent on gas, up to the scanned block."),
    )
    scanned_block = models.BigIntegerField(_("scanned up to block"), default=-1)
    scanned_block_hash = models.CharField(max_length=66, blank=True)
    checkpoints = models.JSONField(default=list, blank=True)
    recheck_from = models.BigIntegerField(
        null=True,
        blank=True,
        help_text=_("Transfers recorded above this block must be found on the chain again."),
    )
    holdings = models.JSONField(default=dict, blank=True)
    holdings_block = models.BigIntegerField(null=True, blank=True)
    refused = models.JSONField(
        default=list, blank=True, help_text=_("Transfers seen but refused by the wallet.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("chain custody")
        verbose_name_plural = _("chain custodies")

    def __str__(self) -> str:
        return f"custody of chain {self.chain_id}"


class ChainToken(models.Model):
    """One of the exchange's assets as an ERC-20 (`contracts/CampusAsset.sol`) on a chain."""

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="tokens")
    asset_code = models.CharField(_("asset"), max_length=12)
    address = models.CharField(_("address"), max_length=42)
    decimals = models.PositiveSmallIntegerField(_("decimals"))
    code_hash = models.CharField(max_length=66, help_text=_("keccak256 of the deployed code."))
    float_units = models.DecimalField(
        _("float (base units)"),
        max_digits=60,
        decimal_places=0,
        default=0,
        help_text=_("What the hot wallet was minted to pay withdrawals from."),
    )

    class Meta:
        verbose_name = _("chain token")
        verbose_name_plural = _("chain tokens")
        constraints = [
            models.UniqueConstraint(fields=["chain", "asset_code"], name="one_token_per_asset")
        ]

    def __str__(self) -> str:
        return f"{self.asset_code} at {self.address}"
