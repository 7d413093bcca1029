"""The sandbox's per-student links on the course admin's pages: the exchange activity and the
chain row, for those who manage the offering only."""

import pytest
from django.urls import reverse

from courses.models import Enrollment
from tests.factories import EnrollmentFactory, ExerciseFactory, OfferingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def offering_with_people():
    offering = OfferingFactory()
    ExerciseFactory(lesson__module__course=offering.course)
    people = {
        role: EnrollmentFactory(offering=offering, role=role).user
        for role in (Enrollment.Role.INSTRUCTOR, Enrollment.Role.TA, Enrollment.Role.STUDENT)
    }
    return offering, people


def progress_page(client, offering, viewer):
    client.force_login(viewer)
    return client.get(reverse("teach-progress", args=[offering.slug])).content.decode()


def test_an_instructor_sees_each_students_exchange_and_chain_links(client, offering_with_people):
    offering, people = offering_with_people
    student = people[Enrollment.Role.STUDENT]

    page = progress_page(client, offering, people[Enrollment.Role.INSTRUCTOR])

    assert reverse("sandbox-student-activity", args=[offering.slug, student.pk]) in page
    assert reverse("chain-roster", args=[offering.slug]) + f"#student-{student.pk}" in page


def test_a_ta_sees_no_links_to_pages_only_managers_may_open(client, offering_with_people):
    offering, people = offering_with_people
    student = people[Enrollment.Role.STUDENT]

    page = progress_page(client, offering, people[Enrollment.Role.TA])

    assert reverse("sandbox-student-activity", args=[offering.slug, student.pk]) not in page
    assert f"#student-{student.pk}" not in page
