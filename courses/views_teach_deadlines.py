"""The deadlines page: one row per exercise with when it opens, is due and closes, and what each
day late costs, each row its own form; times in the offering's time zone."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campus.errors import ServiceError
from courses.forms_teaching import DeadlineForm
from courses.models import Deadline, Exercise, Offering
from courses.services_teaching import set_deadline
from courses.views_teach import require_manager, show_titles, teach_context, teaching_view


@teaching_view
@require_GET
def deadlines(request: HttpRequest, offering: Offering) -> HttpResponse:
    return render_deadlines(request, offering)


@teaching_view
@require_POST
def save_deadline(request: HttpRequest, offering: Offering, exercise_slug: str) -> HttpResponse:
    require_manager(request)
    exercise = get_object_or_404(Exercise, course_id=offering.course_id, slug=exercise_slug)
    form = _form(exercise, request.POST)
    if not form.is_valid():
        return render_deadlines(request, offering, failed=(exercise.pk, form, ""), status=400)
    try:
        set_deadline(offering=offering, exercise=exercise, by=request.user, **form.cleaned_data)
    except ServiceError as refused:
        failed = (exercise.pk, form, refused.message)
        return render_deadlines(request, offering, failed=failed, status=400)
    messages.success(request, _("Deadline for “%(title)s” saved.") % {"title": _title(exercise)})
    return redirect(reverse("teach-deadlines", args=[offering.slug]) + f"#deadline-{exercise.slug}")


def render_deadlines(
    request: HttpRequest,
    offering: Offering,
    *,
    failed: tuple[int, DeadlineForm, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Every exercise's row; the one whose save failed keeps what was typed and the refusal."""
    saved = {d.exercise_id: d for d in Deadline.objects.filter(offering=offering)}
    rows = []
    exercises = list(Exercise.objects.filter(course_id=offering.course_id).select_related("lesson"))
    show_titles(exercises)
    show_titles({exercise.lesson for exercise in exercises})
    for exercise in exercises:
        if failed and failed[0] == exercise.pk:
            form, error = failed[1], failed[2]
        else:
            initial = _initial(saved, exercise)
            form = _form(exercise, initial=initial, editable=request.manages_offering)
            error = ""
        rows.append({"exercise": exercise, "form": form, "error": error})
    context = teach_context(request, offering, "deadlines", rows=rows)
    return render(request, "courses/teach/deadlines.html", context, status=status)


def _form(exercise: Exercise, data=None, **kwargs) -> DeadlineForm:
    return DeadlineForm(
        data, prefix=exercise.slug, html_form=f"deadline-form-{exercise.slug}", **kwargs
    )


def _initial(saved: dict[int, Deadline], exercise: Exercise) -> dict:
    deadline = saved.get(exercise.pk)
    if deadline is None:
        return {"late_penalty_percent_per_day": Decimal(0)}
    return {
        "opens_at": deadline.opens_at,
        "due_at": deadline.due_at,
        "hard_deadline_at": deadline.hard_deadline_at,
        "late_penalty_percent_per_day": deadline.late_penalty_percent_per_day,
    }


def _title(exercise: Exercise) -> str:
    return exercise.localized("title", get_language())
