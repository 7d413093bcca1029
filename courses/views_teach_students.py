"""One student's page: every attempt at every exercise (status, score, feedback, the error of an
errored one), the grade that counts, and the instructor's actions: re-grade an attempt, override
a grade or clear the override, grant or take back an extension."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campus.api import User
from campus.errors import ServiceError
from courses import services_teaching as services
from courses.forms_teaching import ExtensionForm, OverrideForm
from courses.gradebook import (
    GRADED,
    Grade,
    days_late,
    effective_due,
    late_points,
    student_grades,
)
from courses.grading.attempts import regrade_attempt
from courses.grading.texts import localize
from courses.models import Attempt, Deadline, Enrollment, Exercise, Extension, Offering
from courses.student_links import student_links
from courses.views_teach import require_manager, show_titles, teach_context, teaching_view


@dataclass
class Refusal:
    """What failed on the page, to show beside its form: which exercise, which action."""

    exercise_id: int
    action: str
    message: str = ""
    form: forms.Form | None = None
    attempt_id: int | None = None


@dataclass
class ExerciseSection:
    grade: Grade
    attempts: list[dict]
    deadline: Deadline | None
    extension: Extension | None
    override_form: OverrideForm
    extension_form: ExtensionForm
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def exercise(self) -> Exercise:
        return self.grade.exercise


@teaching_view
@require_GET
def student(request: HttpRequest, offering: Offering, user_id: int) -> HttpResponse:
    return render_student(request, offering, _student(offering, user_id))


@teaching_view
@require_POST
def regrade(request: HttpRequest, offering: Offering, user_id: int, attempt_id: int):
    require_manager(request)
    person = _student(offering, user_id)
    attempt = get_object_or_404(
        Attempt.objects.select_related("exercise"), pk=attempt_id, offering=offering, user=person
    )
    try:
        regrade_attempt(attempt=attempt, by=request.user)
    except ServiceError as refused:
        failed = Refusal(attempt.exercise_id, "regrade", refused.message, attempt_id=attempt.pk)
        return render_student(request, offering, person, failed=failed, status=400)
    messages.success(
        request,
        _("Attempt %(number)d at “%(title)s” is queued to be graded again.")
        % {"number": attempt.number, "title": _title(attempt.exercise)},
    )
    return _back(offering, person, attempt.exercise)


@teaching_view
@require_POST
def override(request: HttpRequest, offering: Offering, user_id: int, exercise_slug: str):
    require_manager(request)
    person, exercise = _student(offering, user_id), _exercise(offering, exercise_slug)
    form = OverrideForm(request.POST, prefix=f"override-{exercise.slug}")
    return _act(
        request,
        offering,
        person,
        exercise,
        Refusal(exercise.pk, "override", form=form),
        lambda data: services.set_override(
            offering=offering, exercise=exercise, student=person, by=request.user, **data
        ),
        _("Grade for “%(title)s” overridden."),
    )


@teaching_view
@require_POST
def clear_override(request: HttpRequest, offering: Offering, user_id: int, exercise_slug: str):
    require_manager(request)
    person, exercise = _student(offering, user_id), _exercise(offering, exercise_slug)
    return _act(
        request,
        offering,
        person,
        exercise,
        Refusal(exercise.pk, "override"),
        lambda _data: services.clear_override(
            offering=offering, exercise=exercise, student=person, by=request.user
        ),
        _("Override on “%(title)s” cleared: the best attempt counts again."),
    )


@teaching_view
@require_POST
def extension(request: HttpRequest, offering: Offering, user_id: int, exercise_slug: str):
    require_manager(request)
    person, exercise = _student(offering, user_id), _exercise(offering, exercise_slug)
    form = ExtensionForm(request.POST, prefix=f"extension-{exercise.slug}")
    return _act(
        request,
        offering,
        person,
        exercise,
        Refusal(exercise.pk, "extension", form=form),
        lambda data: services.grant_extension(
            offering=offering, exercise=exercise, student=person, by=request.user, **data
        ),
        _("Extension for “%(title)s” granted."),
    )


@teaching_view
@require_POST
def revoke_extension(request: HttpRequest, offering: Offering, user_id: int, exercise_slug: str):
    require_manager(request)
    person, exercise = _student(offering, user_id), _exercise(offering, exercise_slug)
    return _act(
        request,
        offering,
        person,
        exercise,
        Refusal(exercise.pk, "extension"),
        lambda _data: services.revoke_extension(
            offering=offering, exercise=exercise, student=person, by=request.user
        ),
        _("Extension for “%(title)s” taken back."),
    )


def _act(request, offering, person, exercise, failed: Refusal, change, done: str) -> HttpResponse:
    """Validate the form (if any), call the service, redirect with `done`; or show the refusal."""
    if failed.form is not None and not failed.form.is_valid():
        return render_student(request, offering, person, failed=failed, status=400)
    try:
        change(failed.form.cleaned_data if failed.form is not None else {})
    except ServiceError as refused:
        failed.message = refused.message
        return render_student(request, offering, person, failed=failed, status=400)
    messages.success(request, done % {"title": _title(exercise)})
    return _back(offering, person, exercise)


def render_student(
    request: HttpRequest,
    offering: Offering,
    person: User,
    *,
    failed: Refusal | None = None,
    status: int = 200,
) -> HttpResponse:
    row = student_grades(offering, person)
    if row is None:
        raise Http404("Not an active student here.")
    attempts = _attempts_by_exercise(offering, person)
    deadlines = {d.exercise_id: d for d in Deadline.objects.filter(offering=offering)}
    extensions = {
        e.exercise_id: e for e in Extension.objects.filter(offering=offering, user=person)
    }
    show_titles(grade.exercise for grade in row.grades)
    sections = [_section(grade, attempts, deadlines, extensions, failed) for grade in row.grades]
    context = teach_context(
        request,
        offering,
        "progress",
        person=person,
        row=row,
        sections=sections,
        max_total=sum(grade.max_points for grade in row.grades),
        links=student_links(request.user, offering, person),
    )
    return render(request, "courses/teach/student.html", context, status=status)


def _section(grade, attempts, deadlines, extensions, failed: Refusal | None) -> ExerciseSection:
    exercise = grade.exercise
    slug = exercise.slug
    override_initial = (
        {"points": grade.override.points, "reason": grade.override.reason} if grade.override else {}
    )
    section = ExerciseSection(
        grade=grade,
        attempts=attempts.get(exercise.pk, []),
        deadline=deadlines.get(exercise.pk),
        extension=extensions.get(exercise.pk),
        override_form=OverrideForm(prefix=f"override-{slug}", initial=override_initial),
        extension_form=ExtensionForm(prefix=f"extension-{slug}"),
    )
    for item in section.attempts:
        _score_attempt(item, grade, extensions.get(exercise.pk))
    if failed is not None and failed.exercise_id == exercise.pk:
        _show_refusal(section, failed)
    return section


def _score_attempt(item: dict, grade: Grade, extension: Extension | None) -> None:
    """What this attempt earns under the late rule (the best of them counts)."""
    attempt, exercise = item["attempt"], grade.exercise
    item["points"], item["days_late"] = None, 0
    if attempt.status not in GRADED or attempt.score is None:
        return
    due = effective_due(exercise.due_at, extension.until if extension else None)
    item["days_late"] = days_late(attempt.submitted_at, due)
    item["points"] = late_points(
        score=attempt.score,
        points=exercise.points,
        days=item["days_late"],
        penalty_percent=exercise.penalty_percent,
    )


def _show_refusal(section: ExerciseSection, failed: Refusal) -> None:
    if failed.form is not None:
        setattr(section, f"{failed.action}_form", failed.form)
    if failed.attempt_id is None:
        section.errors[failed.action] = failed.message
        return
    for item in section.attempts:
        if item["attempt"].pk == failed.attempt_id:
            item["error"] = failed.message


def _attempts_by_exercise(offering: Offering, person: User) -> dict[int, list[dict]]:
    """Each exercise's attempts, newest first, with their feedback in the page's language."""
    default = services.default_language(offering.course.languages)
    language = get_language()
    by_exercise: dict[int, list[dict]] = {}
    for attempt in Attempt.objects.filter(offering=offering, user=person).order_by(
        "exercise_id", "-number"
    ):
        checks = [
            {
                "name": localize(check.get("name"), language, default),
                "passed": check.get("passed"),
                "detail": localize(check.get("detail"), language, default),
                "hint": localize(check.get("hint"), language, default),
            }
            for check in attempt.feedback or []
            if isinstance(check, dict)
        ]
        by_exercise.setdefault(attempt.exercise_id, []).append(
            {"attempt": attempt, "checks": checks}
        )
    return by_exercise


def _student(offering: Offering, user_id: int) -> User:
    enrolment = get_object_or_404(
        Enrollment.objects.select_related("user"),
        offering=offering,
        user_id=user_id,
        role=Enrollment.Role.STUDENT,
        is_active=True,
    )
    return enrolment.user


def _exercise(offering: Offering, slug: str) -> Exercise:
    return get_object_or_404(Exercise, course_id=offering.course_id, slug=slug)


def _title(exercise: Exercise) -> str:
    return exercise.localized("title", get_language())


def _back(offering: Offering, person: User, exercise: Exercise) -> HttpResponse:
    url = reverse("teach-student", args=[offering.slug, person.pk])
    return redirect(f"{url}#exercise-{exercise.slug}")
