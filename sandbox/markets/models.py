"""Scenario runs on an offering's markets, their announcements, and the bots' house accounts.

A run keeps its own copy of the script it started with (editing the file later changes nothing
that is running), its seed, and its clock: `elapsed` simulated seconds at wall time `clock_at`,
advancing at `speed` while it runs. `ticks` is the last tick done; a tick is done once.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
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


class RunMarket(models.Model):
    """A run's bots on one of its markets: the last tick they traded and who is trading now.

    Each tick's bot work runs market by market (in parallel on a worker's processes), so each
    market keeps its own lease and progress: a market whose previous tick is still trading skips
    this one, and a tick it has done is never traded again."""

    run = models.ForeignKey(ScenarioRun, on_delete=models.CASCADE, related_name="+")
    symbol = models.CharField(max_length=20)
    ticks = models.PositiveIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "symbol"], name="one_progress_per_run_market")
        ]

    def __str__(self) -> str:
        return f"{self.symbol} of run {self.run_id}: tick {self.ticks}"


class Announcement(models.Model):
    """What a scenario tells the students as it happens ("Withdrawals are halted.")."""

    run = models.ForeignKey(ScenarioRun, on_delete=models.CASCADE, related_name="announcements")
    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    at = models.FloatField(_("at (simulated seconds)"))
    text = models.TextField(_("text"))
    translations = models.JSONField(
        _("translations"), default=dict, blank=True, help_text=_("{language code: text}")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def shown_text(self) -> str:
        """The text in the reader's language when the scenario gave one, in English otherwise."""
        return self.translations.get((get_language() or "en")[:2]) or self.text


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
    peaks_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("The last snapshot its students' running peaks include (None: none yet)."),
    )

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
    the offering's markets in place of a scenario's model. Its points are rows of their own
    (`PricePoint`): a run replaying it keeps only a cursor, and a tick reads one point."""

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=80)
    point_count = models.PositiveIntegerField(_("points"), default=0)
    duration = models.FloatField(_("seconds from the first point to the last"), default=0.0)
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


class PricePoint(models.Model):
    """One point of a price series: `seq` counts from 0, `at` is seconds from the first point.
    Prices are the price models' floats (a reference the bots quote around; their orders are
    rounded to the market's tick as Decimals)."""

    series = models.ForeignKey(PriceSeries, on_delete=models.CASCADE, related_name="point_rows")
    seq = models.PositiveIntegerField()
    at = models.FloatField()
    price = models.FloatField()

    class Meta:
        verbose_name = _("price point")
        verbose_name_plural = _("price points")
        constraints = [
            models.UniqueConstraint(fields=["series", "seq"], name="price_point_once"),
            models.CheckConstraint(condition=Q(price__gt=0), name="price_point_positive"),
        ]
        indexes = [models.Index(fields=["series", "at"], name="price_point_at")]

    def __str__(self) -> str:
        return f"{self.at:g} s: {self.price:g}"


class PortfolioPeak(models.Model):
    """A student's running figures over their snapshots, kept as each is taken so the standings
    read one row per student, however long the history: over the whole offering (no
    competition), or since a competition's start. The largest fall is kept as the peak and the
    trough it fell between (0 and 0 before any fall), so its percentage is computed exactly as
    a pass over every snapshot would."""

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    competition = models.ForeignKey(
        Competition, on_delete=models.CASCADE, null=True, blank=True, related_name="peaks"
    )
    first_value = money_field(_("first value"))
    peak = money_field(_("peak"))
    fall_peak = money_field(_("peak before the largest fall"), default=0)
    fall_trough = money_field(_("trough of the largest fall"), default=0)
    last_taken_at = models.DateTimeField()

    class Meta:
        verbose_name = _("portfolio peak")
        verbose_name_plural = _("portfolio peaks")
        constraints = [
            models.UniqueConstraint(
                fields=["offering", "owner"],
                condition=Q(competition__isnull=True),
                name="one_offering_peak_per_owner",
            ),
            models.UniqueConstraint(
                fields=["competition", "owner"],
                condition=Q(competition__isnull=False),
                name="one_competition_peak_per_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id}: peak {self.peak}"
