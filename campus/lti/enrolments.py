"""Enrolling people who arrive from the LMS, in the role the LMS gives them.

New enrolments go through `courses.api.enroll` (which also records the university membership).
courses has no service yet to reactivate an enrolment or change its role, so that one UPDATE is
made here on the `Enrollment` model courses.api exports; it should move to a courses service
(`courses.api.set_enrollment(offering=, user=, role=, active=)`), see the package docstring.
"""

from django.db import transaction

from campus.errors import ServiceError
from campus.models import User
from courses.api import Enrollment, Offering, enroll


def ensure_enrolment(*, offering: Offering, user: User, role: str) -> Enrollment:
    """`user` actively enrolled in `offering` as `role`: created, reactivated or re-roled."""
    existing = Enrollment.objects.filter(offering=offering, user=user).first()
    if existing is None:
        try:
            return enroll(offering=offering, user=user, role=role)
        except ServiceError as error:
            if error.code != "duplicate_enrollment":  # else a concurrent launch enrolled them
                raise
            existing = Enrollment.objects.get(offering=offering, user=user)
    if not existing.is_active or existing.role != role:
        with transaction.atomic(durable=True):
            Enrollment.objects.filter(pk=existing.pk).update(is_active=True, role=role)
        existing.refresh_from_db()
    return existing


def deactivate_enrolment(*, offering: Offering, user: User) -> bool:
    """Deactivate (never delete: grades keep their owner); True if it was active."""
    with transaction.atomic(durable=True):
        return bool(
            Enrollment.objects.filter(offering=offering, user=user, is_active=True).update(
                is_active=False
            )
        )
