"""Scenario runs on an offering's markets, their announcements, and the bots' house accounts.

A run keeps its own copy of the script it started with (editing the file later changes nothing
that is running), its seed, and its clock: `elapsed` simulated seconds at wall time `clock_at`,
advancing at `speed` while it runs. `ticks` is the last tick done; a tick is done once.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sandbox.wallet.api import money_field

ACTIVE_STATUSES = ("running", "paused")


class ScenarioRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        FINISHED = "finished", _("Finished")
        STOPPED = "stopped", _("Stopped")

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    scenario = models.CharField(_("scenario"), max_length=80)
    title = models.CharField(_("title"), max_length=200)
    script = models.TextField(help_text=_("The scenario's YAML as it was when the run started."))
    seed = models.BigIntegerField(_("seed"))
    speed = models.FloatField(_("speed"), default=1.0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    elapsed = models.FloatField(_("simulated seconds"), default=0.0)
    clock_at = models.DateTimeField(default=timezone.now)
    ticks = models.PositiveIntegerField(default=0)
    events_done = models.PositiveIntegerField(default=0)
    state = models.JSONField(default=dict)
    withdrawals_halted = models.BooleanField(default=False)
    lease_until = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("scenario run")
        verbose_name_plural = _("scenario runs")
        constraints = [
            models.UniqueConstraint(
                fields=["offering"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="one_active_scenario_per_offering",
            ),
            models.CheckConstraint(condition=Q(speed__gt=0, speed__lte=100), name="run_speed"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    def elapsed_at(self, moment) -> float:
        """Simulated seconds at wall time `moment` (the clock stands still unless running)."""
        if self.status != self.Status.RUNNING:
            return self.elapsed
        return self.elapsed + max((moment - self.clock_at).total_seconds(), 0.0) * self.speed


class Announcement(models.Model):
    """What a scenario tells the students as it happens ("Withdrawals are halted.")."""

    run = models.ForeignKey(ScenarioRun, on_delete=models.CASCADE, related_name="announcements")
    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    at = models.FloatField(_("at (simulated seconds)"))
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")

    def __str__(self) -> str:
        return self.text[:60]


class HouseBot(models.Model):
    """The house account a scenario's bot trades from: one user per (offering, bot slot), funded
    from the offering's issuance like any grant, so the ledger check covers it."""

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    slot = models.PositiveIntegerField()
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="house_bot"
    )

    class Meta:
        verbose_name = _("house bot")
        verbose_name_plural = _("house bots")
        constraints = [
            models.UniqueConstraint(fields=["offering", "slot"], name="one_house_bot_per_slot")
        ]

    def __str__(self) -> str:
        return f"house bot {self.slot} of {self.offering_id}"


class PortfolioSnapshot(models.Model):
    """A student's portfolio value (in the quote currency, KRW) at a moment: the leaderboard's
    drawdowns and competitions' starting values are read from these."""

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    taken_at = models.DateTimeField(db_index=True)
    value = money_field(_("value"))

    class Meta:
        ordering = ["taken_at", "pk"]
        verbose_name = _("portfolio snapshot")
        verbose_name_plural = _("portfolio snapshots")
        indexes = [models.Index(fields=["offering", "owner", "taken_at"])]

    def __str__(self) -> str:
        return f"{self.owner_id}: {self.value} at {self.taken_at:%Y-%m-%d %H:%M}"


class Competition(models.Model):
    """A trading competition in an offering: standings count from `starts_at` and are frozen at
    `ends_at`; after that the frozen table is what everyone sees."""

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    frozen_at = models.DateTimeField(null=True, blank=True)
    standings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("competition")
        verbose_name_plural = _("competitions")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="competition_window"
            )
        ]

    def __str__(self) -> str:
        return self.title


class PriceSeries(models.Model):
    """A recorded price path an instructor uploaded (CSV: timestamp, price), replayed on one of
    the offering's markets in place of a scenario's model."""

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=80)
    points = models.JSONField(help_text=_("[[seconds from the first row, price], ...]"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("price series")
        verbose_name_plural = _("price series")
        constraints = [
            models.UniqueConstraint(fields=["offering", "name"], name="price_series_name_once")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def duration(self) -> float:
        return self.points[-1][0] if self.points else 0.0
