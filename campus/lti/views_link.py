"""Pages that follow a launch: linking an unlinked LMS course to an offering, and resuming a
launch in a new window when the iframe lost its cookies.

They are reached with the launch id in the URL — an unguessable, expiring capability bound to
the person who launched — because inside the LMS iframe the session cookie may be missing. For
the same reason the picker's POST is csrf_exempt: the launch id in its URL is what an attacker
cannot forge, and the browser may not send a CSRF cookie in a cross-site frame."""

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from campus.lti import claims as c
from campus.lti.contexts import claim_resume, link_context, linkable_offerings, open_launch
from campus.lti.cookies import SESSION_KEY, mark_cross_site
from campus.lti.errors import LaunchError
from campus.lti.models import Launch
from campus.lti.responses import land, refusal


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def link_offering(request: HttpRequest, launch_id) -> HttpResponse:
    try:
        launch = open_launch(launch_id, user=request.user)
        if launch.role != "instructor":
            raise LaunchError("not_instructor")
        if request.method == "POST":
            _, landing = link_context(launch=launch, offering_id=_int(request.POST.get("offering")))
            return _after_link(request, launch, landing)
    except LaunchError as error:
        return refusal(request, error)
    context = {"launch": launch, "offerings": linkable_offerings(launch)}
    response = render(request, "lti/link_offering.html", context)
    return mark_cross_site(response, launch.registration.frame_origins)


@xframe_options_exempt
@require_GET
def resume(request: HttpRequest, launch_id) -> HttpResponse:
    """Open a launch in a new (first-party) window: logs its person in once, within
    LTI_RESUME_TTL_SECONDS of the launch."""
    try:
        launch = claim_resume(launch_id)
    except LaunchError as error:
        return refusal(request, error)
    login(request, launch.user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_KEY] = {
        "launch": str(launch.pk),
        "frame_origins": launch.registration.frame_origins,
    }
    if launch.landing:
        return HttpResponseRedirect(launch.landing)
    if launch.role == "instructor":
        return HttpResponseRedirect(reverse("lti:link", args=[launch.pk]))
    return mark_cross_site(
        render(request, "lti/not_connected.html", {"launch": launch}),
        launch.registration.frame_origins,
    )


def _after_link(request: HttpRequest, launch: Launch, landing: str) -> HttpResponse:
    if launch.kind == c.DEEP_LINKING_REQUEST:
        path = reverse("lti:deep_link", args=[launch.pk])
        return mark_cross_site(HttpResponseRedirect(path), launch.registration.frame_origins)
    return land(request, launch, landing)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
