"""The protocol endpoints: the tool's key set, OIDC login initiation and the launch.

Login and launch are csrf_exempt: the platform POSTs them cross-site, and what protects them is
the signed id_token, the single-use nonce and the state bound to the browser — not a CSRF cookie,
which the browser would not even send there."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campus.lti import claims as c
from campus.lti.cookies import SESSION_KEY, cross_site_cookie, mark_cross_site
from campus.lti.errors import LaunchError
from campus.lti.keys import published_jwks
from campus.lti.launches import LaunchOutcome, PendingLaunch, complete_launch, verify_launch
from campus.lti.models import LaunchState
from campus.lti.oidc import origin_of, start_login
from campus.lti.responses import land, refusal

STATE_COOKIE = "lti1p3_state_"
LOGIN_PARAMS = (
    "iss",
    "login_hint",
    "target_link_uri",
    "lti_message_hint",
    "client_id",
    "lti_deployment_id",
    "lti_storage_target",
)


@require_GET
@cache_control(max_age=300, public=True)
def jwks(request: HttpRequest) -> JsonResponse:
    return JsonResponse(published_jwks())


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def oidc_login(request: HttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    params = {name: source.get(name, "") for name in LOGIN_PARAMS}
    try:
        redirect = start_login(
            params=params, redirect_uri=request.build_absolute_uri(reverse("lti:launch"))
        )
    except LaunchError as error:
        return refusal(request, error)
    if request.headers.get("Sec-Fetch-Dest") == "document" and not redirect.storage_target:
        response = HttpResponseRedirect(redirect.url)
    else:
        new_window = reverse("lti:login") + "?" + urlencode({k: v for k, v in params.items() if v})
        response = render(
            request, "lti/login.html", {"redirect": redirect, "new_window_url": new_window}
        )
    cross_site_cookie(
        response,
        STATE_COOKIE + redirect.state,
        redirect.state,
        max_age=settings.LTI_STATE_TTL_SECONDS,
        path=reverse("lti:launch"),
    )
    return response


@csrf_exempt
@xframe_options_exempt
@require_POST
def launch(request: HttpRequest) -> HttpResponse:
    try:
        pending = verify_launch(
            id_token=request.POST.get("id_token", ""), state=request.POST.get("state", "")
        )
        if not _browser_bound(request, pending.login):
            if pending.login.storage_target and "lti_storage_state" not in request.POST:
                return _storage_check(request, pending)
            raise LaunchError("state_unverified")
        outcome = complete_launch(pending)
    except LaunchError as error:
        return refusal(request, error)
    _log_in(request, outcome)
    return _after_launch(request, outcome)


def _browser_bound(request: HttpRequest, login_state: LaunchState) -> bool:
    """The browser posting the launch is the one that started the login: it holds our state
    cookie, or it read the state and nonce back from the platform's storage."""
    if request.COOKIES.get(STATE_COOKIE + login_state.state) == login_state.state:
        return True
    return (
        request.POST.get("lti_storage_state") == login_state.state
        and request.POST.get("lti_storage_nonce") == login_state.nonce
    )


def _storage_check(request: HttpRequest, pending: PendingLaunch) -> HttpResponse:
    """No state cookie came back (third-party cookies blocked): read the state and nonce we
    stored through the platform's postMessage storage and post the launch again with them."""
    context = {
        "id_token": request.POST["id_token"],
        "state": pending.login.state,
        "nonce": pending.login.nonce,
        "storage_target": pending.login.storage_target,
        "platform_origin": origin_of(pending.registration.auth_login_url),
    }
    return render(request, "lti/storage_check.html", context)


def _log_in(request: HttpRequest, outcome: LaunchOutcome) -> None:
    login(request, outcome.user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_KEY] = {
        "launch": str(outcome.launch.pk),
        "frame_origins": outcome.launch.registration.frame_origins,
    }


def _after_launch(request: HttpRequest, outcome: LaunchOutcome) -> HttpResponse:
    launch_record = outcome.launch
    if outcome.landing is None:
        if launch_record.role == "instructor":
            return _go(request, launch_record, reverse("lti:link", args=[launch_record.pk]))
        response = render(request, "lti/not_connected.html", {"launch": launch_record})
        return mark_cross_site(response, launch_record.registration.frame_origins)
    if launch_record.kind == c.DEEP_LINKING_REQUEST:
        return _go(request, launch_record, reverse("lti:deep_link", args=[launch_record.pk]))
    return land(request, launch_record, outcome.landing)


def _go(request: HttpRequest, launch_record, path: str) -> HttpResponse:
    """Pages of the launch itself carry the launch id, so a plain redirect works even when the
    session cookie was dropped."""
    return mark_cross_site(HttpResponseRedirect(path), launch_record.registration.frame_origins)
