"""Pages every LTI view may answer with: a refusal naming its code, and the landing that
survives a browser dropping third-party cookies."""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from campus.lti.cookies import PROBE_COOKIE, mark_cross_site
from campus.lti.errors import LaunchError
from campus.lti.models import Launch


def refusal(request: HttpRequest, error: LaunchError) -> HttpResponse:
    response = render(
        request,
        "lti/error.html",
        {"code": error.code, "message": error.message, "detail": error.detail},
        status=error.status,
    )
    response["X-LTI-Error"] = error.code
    return response


def in_iframe(request: HttpRequest) -> bool:
    return request.headers.get("Sec-Fetch-Dest") == "iframe"


def land(request: HttpRequest, launch: Launch, path: str) -> HttpResponse:
    """Send the launched person to `path`. In a top-level window a redirect does; in the LMS
    iframe a small page first checks the session cookie was kept (through a readable probe
    cookie set beside it) and otherwise offers "Open in a new window" with a one-time link, so a
    browser blocking third-party cookies gets a way in instead of a login loop."""
    if not in_iframe(request):
        response = HttpResponseRedirect(path)
    else:
        resume = reverse("lti:resume", args=[launch.pk])
        response = render(request, "lti/landing.html", {"path": path, "resume_url": resume})
    response.set_cookie(PROBE_COOKIE, "1", max_age=3600, secure=True, samesite="None")
    return mark_cross_site(response, launch.registration.frame_origins)
