"""Writes about courses, offerings and enrolments."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from campus.api import Membership, ServiceError, User, ensure_membership
from courses.models import Enrollment, Offering

UNIVERSITY_ROLE_FOR = {
    Enrollment.Role.STUDENT: Membership.Role.STUDENT,
    Enrollment.Role.TA: Membership.Role.STUDENT,
    Enrollment.Role.INSTRUCTOR: Membership.Role.INSTRUCTOR,
}


def enroll(*, offering: Offering, user: User, role: str) -> Enrollment:
    """Enrol `user` in `offering` as `role`, and record their matching role at its university.

    Refuses an unknown role (`unknown_role`) and a second enrolment in the same offering
    (`duplicate_enrollment`); either way nothing is written.
    """
    if role not in Enrollment.Role.values:
        raise ServiceError(
            "unknown_role",
            _("'%(role)s' is not an enrolment role; use one of: %(roles)s")
            % {"role": role, "roles": ", ".join(Enrollment.Role.values)},
        )
    with transaction.atomic(durable=True):
        existing = Enrollment.objects.filter(offering=offering, user=user).first()
        if existing is not None:
            raise _duplicate(user, offering, existing)
        ensure_membership(user=user, university=offering.university, role=UNIVERSITY_ROLE_FOR[role])
        try:
            with transaction.atomic():
                return Enrollment.objects.create(offering=offering, user=user, role=role)
        except IntegrityError:
            existing = Enrollment.objects.get(offering=offering, user=user)
            raise _duplicate(user, offering, existing) from None


def _duplicate(user: User, offering: Offering, existing: Enrollment) -> ServiceError:
    return ServiceError(
        "duplicate_enrollment",
        _("%(user)s is already enrolled in %(offering)s as %(role)s.")
        % {"user": user.username, "offering": offering, "role": existing.get_role_display()},
    )


def set_enrollment(*, offering: Offering, user: User, role: str, active: bool) -> Enrollment:
    """Make `user`'s place in `offering` be `role`, active or not: created, reactivated, re-roled
    or deactivated (never deleted: grades keep their owner). For rosters that come from
    elsewhere (an LMS). Refuses an unknown role (`unknown_role`)."""
    if role not in Enrollment.Role.values:
        raise ServiceError(
            "unknown_role",
            _("'%(role)s' is not an enrolment role; use one of: %(roles)s")
            % {"role": role, "roles": ", ".join(Enrollment.Role.values)},
        )
    existing = Enrollment.objects.filter(offering=offering, user=user).first()
    if existing is None:
        if not active:
            raise ServiceError(
                "not_enrolled", _("%(user)s is not enrolled here.") % {"user": user.username}
            )
        try:
            return enroll(offering=offering, user=user, role=role)
        except ServiceError as error:
            if error.code != "duplicate_enrollment":  # else someone enrolled them meanwhile
                raise
    with transaction.atomic(durable=True):
        enrolment = Enrollment.objects.select_for_update().get(offering=offering, user=user)
        if active:
            ensure_membership(
                user=user, university=offering.university, role=UNIVERSITY_ROLE_FOR[role]
            )
            enrolment.role = role
        enrolment.is_active = active
        enrolment.save(update_fields=["role", "is_active"])
    return enrolment
