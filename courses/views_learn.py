"""The student's course pages: the outline with their progress, a lesson, an exercise with its
form and their attempts, an attempt's feedback fragment (fetched by the exercise page's script
when the attempt finishes), and the lessons' images.

An offering the user is not enrolled in does not exist for them here (404, never 403).

The exercise page includes the grader's `form_template` with the grader's `workspace()` merged
into its context, and these keys beside it, which every form template may rely on:
`submit_url` (POST the form there, with `{% csrf_token %}`), `exercise`, `offering`,
`language`, `values` (what the student sent when a submission was refused: field name → list
of strings; empty otherwise), `refusal` (the `ServiceError`, or None), `can_submit` and
`progress` (the exercise's state for the student).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from campus.api import ServiceError
from courses import selectors, selectors_learn
from courses.grading.attempts import submit_attempt
from courses.grading.registry import grader_for
from courses.grading.texts import localize
from courses.models import Attempt, Course, Exercise, Lesson, LessonImage, Offering
from courses.rendering import reading_minutes, render_inline, render_markdown
from courses.selectors_learn import POINT_PLACES

IMAGE_MAX_AGE_S = 3600
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


# --- shared ------------------------------------------------------------------------------------


def member_offering_or_404(request, slug: str) -> Offering:
    offering = selectors.member_offering(request.user, slug)
    if offering is None:
        raise Http404("No such offering.")
    return offering


def default_language(course: Course) -> str:
    return course.languages[0] if course.languages else "en"


def lesson_image_urls(lesson: Lesson) -> dict[str, str]:
    """The lesson's images by the name its Markdown uses (`images/<name>`) → their URL."""
    urls = {}
    for stored in selectors_learn.lesson_image_names(lesson):
        name = stored.removeprefix("images/")
        urls[name] = reverse("lesson-image", args=[lesson.course.slug, lesson.slug, name])
    return urls


def text_in(text: Any, language: str, course: Course) -> str:
    return localize(text, language, default_language(course))


# --- the outline and the lessons ---------------------------------------------------------------


@login_required
@require_GET
def course_outline(request, slug: str):
    offering = member_offering_or_404(request, slug)
    language = request.LANGUAGE_CODE
    outline = selectors_learn.course_outline(
        offering=offering, user=request.user, language=language
    )
    context = {
        "offering": offering,
        "course_title": offering.course.localized("title", language),
        "outline": outline,
    }
    return render(request, "courses/learn/outline.html", context)


@login_required
@require_GET
def lesson_page(request, slug: str, lesson_slug: str):
    offering = member_offering_or_404(request, slug)
    lesson = selectors_learn.lesson_of_course(offering.course, lesson_slug)
    if lesson is None:
        raise Http404("No such lesson.")
    language = request.LANGUAGE_CODE
    body = lesson.localized("body", language)
    rendered = render_markdown(body, images=lesson_image_urls(lesson), drop_title=True)
    before, after = selectors_learn.lesson_neighbours(offering.course, lesson, language)
    context = {
        "offering": offering,
        "course_title": offering.course.localized("title", language),
        "lesson": lesson,
        "title": lesson.localized("title", language),
        "module_title": lesson.module.localized("title", language),
        "minutes": lesson.minutes or reading_minutes(body),
        "body": rendered.html,
        "toc": rendered.toc(),
        "exercises": selectors_learn.exercise_progress(
            offering=offering,
            user=request.user,
            exercises=selectors_learn.lesson_exercises(lesson),
            language=language,
        ),
        "before": before and (before, selectors_learn.title_in(before, language)),
        "after": after and (after, selectors_learn.title_in(after, language)),
    }
    return render(request, "courses/learn/lesson.html", context)


@login_required
@require_GET
def lesson_image(request, course_slug: str, lesson_slug: str, name: str):
    """A lesson's image, for anyone who may read the course. An SVG is sent with a policy that
    keeps any script in it from running when it is opened on its own."""
    image = (
        LessonImage.objects.select_related("lesson__course")
        .filter(lesson__course__slug=course_slug, lesson__slug=lesson_slug)
        .filter(name__in=[name, f"images/{name}"])
        .first()
    )
    if image is None or not selectors_learn.can_read_course(request.user, image.lesson.course):
        raise Http404("No such image.")
    etag = f'"{image.sha256}"'
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(bytes(image.data), content_type=image.content_type)
    response["ETag"] = etag
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, max_age=IMAGE_MAX_AGE_S)
    if image.content_type.startswith("image/svg"):
        response["Content-Security-Policy"] = SVG_POLICY
    return response


# --- exercises ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def exercise_page(request, slug: str, exercise_slug: str):
    """GET shows the exercise; POST submits an attempt: on success back here (the new attempt
    highlighted), on a refusal the page again with the message and the student's input, 400."""
    offering = member_offering_or_404(request, slug)
    exercise = selectors_learn.exercise_of_course(offering.course, exercise_slug)
    if exercise is None:
        raise Http404("No such exercise.")
    exercise.course = offering.course
    if request.method == "GET":
        return render_exercise(request, offering, exercise)
    data = {key: values for key, values in request.POST.lists() if key != "csrfmiddlewaretoken"}
    try:
        attempt = submit_attempt(
            offering=offering,
            exercise=exercise,
            user=request.user,
            data=data,
            language=request.LANGUAGE_CODE,
        )
    except ServiceError as refusal:
        return render_exercise(request, offering, exercise, values=data, refusal=refusal)
    url = reverse("learn-exercise", args=[offering.slug, exercise.slug])
    return redirect(f"{url}?attempt={attempt.pk}#attempt-{attempt.pk}")


