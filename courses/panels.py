"""The student's dashboard on an offering's page: courses' own panels (next lessons, upcoming
deadlines, grades so far) and the panels other apps add, so courses can show a portfolio or a
chain's status without importing sandbox (the arrows point campus ← courses ← sandbox).

An app registers a provider in its `AppConfig.ready()`. The page calls every provider as
`provider(user, offering)` only for an active student of the offering (so a provider need not ask
again), once per request, and shows what they return as `Panel`s ordered by `order`. A provider
returns nothing (None or an empty list) when it has nothing to show, and should cost a fixed,
small number of queries however large the class or the student's history. It reads only: the
page is a GET, so a provider must never open a wallet or start a chain.

A provider that raises, or a panel whose template fails to render, is logged and left out (or
shown as unavailable): one broken panel never takes the page down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from campus.api import User
from courses.gradebook import Grade, Override, StudentGrades, effective_due
from courses.models import Offering
from courses.selectors import active_students
from courses.selectors_learn import (
    CourseProgress,
    ExerciseProgress,
    LessonProgress,
    ModuleProgress,
    Progress,
    course_outline,
    title_in,
)

logger = logging.getLogger(__name__)

NEXT_LESSONS = 3
UPCOMING_DEADLINES = 5


@dataclass(frozen=True)
class Panel:
    """One box on the dashboard: `template` is rendered with `context`, plus `offering`, `panel`
    and the request's context processors. The page draws its box and its heading (an h2 of
    `title`), so a template's own headings start at h3."""

    key: str
    title: str
    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    order: int = 100


PanelProvider = Callable[[User, Offering], Iterable[Panel] | None]
_providers: list[PanelProvider] = []


def register_dashboard_panel(provider: PanelProvider) -> None:
    """Add a provider (idempotent: `ready()` may run more than once in tests)."""
    if provider not in _providers:
        _providers.append(provider)


def unregister_dashboard_panel(provider: PanelProvider) -> None:
    """Remove a provider (tests that register one of their own)."""
    if provider in _providers:
        _providers.remove(provider)


def dashboard_panels(user: User, offering: Offering) -> list[Panel]:
    """Every provider's panels for `user`, by `order` (then key). Call it only for an active
    student of `offering`."""
    panels: list[Panel] = []
    for provider in _providers:
        try:
            panels.extend(provider(user, offering) or ())
        except Exception:  # one broken provider must not take the student's page down
            logger.exception("dashboard panel provider %r failed", provider)
    return sorted(panels, key=lambda panel: (panel.order, panel.key))


@dataclass(frozen=True)
class RenderedPanel:
    panel: Panel
    html: SafeString
    failed: bool = False

    @property
    def key(self) -> str:
        return self.panel.key

    @property
    def title(self) -> str:
        return str(self.panel.title)


def render_panels(
    request: HttpRequest, offering: Offering, panels: list[Panel]
) -> list[RenderedPanel]:
    """Each panel's HTML; a panel whose template fails is kept, marked `failed`, without it."""
    rendered = []
    for panel in panels:
        context = {**panel.context, "offering": offering, "panel": panel}
        try:
            html = render_to_string(panel.template, context, request=request)
        except Exception:  # as above: log it, show the others
            logger.exception("dashboard panel %r failed to render", panel.key)
            rendered.append(RenderedPanel(panel, SafeString(""), failed=True))
        else:
            rendered.append(RenderedPanel(panel, html))  # render_to_string: already safe
    return rendered


# -- courses' own panels -------------------------------------------------------------------------


@dataclass(frozen=True)
class NextLesson:
    """A lesson still to do, with its module and how many of its exercises are left."""

    module: ModuleProgress
    lesson: LessonProgress

    @property
    def exercises_left(self) -> int:
        return sum(1 for item in self.lesson.exercises if item.status != Progress.PASSED)

    @property
    def started(self) -> bool:
        return any(item.attempts for item in self.lesson.exercises)


@dataclass(frozen=True)
class GradeLine:
    """One exercise with something to show in "Grades so far"."""

    title: str
    slug: str
    grade: Grade


