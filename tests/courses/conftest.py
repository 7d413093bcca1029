import pytest

from courses.models import Enrollment
from tests.factories import EnrollmentFactory, ExerciseFactory, OfferingFactory


@pytest.fixture
def eager_celery():
    """Tasks run in the caller, as soon as they are sent (the grading logic, not the broker)."""
    from campus.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield app
    for key in ("task_always_eager", "task_eager_propagates"):
        app.conf.changes.pop(key, None)  # back to what settings say, not a pinned False


@pytest.fixture
def quiz(db):
    """An offering whose course has one quiz, and a student enrolled in it."""
    offering = OfferingFactory()
    exercise = ExerciseFactory(lesson__module__course=offering.course)
    student = EnrollmentFactory(offering=offering, role=Enrollment.Role.STUDENT).user
    return offering, exercise, student