def render_exercise(
    request,
    offering: Offering,
    exercise: Exercise,
    *,
    values: dict[str, list[str]] | None = None,
    refusal: ServiceError | None = None,
) -> HttpResponse:
    language = request.LANGUAGE_CODE
    course = offering.course
    [progress] = selectors_learn.exercise_progress(
        offering=offering, user=request.user, exercises=[exercise], language=language
    )
    attempts = selectors_learn.student_attempts(
        offering=offering, exercise=exercise, user=request.user
    )
    grader = grader_for(exercise.kind)
    context: dict[str, Any] = {}
    if grader is not None:
        context.update(form_workspace(request, grader, exercise, offering))
    context.update(
        {
            "offering": offering,
            "course_title": course.localized("title", language),
            "exercise": exercise,
            "lesson_title": exercise.lesson.localized("title", language),
            "title": progress.title,
            "prompt": render_markdown(
                exercise.localized("prompt", language),
                images=lesson_image_urls(exercise.lesson),
                top_level=3,
                id_prefix="prompt-",
            ).html,
            "progress": progress,
            "grader": grader,
            "kind_label": progress.kind_label,
            "attempts": [attempt_view(a, exercise, language) for a in attempts],
            "highlight": request.GET.get("attempt", ""),
            "submit_url": reverse("learn-exercise", args=[offering.slug, exercise.slug]),
            "language": language,
            "values": values or {},
            "refusal": refusal,
            "can_submit": progress.can_submit,
            "live_config": live_config(offering, exercise),
        }
    )
    if exercise.kind == "quiz":
        given = values if values is not None else last_quiz_answers(attempts)
        context["questions"] = quiz_questions(exercise, language, given)
    return render(request, "courses/learn/exercise.html", context, status=400 if refusal else 200)


def live_config(offering: Offering, exercise: Exercise) -> dict:
    """What the page's script needs to follow the student's attempts at this exercise."""
    return {
        "socket": "/ws/attempts/",
        "offering": offering.pk,
        "exercise": exercise.pk,
        "points": exercise.points,
        "feedback": reverse("learn-attempt-feedback", args=[offering.slug, 0]),
        "labels": {str(value): str(label) for value, label in Attempt.Status.choices},
        "progress": {
            "passed": _("Passed"),
            "started": _("In progress"),
            "errored": _("Awaiting regrade"),
        },
        "announce": _("Attempt {number}: {status}"),
        "live": _("Live: results appear here as soon as they are graded."),
        "offline": _("Reconnecting… if a result does not appear, reload the page."),
    }


def form_workspace(request, grader, exercise: Exercise, offering: Offering) -> dict:
    """What the grader's form needs (a level's address, starter code); a workspace that cannot
    be prepared now says why instead of breaking the page."""
    try:
        workspace = dict(grader.workspace(exercise=exercise, offering=offering, user=request.user))
    except ServiceError as problem:
        return {"workspace_problem": problem}
    return {**workspace, "workspace": workspace}


@login_required
@require_GET
def attempt_feedback(request, slug: str, attempt_id: int):
    """One of the student's own attempts as the exercise page shows it (an HTML fragment)."""
    offering = member_offering_or_404(request, slug)
    attempt = selectors_learn.owned_attempt(
        offering=offering, user=request.user, attempt_id=attempt_id
    )
    if attempt is None:
        raise Http404("No such attempt.")
    context = {"attempt": attempt_view(attempt, attempt.exercise, request.LANGUAGE_CODE)}
    return render(request, "courses/learn/_attempt.html", context)


# --- how an attempt and a quiz are shown -------------------------------------------------------


def attempt_view(attempt: Attempt, exercise: Exercise, language: str) -> dict:
    course = exercise.course
    checks = [
        {
            "name": render_inline(text_in(check.get("name"), language, course)),
            "passed": bool(check.get("passed")),
            "detail": check.get("detail") or "",
            "hint": render_inline(text_in(check.get("hint"), language, course)),
        }
        for check in attempt.feedback or []
        if isinstance(check, dict)
    ]
    points = None if attempt.score is None else (attempt.score * exercise.points)
    return {
        "attempt": attempt,
        "checks": checks,
        "passed_checks": sum(1 for check in checks if check["passed"]),
        "points": None if points is None else points.quantize(POINT_PLACES),
        "max_points": exercise.points,
    }


def last_quiz_answers(attempts: list[Attempt]) -> dict[str, list[str]]:
    """The latest attempt's answers as form values, so a second try starts from the first."""
    if not attempts:
        return {}
    answers = attempts[0].submission.get("answers", {})
    return {
        qid: [str(v) for v in (given if isinstance(given, list) else [given])]
        for qid, given in answers.items()
    }


def quiz_questions(exercise: Exercise, language: str, given: dict[str, list[str]]) -> list[dict]:
    """The quiz's questions in the student's language, without their answers."""
    course = exercise.course
    questions = []
    for number, question in enumerate(exercise.spec.get("questions", []), start=1):
        chosen = given.get(question["id"], [])
        questions.append(
            {
                "id": question["id"],
                "number": number,
                "type": question["type"],
                "text": render_inline(text_in(question.get("text"), language, course)),
                "value": chosen[0] if chosen else "",
                "choices": [
                    {
                        "id": choice["id"],
                        "text": render_inline(text_in(choice.get("text"), language, course)),
                        "checked": choice["id"] in chosen,
                    }
                    for choice in question.get("choices", [])
                ],
            }
        )
    return questions
