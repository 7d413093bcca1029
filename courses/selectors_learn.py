"""Reads for the student's course pages: the outline with their progress, a lesson's neighbours,
an exercise's state for them (best score, attempts left, deadline), and their attempts.

Progress is read, never stored: an exercise's status comes from the student's attempts in this
offering (passed when any attempt passed; being graded when the latest is queued or running),
its points from the best score times the exercise's points, or the instructor's override where
one is set. Late penalties are the gradebook's business and are not applied here.

The outline costs a fixed number of queries whatever the course's size.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import QuerySet
from django.db.models.fields.json import KT
from django.utils import timezone

from campus.api import User
from courses.grading.registry import grader_for
from courses.models import (
    Attempt,
    Course,
    Deadline,
    Exercise,
    Extension,
    GradeOverride,
    Lesson,
    Module,
    Offering,
)
from courses.models.localized import Localized
from courses.selectors import visible_offerings

SOON = timedelta(days=3)
POINT_PLACES = Decimal("0.1")


class Progress:
    """An exercise's state for one student, as the pages show it."""

    PASSED = "passed"
    GRADING = "grading"
    STARTED = "started"
    ERRORED = "errored"
    NOT_STARTED = "not_started"


@dataclass
class ExerciseProgress:
    exercise: Exercise
    title: str
    attempts: list[Attempt] = field(default_factory=list)
    """The student's attempts, latest first (only their status, score and number are loaded
    in the outline)."""
    deadline: Deadline | None = None
    extension: Extension | None = None
    override: GradeOverride | None = None
    now: datetime = field(default_factory=timezone.now)

    @property
    def points(self) -> int:
        return self.exercise.points

    @property
    def kind_label(self) -> str:
        grader = grader_for(self.exercise.kind)
        return str(grader.label) if grader else self.exercise.kind

    @property
    def attempts_used(self) -> int:
        return max((attempt.number for attempt in self.attempts), default=0)

    @property
    def attempts_left(self) -> int | None:
        if self.exercise.max_attempts is None:
            return None
        return max(self.exercise.max_attempts - self.attempts_used, 0)

    @property
    def best_score(self) -> Decimal | None:
        scores = [attempt.score for attempt in self.attempts if attempt.score is not None]
        return max(scores) if scores else None

    @property
    def points_earned(self) -> Decimal:
        if self.override is not None:
            return self.override.points
        best = self.best_score
        return Decimal(0) if best is None else (best * self.points).quantize(POINT_PLACES)

    @property
    def status(self) -> str:
        if not self.attempts:
            return Progress.NOT_STARTED
        if any(attempt.status == Attempt.Status.PASSED for attempt in self.attempts):
            return Progress.PASSED
        if not self.attempts[0].finished:
            return Progress.GRADING
        if self.best_score is None:
            return Progress.ERRORED
        return Progress.STARTED

    @property
    def grading(self) -> bool:
        return bool(self.attempts) and not self.attempts[0].finished

    @property
    def due_at(self) -> datetime | None:
        return self.deadline.due_at if self.deadline else None

    @property
    def opens_at(self) -> datetime | None:
        return self.deadline.opens_at if self.deadline else None

    @property
    def closes_at(self) -> datetime | None:
        """The last moment a submission is taken: the hard deadline, or the student's extension
        when it is later."""
        closes = self.deadline.hard_deadline_at if self.deadline else None
        if self.extension is not None and (closes is None or self.extension.until > closes):
            closes = self.extension.until
        return closes

    @property
    def extended(self) -> bool:
        """The student's extension is what sets `closes_at`."""
        return self.extension is not None and self.closes_at == self.extension.until

    @property
    def late_penalty(self) -> Decimal:
        return self.deadline.late_penalty_percent_per_day if self.deadline else Decimal(0)

    @property
    def is_open(self) -> bool:
        return self.opens_at is None or self.now >= self.opens_at

    @property
    def is_closed(self) -> bool:
        return self.closes_at is not None and self.now > self.closes_at

    @property
    def due_cue(self) -> str | None:
        """ "overdue" (due date passed and not passed), "soon" (due within three days), or None."""
        if self.due_at is None or self.status == Progress.PASSED:
            return None
        if self.now > self.due_at:
            return "overdue"
        return "soon" if self.due_at - self.now <= SOON else None

    @property
    def days_left(self) -> int:
        """Whole days until the due date (0 when it is today)."""
        return max((self.due_at - self.now).days, 0) if self.due_at else 0

    @property
    def can_submit(self) -> bool:
        return self.is_open and not self.is_closed and not self.grading and self.attempts_left != 0


@dataclass
class LessonProgress:
    lesson: Lesson
    title: str
    exercises: list[ExerciseProgress]

    @property
    def minutes(self) -> int | None:
        return self.lesson.minutes

    @property
    def done(self) -> bool:
        return bool(self.exercises) and all(
            item.status == Progress.PASSED for item in self.exercises
        )


@dataclass
class ModuleProgress:
    module: Module
    title: str
    lessons: list[LessonProgress]


@dataclass
class CourseProgress:
    modules: list[ModuleProgress]

    @property
    def exercises(self) -> list[ExerciseProgress]:
        return [e for m in self.modules for lesson in m.lessons for e in lesson.exercises]

    @property
    def points_possible(self) -> int:
        return sum(item.points for item in self.exercises)

    @property
    def points_earned(self) -> Decimal:
        return sum((item.points_earned for item in self.exercises), Decimal(0))

    @property
    def passed_count(self) -> int:
        return sum(1 for item in self.exercises if item.status == Progress.PASSED)

    @property
    def percent(self) -> int:
        possible = self.points_possible
        return int(self.points_earned * 100 / possible) if possible else 0


