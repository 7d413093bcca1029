"""Grades going back to the LMS: the line item each graded exercise has in a linked course, and
the state of each score sent (or still to send) to it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campus.lti.models.launches import ContextLink


class LineItemLink(models.Model):
    """The platform's line item (gradebook column) for one exercise in one linked course."""

    context = models.ForeignKey(ContextLink, on_delete=models.CASCADE, related_name="line_items")
    exercise = models.ForeignKey("courses.Exercise", on_delete=models.CASCADE, related_name="+")
    lineitem_url = models.URLField(_("line item URL"), max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("LTI line item")
        verbose_name_plural = _("LTI line items")
        constraints = [
            models.UniqueConstraint(fields=["context", "exercise"], name="lti_lineitem_once"),
        ]

    def __str__(self) -> str:
        return self.lineitem_url


class ScoreSync(models.Model):
    """One student's score on one exercise as sent to the LMS: what was sent, whether it
    arrived, how many tries it took and why the last one failed. Instructors read it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent to the LMS")
        FAILED = "failed", _("Could not be sent")

    context = models.ForeignKey(ContextLink, on_delete=models.CASCADE, related_name="scores")
    exercise = models.ForeignKey("courses.Exercise", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    score_given = models.DecimalField(
        _("points sent"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    score_maximum = models.PositiveIntegerField(_("out of"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("tries"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("LTI score")
        verbose_name_plural = _("LTI scores")
        constraints = [
            models.UniqueConstraint(fields=["context", "exercise", "user"], name="lti_score_once"),
        ]

    def __str__(self) -> str:
        return f"{self.exercise_id} · {self.user_id} · {self.status}"
