import pytest
from django.db import IntegrityError, transaction

from campus.errors import ServiceError
from campus.models import Membership
from courses.models import Enrollment
from courses.services import enroll
from tests.factories import OfferingFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_enrolling_records_the_matching_university_role():
    offering, user = OfferingFactory(), UserFactory()

    enrollment = enroll(offering=offering, user=user, role="instructor")

    assert enrollment.role == Enrollment.Role.INSTRUCTOR
    assert Membership.objects.filter(
        user=user, university=offering.university, role=Membership.Role.INSTRUCTOR
    ).exists()


def test_duplicate_enrollment_is_refused_and_changes_nothing():
    offering, user = OfferingFactory(), UserFactory()
    enroll(offering=offering, user=user, role="student")

    with pytest.raises(ServiceError) as refused:
        enroll(offering=offering, user=user, role="instructor")

    assert refused.value.code == "duplicate_enrollment"
    assert user.username in refused.value.message
    assert Enrollment.objects.get(offering=offering, user=user).role == "student"
    assert not Membership.objects.filter(user=user, role="instructor").exists()


def test_unknown_role_is_refused_and_nothing_is_written():
    offering, user = OfferingFactory(), UserFactory()

    with pytest.raises(ServiceError) as refused:
        enroll(offering=offering, user=user, role="dean")

    assert refused.value.code == "unknown_role"
    assert "dean" in refused.value.message
    assert not Enrollment.objects.filter(user=user).exists()
    assert not Membership.objects.filter(user=user).exists()


def test_database_refuses_an_unknown_role_written_around_the_service():
    offering, user = OfferingFactory(), UserFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Enrollment.objects.create(offering=offering, user=user, role="dean")


def test_set_enrollment_reactivates_and_changes_role_keeping_one_row():
    from courses.services import set_enrollment

    offering, user = OfferingFactory(), UserFactory()
    enroll(offering=offering, user=user, role="student")
    set_enrollment(offering=offering, user=user, role="student", active=False)

    again = set_enrollment(offering=offering, user=user, role="ta", active=True)

    assert (again.role, again.is_active) == ("ta", True)
    assert Enrollment.objects.filter(offering=offering, user=user).count() == 1


def test_set_enrollment_deactivating_someone_never_enrolled_is_refused():
    from courses.services import set_enrollment

    with pytest.raises(ServiceError) as refused:
        set_enrollment(offering=OfferingFactory(), user=UserFactory(), role="student", active=False)

    assert refused.value.code == "not_enrolled"
    assert not Enrollment.objects.exists()