# --- queries -----------------------------------------------------------------------------------


def ordered_lessons(course: Course) -> QuerySet[Lesson]:
    return Lesson.objects.filter(course=course).order_by("module__position", "position")


def with_local_title(queryset: QuerySet, language: str) -> QuerySet:
    """Rows without their (large) `translations`, each with `local_title`: its title in
    `language` when it has one. Read it through `title_in`."""
    if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})?", language or ""):
        language = "-"
    return queryset.defer("translations").annotate(
        local_title=KT(f"translations__{language}__title")
    )


def title_in(row: Localized, language: str) -> str:
    if hasattr(row, "local_title"):
        return row.local_title or row.title
    return row.localized("title", language)


def lesson_neighbours(
    course: Course, lesson: Lesson, language: str
) -> tuple[Lesson | None, Lesson | None]:
    """The lessons before and after `lesson` in the course's reading order (titles only)."""
    lessons = list(with_local_title(ordered_lessons(course).only("id", "slug", "title"), language))
    index = next(i for i, item in enumerate(lessons) if item.pk == lesson.pk)
    before = lessons[index - 1] if index > 0 else None
    after = lessons[index + 1] if index + 1 < len(lessons) else None
    return before, after


def exercise_progress(
    *, offering: Offering, user: User, exercises: list[Exercise], language: str
) -> list[ExerciseProgress]:
    """Each exercise's state for `user` in `offering`: four queries for any number of them."""
    ids = [exercise.pk for exercise in exercises]
    attempts: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in (
        Attempt.objects.filter(offering=offering, user=user, exercise_id__in=ids)
        .only("id", "exercise_id", "number", "status", "score", "submitted_at")
        .order_by("exercise_id", "-number")
    ):
        attempts[attempt.exercise_id].append(attempt)
    deadlines = _by_exercise(Deadline.objects.filter(offering=offering, exercise_id__in=ids))
    extensions = _by_exercise(
        Extension.objects.filter(offering=offering, user=user, exercise_id__in=ids)
    )
    overrides = _by_exercise(
        GradeOverride.objects.filter(offering=offering, user=user, exercise_id__in=ids)
    )
    now = timezone.now()
    return [
        ExerciseProgress(
            exercise=exercise,
            title=title_in(exercise, language),
            attempts=attempts[exercise.pk],
            deadline=deadlines.get(exercise.pk),
            extension=extensions.get(exercise.pk),
            override=overrides.get(exercise.pk),
            now=now,
        )
        for exercise in exercises
    ]


def _by_exercise(queryset: QuerySet) -> dict:
    return {row.exercise_id: row for row in queryset}


def course_outline(*, offering: Offering, user: User, language: str) -> CourseProgress:
    """The offering's course, module by module and lesson by lesson, with `user`'s progress on
    every exercise."""
    course = offering.course
    modules = list(
        with_local_title(Module.objects.filter(course=course).order_by("position"), language)
    )
    lessons = list(with_local_title(ordered_lessons(course).defer("body"), language))
    exercises = list(
        with_local_title(
            Exercise.objects.filter(course=course)
            .defer("spec", "files", "prompt")
            .order_by("lesson__module__position", "lesson__position", "position"),
            language,
        )
    )
    progress = exercise_progress(
        offering=offering, user=user, exercises=exercises, language=language
    )
    by_lesson: dict[int, list[ExerciseProgress]] = defaultdict(list)
    for item in progress:
        by_lesson[item.exercise.lesson_id].append(item)
    by_module: dict[int, list[LessonProgress]] = defaultdict(list)
    for lesson in lessons:
        by_module[lesson.module_id].append(
            LessonProgress(lesson, title_in(lesson, language), by_lesson[lesson.pk])
        )
    return CourseProgress(
        [
            ModuleProgress(module, title_in(module, language), by_module[module.pk])
            for module in modules
        ]
    )


def lesson_of_course(course: Course, slug: str) -> Lesson | None:
    return (
        Lesson.objects.filter(course=course, slug=slug).select_related("module", "course").first()
    )


def exercise_of_course(course: Course, slug: str) -> Exercise | None:
    return (
        Exercise.objects.filter(course=course, slug=slug).select_related("lesson__course").first()
    )


def lesson_exercises(lesson: Lesson) -> list[Exercise]:
    return list(lesson.exercises.defer("spec", "files").order_by("position"))


def student_attempts(*, offering: Offering, exercise: Exercise, user: User) -> list[Attempt]:
    """`user`'s attempts at `exercise` in `offering`, latest first, with their feedback."""
    return list(
        Attempt.objects.filter(offering=offering, exercise=exercise, user=user).order_by("-number")
    )


def owned_attempt(*, offering: Offering, user: User, attempt_id: int) -> Attempt | None:
    """One of `user`'s own attempts in `offering`; None for anyone else's."""
    return (
        Attempt.objects.filter(pk=attempt_id, offering=offering, user=user)
        .select_related("exercise__course")
        .first()
    )


def lesson_image_names(lesson: Lesson) -> list[str]:
    return list(lesson.images.values_list("name", flat=True))


def can_read_course(user: User, course: Course) -> bool:
    """Whether `user` may see the course's material at all: a member (any role) of one of its
    offerings, an admin of a university that runs it, or a superuser."""
    return visible_offerings(user).filter(course=course).exists()
