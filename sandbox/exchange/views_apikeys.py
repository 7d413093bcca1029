"""The student's API keys page for an offering's sandbox exchange: create, list, revoke.

A new key's secret appears once, on the page the create form redirects to (so reloading it neither
creates a second key nor shows the secret again): the session carries only the new key's id, and
that page reads it, decrypts the secret and forgets the id. Copy-ready snippets for the
Binance-shaped API go with it. Revoking asks first, on a page of its own, so it needs no JavaScript. Only
people actively enrolled in the offering get here (the trading page's rule); a key that is not the
viewer's is a 404, as if it did not exist.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from campus.api import User
from campus.errors import ServiceError
from courses.api import Offering, OfferingLink
from sandbox.exchange.access import member_offering_or_404
from sandbox.exchange.apikeys import create_api_key, decrypt_secret, revoke_api_key
from sandbox.exchange.forms import ApiKeyForm
from sandbox.exchange.models import ApiKey
from sandbox.wallet import selectors as wallet_selectors

# After a create, the session names the new key (never its secret) for the next page to show once.
SHOW_SECRET_SESSION_KEY = "sandbox_api_key_to_show"
SHOW_SECRET_WITHIN = timedelta(minutes=10)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest, slug: str) -> HttpResponse:
    offering = member_offering_or_404(request, slug)
    if request.method == "GET":
        created, secret = _secret_to_show_once(request, offering)
        return _render(request, offering, ApiKeyForm(), created=created, secret=secret)
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _render(request, offering, form, status=400)
    try:
        api_key, _secret = create_api_key(
            user_id=request.user.pk, offering_id=offering.pk, label=form.cleaned_data["label"]
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        request.session[SHOW_SECRET_SESSION_KEY] = api_key.pk
    return redirect(api_keys_url(offering))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def revoke(request: HttpRequest, slug: str, key_id: int) -> HttpResponse:
    """GET asks for confirmation; POST revokes."""
    offering = member_offering_or_404(request, slug)
    api_key = _own_key_or_404(request.user, offering, key_id)
    if request.method == "GET":
        return _render(request, offering, ApiKeyForm(), confirming=api_key)
    try:
        revoke_api_key(user_id=request.user.pk, key_id=api_key.pk)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("API key “%(name)s” revoked: requests signed with it are refused from now on.")
            % {"name": key_name(api_key)},
        )
    return redirect(api_keys_url(offering))


def api_keys_url(offering: Offering) -> str:
    return reverse("sandbox-api-keys", args=[offering.slug])


def api_key_offering_links(user: User, offering: Offering) -> list[OfferingLink]:
    """The API keys page in the offering page's "Sandbox" section, for its members."""
    if not wallet_selectors.is_member(user, offering):
        return []
    return [
        OfferingLink(
            _("Sandbox"),
            _("My API keys"),
            api_keys_url(offering),
            _("Keys for trading from your own programs with a Binance client library."),
        )
    ]


def key_name(api_key: ApiKey) -> str:
    return api_key.label or api_key.key[:8]


def python_example(key: str, secret: str, base_url: str) -> str:
    """Six lines a student can paste: binance-connector (`pip install binance-connector`)."""
    return "\n".join(
        [
            "from binance.spot import Spot",
            "",
            f'api_key = "{key}"',
            f'api_secret = "{secret}"',
            f'client = Spot(api_key=api_key, api_secret=api_secret, base_url="{base_url}")',
            'print(client.account()["balances"])',
        ]
    )


def curl_example(key: str, account_url: str) -> str:
    """A signed request by hand: the key in the header names the offering on the plain /api/."""
    return "\n".join(
        [
            f'curl -H "X-MBX-APIKEY: {key}" \\',
            f'  "{account_url}?timestamp=<ms since epoch>&signature=<HMAC-SHA256 hex>"',
        ]
    )


# -- helpers -----------------------------------------------------------------------------------


def _secret_to_show_once(request: HttpRequest, offering: Offering) -> tuple[ApiKey | None, str]:
    """The key just created and its secret, on the first page after creation only: the session
    holds the key's id, never the secret, and loses it on this read."""
    key_id = request.session.pop(SHOW_SECRET_SESSION_KEY, None)
    if key_id is None:
        return None, ""
    api_key = ApiKey.objects.filter(
        pk=key_id,
        owner_id=request.user.pk,
        offering_id=offering.pk,
        revoked_at__isnull=True,
        created_at__gte=timezone.now() - SHOW_SECRET_WITHIN,
    ).first()
    if api_key is None:
        return None, ""
    try:
        return api_key, decrypt_secret(api_key)
    except ServiceError as error:
        messages.error(request, error.message)
        return None, ""


def _own_key_or_404(user: User, offering: Offering, key_id: int) -> ApiKey:
    api_key = ApiKey.objects.filter(pk=key_id, owner_id=user.pk, offering_id=offering.pk).first()
    if api_key is None:
        raise Http404("No such API key.")
    return api_key


def _render(
    request: HttpRequest,
    offering: Offering,
    form: ApiKeyForm,
    *,
    created: ApiKey | None = None,
    secret: str = "",
    confirming: ApiKey | None = None,
    status: int = 200,
) -> HttpResponse:
    base_url = request.build_absolute_uri(f"/o/{offering.slug}")
    key = created.key if created else "YOUR_API_KEY"
    context = {
        "offering": offering,
        "form": form,
        "keys": ApiKey.objects.filter(owner_id=request.user.pk, offering_id=offering.pk).order_by(
            "-created_at", "-pk"
        ),
        "created": created,
        "secret": secret,
        "confirming": confirming,
        "base_url": base_url,
        "api_root": request.build_absolute_uri("/api/v3/"),
        "python_example": python_example(key, secret or "YOUR_SECRET_KEY", base_url),
        "curl_example": curl_example(key, request.build_absolute_uri("/api/v3/account")),
    }
    return render(request, "sandbox/exchange/api_keys.html", context, status=status)
