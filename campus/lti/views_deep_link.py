"""The deep-linking picker and its auto-submitting answer to the platform. Reached with the
launch id (see views_link for why that, and not the session, authorises it)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from campus.lti.contexts import open_launch
from campus.lti.cookies import mark_cross_site
from campus.lti.deep_linking import choices, linked_offering, respond
from campus.lti.errors import LaunchError
from campus.lti.responses import refusal


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def deep_link(request: HttpRequest, launch_id) -> HttpResponse:
    try:
        launch = open_launch(launch_id, user=request.user)
        offering = linked_offering(launch)
        if request.method == "POST":
            answer = respond(
                launch=launch,
                key=request.POST.get("item", ""),
                absolute=request.build_absolute_uri,
            )
            page = render(request, "lti/deep_link_return.html", {"answer": answer})
            return mark_cross_site(page, launch.registration.frame_origins)
    except LaunchError as error:
        return refusal(request, error)
    context = {"launch": launch, "offering": offering, "choices": choices(offering)}
    page = render(request, "lti/deep_link.html", context)
    return mark_cross_site(page, launch.registration.frame_origins)
