"""People and institutions: the user, the universities that partner with the campus, and each
person's role at a university."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person on the campus. Custom from the first migration so later fields (an LTI subject,
    a preferred language) need no painful swap."""

    display_name = models.CharField(_("display name"), max_length=150, blank=True)

    @property
    def shown_name(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class University(models.Model):
    """A partner institution that runs offerings of the campus's courses."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="KR")

    class Meta:
        ordering = ["name"]
        verbose_name = _("university")
        verbose_name_plural = _("universities")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person's role at a university. One person may hold several roles (a TA is also a student)."""

    class Role(models.TextChoices):
        STUDENT = "student", _("Student")
        INSTRUCTOR = "instructor", _("Instructor")
        UNIVERSITY_ADMIN = "university_admin", _("University admin")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    university = models.ForeignKey(University, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "university", "role"], name="membership_unique_role"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["student", "instructor", "university_admin"]),
                name="membership_known_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.university}"
