"""Grade passback follows the gradebook: courses announces every grade change, the LTI app
queues the student's points, and the points are the gradebook's (overrides, late penalties)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from campus.lti.grade_source import earned_points
from courses.api import Attempt, Enrollment
from courses.grading import attempts
from courses.services_teaching import set_override
from tests.factories import EnrollmentFactory, ExerciseFactory, OfferingFactory

pytestmark = pytest.mark.django_db
RIGHT = {"q1": ["b"], "q2": ["a", "b"], "q3": ["21000"]}


@pytest.fixture
def cohort():
    offering = OfferingFactory()
    exercise = ExerciseFactory(lesson__module__course=offering.course, points=10)
    student = EnrollmentFactory(offering=offering).user
    teacher = EnrollmentFactory(offering=offering, role=Enrollment.Role.INSTRUCTOR).user
    return offering, exercise, student, teacher


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr(
        "campus.lti.ags.post_score",
        lambda *, offering, exercise, user: calls.append((offering.pk, exercise.pk, user.pk)),
    )
    monkeypatch.setattr("courses.tasks.grade_attempt.apply_async", lambda *a, **k: None)
    return calls


def test_a_graded_attempt_queues_the_students_points_for_the_lms(
    cohort, queued, django_capture_on_commit_callbacks
):
    offering, exercise, student, _ = cohort
    attempt = attempts.submit_attempt(
        offering=offering, exercise=exercise, user=student, data=RIGHT
    )

    with django_capture_on_commit_callbacks(execute=True):
        attempts.grade(attempt.pk)

    assert queued == [(offering.pk, exercise.pk, student.pk)]


def test_an_instructors_override_is_passed_back_and_is_what_the_lms_receives(
    cohort, queued, django_capture_on_commit_callbacks
):
    offering, exercise, student, teacher = cohort
    Attempt.objects.create(
        offering=offering, exercise=exercise, user=student, number=1,
        status=Attempt.Status.FAILED, score=Decimal("0.75"), submitted_at=timezone.now(),
    )  # fmt: skip
    assert earned_points(offering=offering, exercise=exercise, user=student) == Decimal("7.50")

    with django_capture_on_commit_callbacks(execute=True):
        set_override(
            offering=offering, exercise=exercise, student=student,
            points=Decimal("9"), reason="Regrade after appeal", by=teacher,
        )  # fmt: skip

    assert queued == [(offering.pk, exercise.pk, student.pk)]
    assert earned_points(offering=offering, exercise=exercise, user=student) == Decimal("9.00")
