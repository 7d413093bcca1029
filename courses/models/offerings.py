"""What is taught and to whom: courses, their offerings at universities, and enrolments."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from campus.models import University
from courses.models.localized import Localized


class Course(Localized):
    """A course as authored, independent of where and when it is taught. `languages` lists the
    languages its text is written in, the default first."""

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.title


class Offering(models.Model):
    """A course run at one university for one term: its cohort, its sandbox, its gradebook."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="offerings")
    university = models.ForeignKey(University, on_delete=models.PROTECT, related_name="offerings")
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    term = models.CharField(_("term"), max_length=40, help_text=_("For example '2026 Fall'."))
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        ordering = ["course__title", "university__name", "term"]
        verbose_name = _("offering")
        verbose_name_plural = _("offerings")
        constraints = [
            models.UniqueConstraint(
                fields=["course", "university", "term"], name="offering_unique_term"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(starts_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="offering_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course} · {self.university} · {self.term}"


class Enrollment(models.Model):
    """A person's place in an offering. Deactivated rather than deleted, so grades keep their owner."""

    class Role(models.TextChoices):
        STUDENT = "student", _("Student")
        INSTRUCTOR = "instructor", _("Instructor")
        TA = "ta", _("Teaching assistant")

    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="enrollments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["offering", "role", "user__username"]
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [
            models.UniqueConstraint(
                fields=["offering", "user"], name="enrollment_once_per_offering"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["student", "instructor", "ta"]),
                name="enrollment_known_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.offering}"

    @property
    def teaches(self) -> bool:
        return self.role in (self.Role.INSTRUCTOR, self.Role.TA)
