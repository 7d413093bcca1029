"""The gradebook's arithmetic: late penalties by started day, extensions, overrides, the best
attempt after penalties, what is left out; its query count; its CSV rows."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses import gradebook as grades
from courses.models import Attempt, Deadline, Enrollment, Extension, GradeOverride
from tests.factories import (
    EnrollmentFactory,
    ExerciseFactory,
    LessonFactory,
    OfferingFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SEOUL = ZoneInfo("Asia/Seoul")
DUE = datetime(2026, 10, 1, 23, 59, tzinfo=SEOUL)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture
def offering():
    """Given an offering whose course has two exercises (10 and 20 points) in one lesson, the
    first due at DUE with a 20 % penalty per day late."""
    offering = OfferingFactory()
    lesson = LessonFactory(module__course=offering.course)
    first = ExerciseFactory(lesson=lesson, points=10, slug="keys-quiz", title="Keys")
    ExerciseFactory(lesson=lesson, points=20, slug="gas-quiz", title="Gas")
    Deadline.objects.create(
        offering=offering,
        exercise=first,
        due_at=DUE,
        late_penalty_percent_per_day=Decimal(20),
    )
    return offering


def exercise(offering, slug):
    return offering.course.exercises.get(slug=slug)


def student(offering, username=None, **user_fields):
    user = UserFactory(**({"username": username} if username else {}), **user_fields)
    EnrollmentFactory(offering=offering, user=user, role=Enrollment.Role.STUDENT)
    return user


def attempt(offering, exercise, user, *, score, at=DUE - HOUR, status=None):
    number = Attempt.objects.filter(offering=offering, exercise=exercise, user=user).count() + 1
    if status is None:
        status = Attempt.Status.PASSED if Decimal(score) == 1 else Attempt.Status.FAILED
    return Attempt.objects.create(
        offering=offering,
        exercise=exercise,
        user=user,
        number=number,
        status=status,
        score=None if score is None else Decimal(score),
        submitted_at=at,
    )


def grade_of(offering, user, slug):
    row = grades.student_grades(offering, user)
    return next(g for g in row.grades if g.exercise.slug == slug)


# The late rule, pure --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("late_by", "days"),
    [
        (-HOUR, 0),
        (timedelta(0), 0),
        (timedelta(seconds=1), 1),
        (DAY, 1),
        (DAY + timedelta(seconds=1), 2),
        (3 * DAY - HOUR, 3),
    ],
)
def test_days_late_counts_every_started_day_after_the_due_date(late_by, days):
    assert grades.days_late(DUE + late_by, DUE) == days


def test_nothing_is_late_without_a_due_date():
    assert grades.days_late(DUE, None) == 0


def test_late_points_never_go_below_zero():
    points = grades.late_points(score=Decimal(1), points=10, days=3, penalty_percent=Decimal(40))

    assert points == Decimal("0.00")


def test_an_extension_moves_the_due_date_later_but_never_earlier():
    assert grades.effective_due(DUE, DUE + DAY) == DUE + DAY
    assert grades.effective_due(DUE, DUE - DAY) == DUE


# The gradebook --------------------------------------------------------------------------------


def test_an_on_time_attempt_earns_its_score_times_the_points(offering):
    minji = student(offering)
    attempt(offering, exercise(offering, "keys-quiz"), minji, score="0.5")

    grade = grade_of(offering, minji, "keys-quiz")

    assert grade.points == Decimal("5.00")
    assert not grade.late


def test_points_are_decimals_rounded_to_two_places(offering):
    minji = student(offering)
    attempt(offering, exercise(offering, "keys-quiz"), minji, score="0.3333")

    points = grade_of(offering, minji, "keys-quiz").points

    assert isinstance(points, Decimal)
    assert str(points) == "3.33"


def test_a_late_attempt_loses_the_penalty_for_each_started_day(offering):
    minji = student(offering)
    attempt(offering, exercise(offering, "keys-quiz"), minji, score="1", at=DUE + DAY + HOUR)

    grade = grade_of(offering, minji, "keys-quiz")

    assert grade.days_late == 2
    assert grade.points == Decimal("6.00")  # 10 × (1 − 20 % × 2)
    assert grade.late


def test_a_very_late_attempt_earns_nothing_rather_than_less(offering):
    minji = student(offering)
    attempt(offering, exercise(offering, "keys-quiz"), minji, score="1", at=DUE + 6 * DAY)

    assert grade_of(offering, minji, "keys-quiz").points == Decimal("0.00")


def test_an_extension_moves_that_students_due_date_only(offering):
    keys = exercise(offering, "keys-quiz")
    minji, junho = student(offering), student(offering)
    Extension.objects.create(offering=offering, exercise=keys, user=minji, until=DUE + 3 * DAY)
    for person in (minji, junho):
        attempt(offering, keys, person, score="1", at=DUE + 2 * DAY)

    assert grade_of(offering, minji, "keys-quiz").points == Decimal("10.00")
    assert grade_of(offering, junho, "keys-quiz").points == Decimal("6.00")


def test_the_best_attempt_after_penalties_counts(offering):
    keys = exercise(offering, "keys-quiz")
    minji = student(offering)
    attempt(offering, keys, minji, score="0.5", at=DUE - HOUR)  # 5.00
    attempt(offering, keys, minji, score="1", at=DUE + 2 * DAY + HOUR)  # 10 × 40 % = 4.00

    grade = grade_of(offering, minji, "keys-quiz")

    assert grade.points == Decimal("5.00")
    assert grade.counted_attempt == 1
    assert not grade.late


def test_a_late_attempt_counts_when_it_is_still_the_best(offering):
    keys = exercise(offering, "keys-quiz")
    minji = student(offering)
    attempt(offering, keys, minji, score="0.2", at=DUE - HOUR)  # 2.00
    attempt(offering, keys, minji, score="1", at=DUE + HOUR)  # 8.00

    grade = grade_of(offering, minji, "keys-quiz")

    assert grade.points == Decimal("8.00")
    assert grade.counted_attempt == 2
    assert grade.late


def test_an_override_wins_over_better_attempts(offering):
    keys = exercise(offering, "keys-quiz")
    minji = student(offering)
    attempt(offering, keys, minji, score="1")
    GradeOverride.objects.create(
        offering=offering, exercise=keys, user=minji, points=Decimal("7.5"), reason="plagiarism"
    )

    grade = grade_of(offering, minji, "keys-quiz")

    assert grade.points == Decimal("7.50")
    assert grade.overridden
    assert grade.override.reason == "plagiarism"
    assert grade.earned == Decimal("10.00")


def test_an_override_counts_without_any_attempt(offering):
    keys = exercise(offering, "keys-quiz")
    minji = student(offering)
    GradeOverride.objects.create(
        offering=offering, exercise=keys, user=minji, points=Decimal(9), reason="paper exam"
    )

    assert grade_of(offering, minji, "keys-quiz").points == Decimal(9)


def test_an_override_in_another_offering_does_not_count_here(offering):
    keys = exercise(offering, "keys-quiz")
    minji = student(offering)
    other = OfferingFactory(course=offering.course)
    EnrollmentFactory(offering=other, user=minji)
    GradeOverride.objects.create(
        offering=other, exercise=keys, user=minji, points=Decimal(9), reason="elsewhere"
    )

    grade = grade_of(offering, minji, "keys-quiz")

    assert grade.points is None
    assert not grade.overridden


def test_errored_and_unfinished_attempts_earn_nothing_and_are_flagged(offering):
    keys = exercise(offering, "keys-quiz")
    minji = student(offering)
    attempt(offering, keys, minji, score=None, status=Attempt.Status.ERRORED)
    attempt(offering, keys, minji, score="1", status=Attempt.Status.QUEUED)
    attempt(offering, keys, minji, score=None, status=Attempt.Status.RUNNING)

    grade = grade_of(offering, minji, "keys-quiz")

    assert grade.points is None
    assert grade.errored == 1
    assert grade.pending == 2
    assert grade.attempts == 3


def test_totals_add_what_counts_on_every_exercise(offering):
    minji = student(offering)
    attempt(offering, exercise(offering, "keys-quiz"), minji, score="0.5")
    attempt(offering, exercise(offering, "gas-quiz"), minji, score="0.75")

    book = grades.gradebook(offering)

    assert book.rows[0].total == Decimal("20.00")  # 5 + 15
    assert book.max_total == 30


def test_inactive_students_and_teachers_are_left_out(offering):
    minji = student(offering, "minji")
    gone = student(offering, "gone")
    Enrollment.objects.filter(user=gone).update(is_active=False)
    EnrollmentFactory(offering=offering, role=Enrollment.Role.TA)
    attempt(offering, exercise(offering, "keys-quiz"), gone, score="1")

    book = grades.gradebook(offering)

    assert [row.student for row in book.rows] == [minji]


def test_rows_sort_by_total_with_ties_by_name(offering):
    keys = exercise(offering, "keys-quiz")
    for username, name, score in (("a", "Seo", "0.5"), ("b", "Ahn", "1"), ("c", "Cho", "0.5")):
        attempt(offering, keys, student(offering, username, first_name=name), score=score)

    book = grades.gradebook(offering)

    assert [r.name for r in book.sorted("-total")] == ["Ahn", "Cho", "Seo"]
    assert [r.name for r in book.sorted("name")] == ["Ahn", "Cho", "Seo"]
    assert [r.name for r in book.sorted("-name")] == ["Seo", "Cho", "Ahn"]


def test_progress_counts_exercises_passed_and_tried_per_lesson(offering):
    minji = student(offering)
    attempt(offering, exercise(offering, "keys-quiz"), minji, score="1")
    attempt(offering, exercise(offering, "gas-quiz"), minji, score="0.5")

    [progress] = grades.lesson_progress(grades.student_grades(offering, minji))

    assert (progress.exercises, progress.attempted, progress.passed) == (2, 2, 1)
    assert not progress.done


def test_last_activity_is_the_latest_submission(offering):
    minji = student(offering)
    attempt(offering, exercise(offering, "keys-quiz"), minji, score="1", at=DUE - DAY)
    attempt(offering, exercise(offering, "gas-quiz"), minji, score="1", at=DUE - HOUR)

    assert grades.student_grades(offering, minji).last_activity == DUE - HOUR


def _class_of(offering, size):
    """`size` students, each with attempts, an override and an extension."""
    keys, gas = exercise(offering, "keys-quiz"), exercise(offering, "gas-quiz")
    for _ in range(size):
        person = student(offering)
        attempt(offering, keys, person, score="1")
        attempt(offering, gas, person, score="0.5", at=DUE + DAY)
        GradeOverride.objects.create(
            offering=offering, exercise=gas, user=person, points=Decimal(1), reason="r"
        )
        Extension.objects.create(offering=offering, exercise=keys, user=person, until=DUE + DAY)


def _queries_for_grid(offering):
    with CaptureQueriesContext(connection) as captured:
        book = grades.gradebook(offering)
        totals = [row.total for row in book.rows]
    return len(captured), totals


def test_the_grid_costs_three_queries_whatever_the_class_size(django_assert_max_num_queries):
    small, large = OfferingFactory(), OfferingFactory()
    for offering, size in ((small, 3), (large, 30)):
        lesson = LessonFactory(module__course=offering.course)
        ExerciseFactory(lesson=lesson, slug="keys-quiz")
        ExerciseFactory(lesson=lesson, slug="gas-quiz")
        _class_of(offering, size)

    small_count, _ = _queries_for_grid(small)
    with django_assert_max_num_queries(3):
        large_count, totals = _queries_for_grid(large)

    assert large_count == small_count
    assert totals == [Decimal("11.00")] * 30


# CSV --------------------------------------------------------------------------------------------


def test_csv_rows_start_with_slugs_and_maximum_points(offering):
    minji = student(offering, "minji", first_name="민지", last_name="김", email="m@example.test")
    attempt(offering, exercise(offering, "keys-quiz"), minji, score="0.5")

    header, row = list(grades.csv_rows(grades.gradebook(offering)))

    assert header == ["username", "name", "email", "keys-quiz (10)", "gas-quiz (20)", "total (30)"]
    assert row == ["minji", "민지 김", "m@example.test", "5.00", "", "5.00"]


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted(offering):
    student(offering, "mallory", display_name='=HYPERLINK("http://x")')

    _header, row = list(grades.csv_rows(grades.gradebook(offering)))

    assert row[1] == '\'=HYPERLINK("http://x")'
