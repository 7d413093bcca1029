"""How work is graded in an offering: each attempt with its feedback, the offering's deadlines and
late rules per exercise, extensions for a student, and instructors' overrides.

An attempt's score is the fraction of its checks that passed (0 to 1); points and late penalties
are applied by the gradebook at read time, so a changed late rule or an override never rewrites
history.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from courses.models.content import Exercise
from courses.models.offerings import Offering


class Attempt(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be graded")
        RUNNING = "running", _("Being graded")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Not yet passed")
        ERRORED = "errored", _("Could not be graded")

    FINISHED = (Status.PASSED, Status.FAILED, Status.ERRORED)

    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="attempts")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="attempts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts"
    )
    number = models.PositiveIntegerField(_("attempt number"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    submission = models.JSONField(_("submission"), default=dict)
    score = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
    )
    feedback = models.JSONField(_("feedback"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    runs = models.PositiveIntegerField(_("grading runs"), default=0)
    submitted_at = models.DateTimeField(_("submitted at"))
    graded_at = models.DateTimeField(_("graded at"), null=True, blank=True)

    class Meta:
        ordering = ["offering", "exercise", "user", "-number"]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        constraints = [
            models.UniqueConstraint(
                fields=["offering", "exercise", "user", "number"], name="attempt_number_once"
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=0, score__lte=1),
                name="attempt_score_fraction",
            ),
        ]
        indexes = [models.Index(fields=["offering", "user"], name="attempt_by_student")]

    def __str__(self) -> str:
        return f"{self.exercise.slug} #{self.number} · {self.user} · {self.status}"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED


class Deadline(models.Model):
    """When an exercise opens and is due in one offering, and what lateness costs."""

    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="deadlines")
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="deadlines")
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    hard_deadline_at = models.DateTimeField(
        _("hard deadline"),
        null=True,
        blank=True,
        help_text=_("No submissions after this, unless the student has an extension."),
    )
    late_penalty_percent_per_day = models.DecimalField(
        _("late penalty (% per day)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        constraints = [
            models.UniqueConstraint(fields=["offering", "exercise"], name="deadline_once"),
            models.CheckConstraint(
                condition=models.Q(hard_deadline_at__isnull=True)
                | models.Q(due_at__isnull=True)
                | models.Q(hard_deadline_at__gte=models.F("due_at")),
                name="deadline_hard_after_due",
            ),
            models.CheckConstraint(
                condition=models.Q(late_penalty_percent_per_day__gte=0)
                & models.Q(late_penalty_percent_per_day__lte=100),
                name="deadline_penalty_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exercise.slug} · {self.offering.slug}"


class Extension(models.Model):
    """A student's own later hard deadline for one exercise, granted by an instructor."""

    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="extensions")
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="extensions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="extensions"
    )
    until = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        constraints = [
            models.UniqueConstraint(fields=["offering", "exercise", "user"], name="extension_once"),
        ]

    def __str__(self) -> str:
        return f"{self.exercise.slug} · {self.user} · {self.until:%Y-%m-%d %H:%M}"


class GradeOverride(models.Model):
    """An instructor's mark that replaces what the attempts earned, with the reason kept."""

    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="overrides")
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grade_overrides"
    )
    points = models.DecimalField(
        _("points"), max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    reason = models.CharField(_("reason"), max_length=200)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("grade override")
        verbose_name_plural = _("grade overrides")
        constraints = [
            models.UniqueConstraint(fields=["offering", "exercise", "user"], name="override_once"),
            models.CheckConstraint(condition=models.Q(points__gte=0), name="override_points_min"),
        ]

    def __str__(self) -> str:
        return f"{self.exercise.slug} · {self.user} · {self.points}"
