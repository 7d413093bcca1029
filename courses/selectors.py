"""Reads about offerings and who may see what. Views and (later) graders share these, so a role
rule is written once.

The rules: a student sees only their own enrolments; an instructor or TA sees the offerings they
teach, with rosters; a university admin sees every offering of their universities; a superuser
sees everything. Instructors manage only offerings they teach as instructor.
"""

from django.db.models import Count, Q, QuerySet

from campus.api import Membership, User
from courses.models import Enrollment, Offering

TEACHING_ROLES = (Enrollment.Role.INSTRUCTOR, Enrollment.Role.TA)


def _offerings() -> QuerySet[Offering]:
    return Offering.objects.select_related("course", "university")


def student_enrollments(user: User) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(
        user=user, role=Enrollment.Role.STUDENT, is_active=True
    ).select_related("offering__course", "offering__university")


def offerings_taught_by(user: User) -> QuerySet[Offering]:
    """Offerings `user` teaches (instructor or TA), each with its count of active students."""
    taught_ids = Enrollment.objects.filter(
        user=user, role__in=TEACHING_ROLES, is_active=True
    ).values("offering_id")
    return (
        _offerings()
        .filter(pk__in=taught_ids)
        .annotate(
            student_count=Count(
                "enrollments",
                filter=Q(enrollments__role=Enrollment.Role.STUDENT, enrollments__is_active=True),
            )
        )
    )


def administered_university_ids(user: User) -> list[int]:
    """Asked of the database once per user object (one request's user): every offering page
    asks it several times (each link provider's role rule)."""
    known = user.__dict__.get("_administered_university_ids")
    if known is None:
        known = list(
            Membership.objects.filter(user=user, role=Membership.Role.UNIVERSITY_ADMIN).values_list(
                "university_id", flat=True
            )
        )
        user.__dict__["_administered_university_ids"] = known
    return known


def offerings_administered_by(user: User) -> QuerySet[Offering]:
    return _offerings().filter(university_id__in=administered_university_ids(user))


def visible_offerings(user: User) -> QuerySet[Offering]:
    """Every offering `user` may open at all, in any role."""
    if user.is_superuser:
        return _offerings()
    return (
        _offerings()
        .filter(
            Q(enrollments__user=user, enrollments__is_active=True)
            | Q(university_id__in=administered_university_ids(user))
        )
        .distinct()
    )


def manageable_offerings(user: User) -> QuerySet[Offering]:
    """Offerings `user` may change: those they teach as instructor, those of universities they
    administer, or all for a superuser."""
    if user.is_superuser:
        return _offerings()
    return (
        _offerings()
        .filter(
            Q(
                enrollments__user=user,
                enrollments__role=Enrollment.Role.INSTRUCTOR,
                enrollments__is_active=True,
            )
            | Q(university_id__in=administered_university_ids(user))
        )
        .distinct()
    )


def can_view_roster(user: User, offering: Offering) -> bool:
    if user.is_superuser or offering.university_id in administered_university_ids(user):
        return True
    return Enrollment.objects.filter(
        offering=offering, user=user, role__in=TEACHING_ROLES, is_active=True
    ).exists()


def can_manage_offering(user: User, offering: Offering) -> bool:
    return manageable_offerings(user).filter(pk=offering.pk).exists()


def roster(offering: Offering) -> QuerySet[Enrollment]:
    return offering.enrollments.select_related("user").order_by("role", "user__username")


def is_enrolled(*, user_id: int, offering_id: int) -> bool:
    """Actively enrolled in the offering, in any role: who has a sandbox there."""
    return Enrollment.objects.filter(
        offering_id=offering_id, user_id=user_id, is_active=True
    ).exists()


def member_offering(user: User, slug: str) -> Offering | None:
    """The offering with this slug, if `user` is actively enrolled in it."""
    return (
        visible_offerings(user)
        .filter(slug=slug, enrollments__user=user, enrollments__is_active=True)
        .first()
    )


def active_students(offering_id: int) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(
        offering_id=offering_id, role=Enrollment.Role.STUDENT, is_active=True
    )
