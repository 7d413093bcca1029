"""The gradebook: what each active student has earned on each exercise of an offering.

The late rule (the gradebook page states it too):

- An attempt counts once it is graded (passed or failed); an attempt that errored, or is still
  queued or being graded, earns nothing yet.
- An attempt earns `score × points`, where `score` is the fraction of its checks that passed.
- If it was submitted after the exercise's due date in the offering, it loses
  `late_penalty_percent_per_day` percent of that for each day late, where a day late is any
  started 24 hours after the due date (`ceil((submitted_at − due_at) / 24 h)`), and never less
  than nothing: `score × points × max(0, 1 − penalty% × days late)`.
- An extension for the student moves their due date to the extension's `until` (when that is
  later than the due date).
- The best attempt after penalties counts; an instructor's override replaces it.

Points are `Decimal` with two places, rounded half up; no float touches them. Penalties are
applied here at read time, so a changed rule or an override never rewrites an attempt.

The whole grid costs three queries whatever the class size: the exercises with the offering's
deadline beside each, the active students with their overrides beside them, and the students'
attempts with their extension beside each.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, FilteredRelation, OuterRef, Q, QuerySet, Subquery

from campus.api import User
from courses.models import Attempt, Enrollment, Exercise, Extension, Lesson, Offering

CENT = Decimal("0.01")
DAY = timedelta(days=1)
GRADED = (Attempt.Status.PASSED, Attempt.Status.FAILED)
PENDING = (Attempt.Status.QUEUED, Attempt.Status.RUNNING)


def days_late(submitted_at: datetime, due_at: datetime | None) -> int:
    """Whole days late, any started day counting as one; 0 when on time or with no due date."""
    if due_at is None or submitted_at <= due_at:
        return 0
    days, rest = divmod(submitted_at - due_at, DAY)
    return days + (1 if rest else 0)


def late_points(
    *, score: Decimal, points: int, days: int, penalty_percent: Decimal | None
) -> Decimal:
    """What an attempt earns after the late penalty, in points with two places."""
    factor = Decimal(1) - (penalty_percent or Decimal(0)) * days / 100
    return (score * points * max(factor, Decimal(0))).quantize(CENT, ROUND_HALF_UP)


def effective_due(due_at: datetime | None, extended_until: datetime | None) -> datetime | None:
    """The student's own due date: an extension moves it later, never earlier."""
    if due_at is None or extended_until is None:
        return due_at
    return max(due_at, extended_until)


@dataclass(frozen=True)
class Override:
    points: Decimal
    reason: str


@dataclass
class Grade:
    """One cell: what one student has on one exercise, and what the page should flag."""

    exercise: Exercise
    points: Decimal | None = None
    """What counts: the override's points, else the best attempt's after penalty, else None."""
    override: Override | None = None
    earned: Decimal | None = None
    """The best attempt's points after penalty, overridden or not."""
    days_late: int = 0
    """Days late of the attempt that counts (0 when it was on time)."""
    counted_attempt: int | None = None
    attempts: int = 0
    errored: int = 0
    pending: int = 0
    passed: bool = False

    @property
    def overridden(self) -> bool:
        return self.override is not None

    @property
    def late(self) -> bool:
        return self.override is None and self.days_late > 0

    @property
    def max_points(self) -> int:
        return self.exercise.points

    def count(self, attempt: Attempt, due_at: datetime | None) -> None:
        """Take one of the student's attempts at this exercise into account."""
        self.attempts += 1
        self.errored += attempt.status == Attempt.Status.ERRORED
        self.pending += attempt.status in PENDING
        self.passed = self.passed or attempt.status == Attempt.Status.PASSED
        if attempt.status not in GRADED or attempt.score is None:
            return
        days = days_late(attempt.submitted_at, due_at)
        earned = late_points(
            score=attempt.score,
            points=self.exercise.points,
            days=days,
            penalty_percent=self.exercise.penalty_percent,
        )
        if self.earned is None or (earned, -days) > (self.earned, -self.days_late):
            self.earned, self.days_late, self.counted_attempt = earned, days, attempt.number
        self.points = self.override.points if self.override else self.earned


@dataclass
class StudentGrades:
    """One row: a student, their grade on each exercise in course order, and their total."""

    student: User
    grades: list[Grade]
    last_activity: datetime | None = None

    @property
    def total(self) -> Decimal:
        return sum((g.points for g in self.grades if g.points is not None), Decimal("0.00"))

    @property
    def name(self) -> str:
        return self.student.shown_name


@dataclass
class Gradebook:
    offering: Offering
    exercises: list[Exercise]
    rows: list[StudentGrades] = field(default_factory=list)

    @property
    def max_total(self) -> int:
        return sum(exercise.points for exercise in self.exercises)

    def sorted(self, key: str) -> list[StudentGrades]:
        """Rows by `name`, `-name`, `total` or `-total` (ties by name); by name otherwise."""
        by_name = sorted(self.rows, key=lambda r: (r.name.casefold(), r.student.username))
        if key.lstrip("-") == "total":
            by_name.sort(key=lambda r: r.total, reverse=key.startswith("-"))
        elif key == "-name":
            by_name.reverse()
        return by_name


def offering_exercises(offering: Offering) -> QuerySet[Exercise]:
    """The course's exercises in course order, each with the offering's `due_at` and
    `penalty_percent` beside it (None where it has no deadline): one query."""
    return (
        Exercise.objects.filter(course_id=offering.course_id)
        .select_related("lesson__module")
        .annotate(
            offering_deadline=FilteredRelation(
                "deadlines", condition=Q(deadlines__offering_id=offering.pk)
            ),
            due_at=F("offering_deadline__due_at"),
            penalty_percent=F("offering_deadline__late_penalty_percent_per_day"),
        )
    )