@dataclass
class StudentDashboard:
    """What the page shows an enrolled student: their next lessons, upcoming deadlines and
    grades, and the other apps' panels."""

    outline: CourseProgress
    next_lessons: list[NextLesson]
    deadlines: list[ExerciseProgress]
    grades: StudentGrades
    grade_lines: list[GradeLine]
    panels: list[RenderedPanel]

    @property
    def points_possible(self) -> int:
        return sum(grade.max_points for grade in self.grades.grades)

    @property
    def percent(self) -> int:
        possible = self.points_possible
        return int(self.grades.total * 100 / possible) if possible else 0


def is_active_student(user: User, offering: Offering) -> bool:
    return active_students(offering.pk).filter(user=user).exists()


def student_dashboard(request: HttpRequest, offering: Offering) -> StudentDashboard | None:
    """The dashboard of the request's user in `offering`, or None when they are not one of its
    active students (instructors, TAs and admins keep the plain offering page). A fixed number of
    queries whatever the class size or the student's history."""
    user = request.user
    if not is_active_student(user, offering):
        return None
    language = request.LANGUAGE_CODE
    outline = course_outline(offering=offering, user=user, language=language)
    grades = grades_from(outline, user)
    return StudentDashboard(
        outline=outline,
        next_lessons=next_lessons(outline),
        deadlines=upcoming_deadlines(outline, timezone.now()),
        grades=grades,
        grade_lines=grade_lines(grades, language),
        panels=render_panels(request, offering, dashboard_panels(user, offering)),
    )


def next_lessons(outline: CourseProgress, limit: int = NEXT_LESSONS) -> list[NextLesson]:
    """The first lessons still to do, in course order. A lesson is done when every exercise in
    it passed; a lesson without exercises counts as read once the student has tried an exercise
    of a later lesson (they have moved past it)."""
    lessons = [
        NextLesson(module, lesson) for module in outline.modules for lesson in module.lessons
    ]
    last_tried = max((i for i, item in enumerate(lessons) if item.started), default=-1)
    todo = [
        item
        for i, item in enumerate(lessons)
        if not item.lesson.done and (item.lesson.exercises or i > last_tried)
    ]
    return todo[:limit]


def upcoming_deadlines(
    outline: CourseProgress, now: datetime, limit: int = UPCOMING_DEADLINES
) -> list[ExerciseProgress]:
    """Exercises with a due date, not passed and still taking submissions, soonest first (an
    overdue one that is still open comes first: it is the most urgent)."""
    due = [
        item
        for item in outline.exercises
        if item.due_at is not None
        and item.status != Progress.PASSED
        and not (item.closes_at is not None and now > item.closes_at)
    ]
    return sorted(due, key=lambda item: item.due_at)[:limit]


def grades_from(outline: CourseProgress, student: User) -> StudentGrades:
    """The student's gradebook row (what `gradebook.student_grades` returns), built from the rows
    the outline has already read, so the page does not read them twice: each exercise gets the
    `due_at` and `penalty_percent` the gradebook's own query annotates it with, and the
    gradebook's `Grade` counts the attempts, so the late rule stays written once."""
    grades = []
    for item in outline.exercises:
        exercise = item.exercise
        exercise.due_at = item.due_at
        exercise.penalty_percent = (
            item.deadline.late_penalty_percent_per_day if item.deadline else None
        )
        grade = Grade(exercise=exercise)
        if item.override is not None:
            grade.override = Override(item.override.points, item.override.reason)
            grade.points = item.override.points
        due = effective_due(item.due_at, item.extension.until if item.extension else None)
        for attempt in item.attempts:
            grade.count(attempt, due)
        grades.append(grade)
    return StudentGrades(student=student, grades=grades)


def grade_lines(grades: StudentGrades, language: str) -> list[GradeLine]:
    """The exercises the student has tried or been given points on, in course order."""
    return [
        GradeLine(title_in(grade.exercise, language), grade.exercise.slug, grade)
        for grade in grades.grades
        if grade.attempts or grade.override is not None
    ]
