"""Enrolling people who arrive from the LMS, in the role the LMS gives them, through courses'
own enrolment services (which also record the university membership)."""

from campus.models import User
from courses.api import Enrollment, Offering, set_enrollment


def ensure_enrolment(*, offering: Offering, user: User, role: str) -> Enrollment:
    """`user` actively enrolled in `offering` as `role`: created, reactivated or re-roled."""
    existing = Enrollment.objects.filter(offering=offering, user=user).first()
    if existing is not None and existing.is_active and existing.role == role:
        return existing
    return set_enrollment(offering=offering, user=user, role=role, active=True)


def deactivate_enrolment(*, offering: Offering, user: User) -> bool:
    """Deactivate (never delete: grades keep their owner); True if it was active."""
    existing = Enrollment.objects.filter(offering=offering, user=user, is_active=True).first()
    if existing is None:
        return False
    set_enrollment(offering=offering, user=user, role=existing.role, active=False)
    return True
