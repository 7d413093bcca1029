"""Who sees what: students only themselves, instructors only what they teach, university admins
only their university."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from campus.models import Membership
from courses import selectors
from courses.models import Enrollment
from tests.factories import EnrollmentFactory, MembershipFactory, OfferingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_offerings():
    """Given two offerings at different universities, each with an instructor and a student."""
    result = {}
    for key in ("a", "b"):
        offering = OfferingFactory()
        instructor = EnrollmentFactory(offering=offering, role=Enrollment.Role.INSTRUCTOR).user
        student = EnrollmentFactory(offering=offering, role=Enrollment.Role.STUDENT).user
        result[key] = {"offering": offering, "instructor": instructor, "student": student}
    return result


def roster_url(offering):
    return reverse("offering-roster", args=[offering.slug])


def test_student_cannot_open_another_offerings_roster(client, two_offerings):
    client.force_login(two_offerings["a"]["student"])

    response = client.get(roster_url(two_offerings["b"]["offering"]))

    assert response.status_code == 404


def test_student_cannot_open_their_own_offerings_roster(client, two_offerings):
    client.force_login(two_offerings["a"]["student"])

    response = client.get(roster_url(two_offerings["a"]["offering"]))

    assert response.status_code == 404


def test_student_cannot_open_another_offerings_page(client, two_offerings):
    client.force_login(two_offerings["a"]["student"])

    response = client.get(reverse("offering-detail", args=[two_offerings["b"]["offering"].slug]))

    assert response.status_code == 404


def test_instructor_sees_their_own_roster_with_its_students(client, two_offerings):
    mine = two_offerings["a"]
    client.force_login(mine["instructor"])

    response = client.get(roster_url(mine["offering"]))

    assert response.status_code == 200
    assert mine["student"].username in response.content.decode()
    assert two_offerings["b"]["student"].username not in response.content.decode()


def test_instructor_cannot_open_another_instructors_roster(client, two_offerings):
    client.force_login(two_offerings["a"]["instructor"])

    response = client.get(roster_url(two_offerings["b"]["offering"]))

    assert response.status_code == 404


def test_instructor_manages_only_the_offerings_they_teach(two_offerings):
    instructor = two_offerings["a"]["instructor"]

    assert selectors.can_manage_offering(instructor, two_offerings["a"]["offering"])
    assert not selectors.can_manage_offering(instructor, two_offerings["b"]["offering"])


def test_teaching_assistant_sees_the_roster_but_cannot_manage(client, two_offerings):
    offering = two_offerings["a"]["offering"]
    ta = EnrollmentFactory(offering=offering, role=Enrollment.Role.TA).user
    client.force_login(ta)

    assert client.get(roster_url(offering)).status_code == 200
    assert not selectors.can_manage_offering(ta, offering)


def test_university_admin_sees_only_their_universitys_offerings(client, two_offerings):
    a, b = two_offerings["a"]["offering"], two_offerings["b"]["offering"]
    admin = MembershipFactory(university=a.university, role=Membership.Role.UNIVERSITY_ADMIN).user
    client.force_login(admin)

    assert client.get(roster_url(a)).status_code == 200
    assert client.get(roster_url(b)).status_code == 404
    assert list(selectors.manageable_offerings(admin)) == [a]


def test_student_home_lists_only_their_offerings(client, two_offerings):
    client.force_login(two_offerings["a"]["student"])

    page = client.get(reverse("home")).content.decode()

    assert two_offerings["a"]["offering"].course.title in page
    assert two_offerings["b"]["offering"].course.title not in page


def test_instructor_home_lists_taught_offerings_with_student_counts(client, two_offerings):
    offering = two_offerings["a"]["offering"]
    EnrollmentFactory(offering=offering, role=Enrollment.Role.STUDENT)
    client.force_login(two_offerings["a"]["instructor"])

    response = client.get(reverse("home"))

    [taught] = response.context["taught_offerings"]
    assert taught == offering
    assert taught.student_count == 2
    assert roster_url(offering) in response.content.decode()


def test_anonymous_visitor_is_sent_to_log_in(client, two_offerings):
    response = client.get(roster_url(two_offerings["a"]["offering"]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_staff_instructor_sees_only_their_offerings_in_the_admin(client, two_offerings):
    instructor = two_offerings["a"]["instructor"]
    instructor.is_staff = True
    instructor.save()
    instructor.user_permissions.add(*Permission.objects.filter(codename__endswith="_offering"))
    client.force_login(instructor)

    page = client.get(reverse("admin:courses_offering_changelist")).content.decode()

    assert two_offerings["a"]["offering"].slug in page
    assert two_offerings["b"]["offering"].slug not in page


def test_inactive_enrollment_gives_no_access(client, two_offerings):
    offering = two_offerings["a"]["offering"]
    instructor = two_offerings["a"]["instructor"]
    Enrollment.objects.filter(user=instructor).update(is_active=False)
    client.force_login(instructor)

    assert client.get(roster_url(offering)).status_code == 404
    assert not selectors.can_manage_offering(instructor, offering)
