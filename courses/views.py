from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from courses import selectors
from courses.models import Offering
from courses.panels import student_dashboard


@login_required
def home(request):
    """One home for everyone: what they study, what they teach, what they administer."""
    user = request.user
    context = {
        "student_enrollments": selectors.student_enrollments(user),
        "taught_offerings": selectors.offerings_taught_by(user),
        "administered_offerings": selectors.offerings_administered_by(user),
    }
    return render(request, "courses/home.html", context)


def _visible_offering(request, slug: str) -> Offering:
    """404, not 403, for an offering the user may not see: its existence is not theirs to learn."""
    return get_object_or_404(selectors.visible_offerings(request.user), slug=slug)


@login_required
def offering_detail(request, slug: str):
    """The offering's page: for its active students, their dashboard (next lessons, deadlines,
    grades and the sandbox's panels) above the offering's links; for everyone else who may see
    it, the links, with the roster and course admin for those who teach."""
    offering = _visible_offering(request, slug)
    dashboard = student_dashboard(request, offering)
    course, language = offering.course, request.LANGUAGE_CODE
    context = {
        "offering": offering,
        "course_title": course.localized("title", language),
        "course_summary": course.localized("summary", language),
        "dashboard": dashboard,
        "can_view_roster": selectors.can_view_roster(request.user, offering),
        "can_manage": selectors.can_manage_offering(request.user, offering),
        # an active student is a member: no need to ask again
        "is_member": dashboard is not None
        or selectors.member_offering(request.user, slug) is not None,
    }
    return render(request, "courses/offering_detail.html", context)


@login_required
def offering_roster(request, slug: str):
    offering = _visible_offering(request, slug)
    if not selectors.can_view_roster(request.user, offering):
        raise Http404("No roster for you here.")
    context = {
        "offering": offering,
        "roster": selectors.roster(offering),
        "can_manage": selectors.can_manage_offering(request.user, offering),
    }
    return render(request, "courses/roster.html", context)
