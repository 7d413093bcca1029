"""The instructor's LMS page for an offering: linked LMS courses, roster sync on demand, and the
status of every score sent back."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from campus.errors import ServiceError
from campus.lti.models import ContextLink, ScoreSync
from campus.lti.nrps import sync_roster
from courses.api import manageable_offerings


@login_required
@require_http_methods(["GET", "POST"])
def offering_lti(request: HttpRequest, slug: str) -> HttpResponse:
    offering = manageable_offerings(request.user).filter(slug=slug).first()
    if offering is None:
        raise Http404
    contexts = ContextLink.objects.filter(offering=offering).select_related("registration")
    if request.method == "POST":
        context = contexts.filter(pk=request.POST.get("context")).first()
        if context is None:
            raise Http404
        _sync(request, context)
        return redirect("lti:offering", slug=slug)
    scores = (
        ScoreSync.objects.filter(context__offering=offering)
        .select_related("exercise", "user", "context")
        .order_by("status", "-updated_at")[:200]
    )
    context = {"offering": offering, "contexts": contexts, "scores": scores}
    return render(request, "lti/offering.html", context)


def _sync(request: HttpRequest, context: ContextLink) -> None:
    try:
        result = sync_roster(context=context)
    except ServiceError as error:
        messages.error(request, error.message)
        return
    messages.success(
        request,
        _("Roster synced: %(enrolled)d active, %(deactivated)d deactivated.")
        % {"enrolled": len(result.enrolled), "deactivated": len(result.deactivated)},
    )
