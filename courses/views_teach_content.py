"""The course's content as the instructor sees it: its lessons and exercises, and forms to edit
a lesson's title and body, or an exercise's title, prompt, points and attempts allowed, in each of
the course's languages. Edits change the course for all its offerings, and re-importing the
course package from git overwrites them; the pages say so."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from campus.errors import ServiceError
from courses.forms_teaching import ExerciseTextForm, LessonTextForm
from courses.models import Course, Exercise, Lesson, Module, Offering
from courses.services_teaching import default_language, edit_exercise_text, edit_lesson
from courses.views_teach import require_manager, show_titles, teach_context, teaching_view


def course_languages(course: Course) -> list[dict]:
    """[{code, name}] for each language the course is written in, the default first."""
    codes = course.languages or [default_language(course.languages)]
    return [{"code": code, "name": _language_name(code)} for code in codes]


def _language_name(code: str) -> str:
    try:
        return get_language_info(code)["name_local"]
    except KeyError:
        return code


@teaching_view
@require_GET
def content(request: HttpRequest, offering: Offering) -> HttpResponse:
    modules = list(
        Module.objects.filter(course_id=offering.course_id).prefetch_related("lessons__exercises")
    )
    lessons = [lesson for module in modules for lesson in module.lessons.all()]
    show_titles(modules)
    show_titles(lessons)
    show_titles(exercise for lesson in lessons for exercise in lesson.exercises.all())
    context = teach_context(
        request,
        offering,
        "content",
        modules=modules,
        course_languages=course_languages(offering.course),
    )
    return render(request, "courses/teach/content.html", context)


@teaching_view
@require_http_methods(["GET", "POST"])
def lesson(request: HttpRequest, offering: Offering, lesson_slug: str) -> HttpResponse:
    require_manager(request)
    item = get_object_or_404(Lesson, course_id=offering.course_id, slug=lesson_slug)
    language = _language(request, offering.course)
    if request.method == "GET":
        initial = {field: item.localized(field, language) for field in ("title", "body")}
        return _render_edit(request, offering, item, language, LessonTextForm(initial=initial))
    form = LessonTextForm(request.POST)
    if not form.is_valid():
        return _render_edit(request, offering, item, language, form, status=400)
    try:
        edit_lesson(lesson=item, language=language, by=request.user, **form.cleaned_data)
    except ServiceError as refused:
        return _render_edit(request, offering, item, language, form, refused.message, 400)
    messages.success(
        request, _("Lesson “%(title)s” saved.") % {"title": form.cleaned_data["title"]}
    )
    return redirect(_edit_url("teach-lesson", offering, item, language))


@teaching_view
@require_http_methods(["GET", "POST"])
def exercise(request: HttpRequest, offering: Offering, exercise_slug: str) -> HttpResponse:
    require_manager(request)
    item = get_object_or_404(Exercise, course_id=offering.course_id, slug=exercise_slug)
    language = _language(request, offering.course)
    if request.method == "GET":
        initial = {
            "title": item.localized("title", language),
            "prompt": item.localized("prompt", language),
            "points": item.points,
            "max_attempts": item.max_attempts,
        }
        return _render_edit(request, offering, item, language, ExerciseTextForm(initial=initial))
    form = ExerciseTextForm(request.POST)
    if not form.is_valid():
        return _render_edit(request, offering, item, language, form, status=400)
    try:
        edit_exercise_text(exercise=item, language=language, by=request.user, **form.cleaned_data)
    except ServiceError as refused:
        return _render_edit(request, offering, item, language, form, refused.message, 400)
    messages.success(
        request, _("Exercise “%(title)s” saved.") % {"title": form.cleaned_data["title"]}
    )
    return redirect(_edit_url("teach-exercise", offering, item, language))


def _language(request: HttpRequest, course: Course) -> str:
    """The language being edited: `?language=`, else the course's default; 404 if unknown."""
    codes = [language["code"] for language in course_languages(course)]
    language = request.GET.get("language") or codes[0]
    if language not in codes:
        raise Http404("The course is not written in that language.")
    return language


def _edit_url(name: str, offering: Offering, item: Lesson | Exercise, language: str) -> str:
    return reverse(name, args=[offering.slug, item.slug]) + f"?language={language}"


def _render_edit(
    request: HttpRequest,
    offering: Offering,
    item: Lesson | Exercise,
    language: str,
    form: LessonTextForm | ExerciseTextForm,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    is_lesson = isinstance(item, Lesson)
    for name in ("title", "body", "prompt"):
        if name in form.fields:
            form.fields[name].widget.attrs["lang"] = language
    languages = course_languages(offering.course)
    context = teach_context(
        request,
        offering,
        "content",
        item=item,
        is_lesson=is_lesson,
        url_name="teach-lesson" if is_lesson else "teach-exercise",
        language=language,
        language_name=_language_name(language),
        is_default_language=language == languages[0]["code"],
        course_languages=languages,
        form=form,
        error=error,
    )
    return render(request, "courses/teach/edit.html", context, status=status)