def _students_with_overrides(
    offering: Offering, student_ids: Iterable[int] | None
) -> QuerySet[Enrollment]:
    """Active students, one row per override they have in this offering (one if none)."""
    students = Enrollment.objects.filter(
        offering=offering, role=Enrollment.Role.STUDENT, is_active=True
    )
    if student_ids is not None:
        students = students.filter(user_id__in=list(student_ids))
    return (
        students.select_related("user")
        .annotate(
            own_override=FilteredRelation(
                "user__grade_overrides",
                condition=Q(user__grade_overrides__offering_id=offering.pk),
            ),
            override_exercise_id=F("own_override__exercise_id"),
            override_points=F("own_override__points"),
            override_reason=F("own_override__reason"),
        )
        .order_by("user__username", "pk")
    )


def _attempts(offering: Offering, student_ids: Iterable[int] | None) -> QuerySet[Attempt]:
    """Active students' attempts, each with its student's extension `until` (or None)."""
    attempts = Attempt.objects.filter(offering=offering)
    if student_ids is not None:
        attempts = attempts.filter(user_id__in=list(student_ids))
    else:
        active = Enrollment.objects.filter(
            offering=offering, role=Enrollment.Role.STUDENT, is_active=True
        )
        attempts = attempts.filter(user_id__in=active.values("user_id"))
    extension = Extension.objects.filter(
        offering=offering, exercise_id=OuterRef("exercise_id"), user_id=OuterRef("user_id")
    )
    return attempts.only(
        "user_id", "exercise_id", "number", "status", "score", "submitted_at"
    ).annotate(extended_until=Subquery(extension.values("until")[:1]))


def gradebook(offering: Offering, *, student_ids: Iterable[int] | None = None) -> Gradebook:
    """Every active student's grade on every exercise (or only `student_ids`'): three queries."""
    if student_ids is not None:
        student_ids = list(student_ids)
    book = Gradebook(offering=offering, exercises=list(offering_exercises(offering)))
    rows: dict[int, StudentGrades] = {}
    cells: dict[tuple[int, int], Grade] = {}
    for enrolment in _students_with_overrides(offering, student_ids):
        row = rows.get(enrolment.user_id)
        if row is None:
            row = rows[enrolment.user_id] = _empty_row(enrolment.user, book.exercises, cells)
        cell = cells.get((enrolment.user_id, enrolment.override_exercise_id))
        if cell is not None:
            cell.override = Override(enrolment.override_points, enrolment.override_reason)
            cell.points = enrolment.override_points
    for attempt in _attempts(offering, student_ids):
        cell = cells.get((attempt.user_id, attempt.exercise_id))
        if cell is None:
            continue
        cell.count(attempt, effective_due(cell.exercise.due_at, attempt.extended_until))
        row = rows[attempt.user_id]
        if row.last_activity is None or attempt.submitted_at > row.last_activity:
            row.last_activity = attempt.submitted_at
    book.rows = list(rows.values())
    return book


def _empty_row(
    student: User, exercises: list[Exercise], cells: dict[tuple[int, int], Grade]
) -> StudentGrades:
    grades = []
    for exercise in exercises:
        grade = cells[(student.pk, exercise.pk)] = Grade(exercise=exercise)
        grades.append(grade)
    return StudentGrades(student=student, grades=grades)


def student_grades(offering: Offering, student: User) -> StudentGrades | None:
    """One active student's row, or None if they are not an active student here."""
    rows = gradebook(offering, student_ids=[student.pk]).rows
    return rows[0] if rows else None


# CSV export -----------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: str) -> str:
    """Text a spreadsheet will not run as a formula (a name typed as `=HYPERLINK(...)`)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_rows(book: Gradebook, *, sort: str = "name") -> Iterator[list[str]]:
    """The header (exercise slugs with their maximum points), then a row per student: username,
    name, email, the points counted on each exercise (empty when nothing counts yet), total."""
    yield [
        "username",
        "name",
        "email",
        *(f"{exercise.slug} ({exercise.points})" for exercise in book.exercises),
        f"total ({book.max_total})",
    ]
    for row in book.sorted(sort):
        student = row.student
        yield [
            spreadsheet_text(student.username),
            spreadsheet_text(row.name),
            spreadsheet_text(student.email),
            *("" if grade.points is None else f"{grade.points:.2f}" for grade in row.grades),
            f"{row.total:.2f}",
        ]


# Progress per lesson --------------------------------------------------------------------------


@dataclass(frozen=True)
class LessonProgress:
    """How far a student is in one lesson: of its `exercises`, how many they tried and passed
    (an attempt that passed, on time or not; overrides aside)."""

    lesson: Lesson
    exercises: int
    attempted: int
    passed: int

    @property
    def done(self) -> bool:
        return self.passed == self.exercises


def lessons_of(book: Gradebook) -> list[Lesson]:
    """The lessons that have exercises, in course order."""
    lessons: dict[int, Lesson] = {}
    for exercise in book.exercises:
        lessons.setdefault(exercise.lesson_id, exercise.lesson)
    return list(lessons.values())


def lesson_progress(row: StudentGrades) -> list[LessonProgress]:
    """`row`'s progress in each lesson of `lessons_of` its gradebook, in the same order."""
    by_lesson: dict[int, list[Grade]] = {}
    for grade in row.grades:
        by_lesson.setdefault(grade.exercise.lesson_id, []).append(grade)
    return [
        LessonProgress(
            lesson=grades[0].exercise.lesson,
            exercises=len(grades),
            attempted=sum(1 for g in grades if g.attempts),
            passed=sum(1 for g in grades if g.passed),
        )
        for grades in by_lesson.values()
    ]
