"""/lti/register/: LTI Dynamic Registration, as the platform opens it (see
campus.lti.dynamic_registration for the flow and why the confirmation never shows in a frame)."""

import re
from urllib.parse import urlencode, urlsplit

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from campus.lti import claims as c
from campus.lti.dynamic_registration import relay
from campus.lti.dynamic_registration.errors import RegistrationError
from campus.lti.dynamic_registration.platform import (
    PlatformConfiguration,
    fetch_platform_configuration,
)
from campus.lti.dynamic_registration.services import (
    check_may_register,
    existing_registrations,
    register_tool,
    registering_universities,
)
from campus.lti.dynamic_registration.tool import client_registration
from campus.lti.responses import in_iframe
from campus.models import User

# The platform made its side of the registration before we found its answer unusable. (Not so
# for `already_registered`: there the platform answered with a client it already had.)
PLATFORM_MAY_HAVE_IT = ("invalid_registration",)
HOST = re.compile(r"^[a-z0-9.-]+$")  # a DNS name or IPv4 address, as urlsplit lowercases it
SCOPE_LABELS = {
    c.SCOPE_LINEITEM: _("Create gradebook columns for graded exercises"),
    c.SCOPE_SCORE: _("Send students' scores to the gradebook"),
    c.SCOPE_NRPS: _("Read course rosters, to enrol and unenrol students"),
}


class RegistrationForm(forms.Form):
    name = forms.CharField(label=_("Name shown in BlockCampus"), max_length=200)
    university = forms.ModelChoiceField(
        label=_("University"), queryset=None, empty_label=_("(none: the whole campus)")
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["university"]
        field.queryset = registering_universities(user)
        field.required = not user.is_superuser
        if field.required:
            field.empty_label = None


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    config_url = request.GET.get("openid_configuration", "").strip()
    if in_iframe(request):
        return _relay(request, config_url)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        check_may_register(request.user)
        platform = fetch_platform_configuration(config_url)
        form = RegistrationForm(
            request.POST or None, user=request.user, initial=_initial(request.user, platform)
        )
        if request.method == "POST":
            return _submit(request, platform, form)
    except RegistrationError as error:
        return _refusal(request, error)
    return _confirm(request, platform, form)


def _submit(request: HttpRequest, platform: PlatformConfiguration, form) -> HttpResponse:
    if not form.is_valid():
        return _confirm(request, platform, form, status=400)
    registration = register_tool(
        platform=platform,
        registration_token=request.GET.get("registration_token", ""),
        base_url=request.build_absolute_uri("/"),
        name=form.cleaned_data["name"],
        university=form.cleaned_data["university"],
        by=request.user,
    )
    relay.mark_registered(request.GET.get(relay.PARAM, ""))
    context = {
        "registration": registration,
        "deployments": registration.deployments.all(),
        "from_relay": relay.PARAM in request.GET,
    }
    return _unframed(render(request, "lti/register_done.html", context))


def _confirm(request: HttpRequest, platform: PlatformConfiguration, form, status: int = 200):
    asked = client_registration(platform, base_url=request.build_absolute_uri("/"))
    context = {
        "platform": platform,
        "form": form,
        "scopes": [SCOPE_LABELS.get(scope, scope) for scope in asked["scope"].split()],
        "existing": existing_registrations(platform),
    }
    return _unframed(render(request, "lti/register_confirm.html", context, status=status))


def _unframed(response: HttpResponse) -> HttpResponse:
    """No page may frame it: not even the LMS that an LTI session otherwise lets frame the site."""
    response["Content-Security-Policy"] = "frame-ancestors 'none'"
    return response


def _initial(user: User, platform: PlatformConfiguration) -> dict:
    host = urlsplit(platform.issuer).hostname or platform.issuer
    initial = {"name": f"{platform.product_family_code.capitalize()} ({host})"}
    universities = list(registering_universities(user)[:2])
    if not user.is_superuser and len(universities) == 1:
        initial["university"] = universities[0]
    return initial


@require_GET
@never_cache
def register_status(request: HttpRequest) -> JsonResponse:
    """Whether the registration the relay's ticket went with has finished (see relay)."""
    return JsonResponse({"registered": relay.is_registered(request.GET.get(relay.PARAM, ""))})


def _relay(request: HttpRequest, config_url: str) -> HttpResponse:
    """In the platform's frame: a page that continues in a window of its own and, once that window
    has registered, passes the close message on. It may be framed by the configuration URL's
    origin; it fetches nothing from the platform."""
    ticket = {relay.PARAM: relay.new_ticket()}
    query = request.GET.copy()
    query[relay.PARAM] = ticket[relay.PARAM]
    context = {
        "url": f"{request.path}?{query.urlencode()}",
        "status_url": f"{reverse('lti:register_status')}?{urlencode(ticket)}",
    }
    response = render(request, "lti/register_frame.html", context)
    frame_origin = _frame_origin(config_url)
    if frame_origin:
        response.xframe_options_exempt = True
        response["Content-Security-Policy"] = f"frame-ancestors 'self' {frame_origin}"
    return response


def _frame_origin(config_url: str) -> str | None:
    """The configuration URL's origin, if it is a plain scheme://host[:port] (it goes into a
    header)."""
    parts = urlsplit(config_url)
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not HOST.match(parts.hostname or ""):
        return None
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else "")


def _refusal(request: HttpRequest, error: RegistrationError) -> HttpResponse:
    context = {
        "code": error.code,
        "message": error.message,
        "detail": error.detail,
        "platform_may_have_it": error.code in PLATFORM_MAY_HAVE_IT,
    }
    response = render(request, "lti/register_error.html", context, status=error.status)
    response["X-LTI-Error"] = error.code
    return response
