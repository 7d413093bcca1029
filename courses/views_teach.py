"""The instructor's pages for an offering, under /offerings/<slug>/teach/: the gradebook and its
CSV export, and the roster's progress. Deadlines, a student's attempts and the course's content
are in `views_teach_deadlines`, `views_teach_students` and `views_teach_content`.

Who gets in: the offering's instructors and TAs, admins of its university, superusers; anyone
else gets a 404 (the offering's existence is not theirs to learn). Changes are for those who
manage the offering (not TAs, who get a 403). Every change is a POST to a service, answered with a
redirect and a message; a refusal re-renders the page with the service's message beside the form,
with HTTP 400, and nothing changed. Times are shown and typed in the offering's time zone.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from functools import wraps
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from courses import gradebook as grades
from courses import selectors
from courses.models import Offering
from courses.models.localized import Localized
from courses.student_links import student_links

SORTS = ("name", "-name", "total", "-total")


def offering_timezone(offering: Offering) -> ZoneInfo:
    """The time zone an offering's deadlines are shown and typed in (the site's, for now)."""
    return ZoneInfo(settings.TIME_ZONE)


def teaching_view(view: Callable) -> Callable:
    """Logged in, never cached, times in the offering's time zone."""

    @wraps(view)
    def wrapped(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
        offering = get_object_or_404(selectors.visible_offerings(request.user), slug=slug)
        if not selectors.can_view_roster(request.user, offering):
            raise Http404("Not an offering you teach.")
        request.manages_offering = selectors.can_manage_offering(request.user, offering)
        with timezone.override(offering_timezone(offering)):
            return view(request, offering, *args, **kwargs)

    return login_required(never_cache(wrapped))


def require_manager(request: HttpRequest) -> None:
    """A TA sees the pages but changes nothing."""
    if not request.manages_offering:
        raise PermissionDenied("Only the offering's instructors may change this.")


def show_titles(items: Iterable[Localized]) -> None:
    """Give each lesson or exercise a `shown_title` in the page's language."""
    language = get_language()
    for item in items:
        item.shown_title = item.localized("title", language)


def teach_context(request: HttpRequest, offering: Offering, tab: str, **extra) -> dict:
    return {
        "offering": offering,
        "can_manage": request.manages_offering,
        "tab": tab,
        "time_zone": str(offering_timezone(offering)),
        **extra,
    }


@teaching_view
@require_GET
def gradebook(request: HttpRequest, offering: Offering) -> HttpResponse:
    book = grades.gradebook(offering)
    show_titles(book.exercises)
    sort = request.GET.get("sort") if request.GET.get("sort") in SORTS else "name"
    context = teach_context(
        request,
        offering,
        "gradebook",
        book=book,
        rows=book.sorted(sort),
        sort=sort,
        name_sort="-name" if sort == "name" else "name",
        total_sort="total" if sort == "-total" else "-total",
    )
    return render(request, "courses/teach/gradebook.html", context)


@teaching_view
@require_GET
def gradebook_csv(request: HttpRequest, offering: Offering) -> HttpResponse:
    """UTF-8 with a byte-order mark, so Excel reads Korean names right."""
    sort = request.GET.get("sort") if request.GET.get("sort") in SORTS else "name"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{offering.slug}-gradebook.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerows(grades.csv_rows(grades.gradebook(offering), sort=sort))
    return response


@teaching_view
@require_GET
def progress(request: HttpRequest, offering: Offering) -> HttpResponse:
    book = grades.gradebook(offering)
    lessons = grades.lessons_of(book)
    show_titles(lessons)
    students = [
        {
            "row": row,
            "lessons": grades.lesson_progress(row),
            "links": student_links(request.user, offering, row.student),
        }
        for row in book.sorted("name")
    ]
    context = teach_context(request, offering, "progress", lessons=lessons, students=students)
    return render(request, "courses/teach/progress.html", context)
