"""Step one of a launch: the platform's third-party initiated login (OIDC).

The platform names itself (`iss`, usually `client_id`) and the person (`login_hint`); we answer
with an authentication request to its OIDC endpoint carrying a fresh `state` and `nonce`, both
remembered server-side in a LaunchState row. The browser is tied to the login by a cookie holding
the state or, where the platform offers it (`lti_storage_target`), by the platform's postMessage
storage; see `views_login`.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campus.lti.errors import LaunchError
from campus.lti.models import LaunchState, Registration


@dataclass(frozen=True)
class LoginRedirect:
    url: str
    state: str
    nonce: str
    storage_target: str
    auth_origin: str


def start_login(*, params: dict[str, str], redirect_uri: str) -> LoginRedirect:
    """Remember a new state and nonce and build the platform's authentication request.

    Refuses (`missing_parameter`, `unknown_issuer`, `unknown_client`) before writing anything."""
    for name in ("iss", "login_hint", "target_link_uri"):
        if not params.get(name):
            raise LaunchError("missing_parameter", name)
    registration = _registration(params["iss"], params.get("client_id", ""))
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    storage_target = params.get("lti_storage_target", "")[:100]
    with transaction.atomic(durable=True):
        LaunchState.objects.create(
            state=state,
            nonce=nonce,
            registration=registration,
            target_link_uri=params["target_link_uri"][:1000],
            storage_target=storage_target,
            expires_at=timezone.now() + timedelta(seconds=settings.LTI_STATE_TTL_SECONDS),
        )
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": registration.client_id,
        "redirect_uri": redirect_uri,
        "login_hint": params["login_hint"],
        "state": state,
        "nonce": nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if "?" in registration.auth_login_url else "?"
    return LoginRedirect(
        url=registration.auth_login_url + separator + urlencode(query),
        state=state,
        nonce=nonce,
        storage_target=storage_target,
        auth_origin=origin_of(registration.auth_login_url),
    )


def _registration(issuer: str, client_id: str) -> Registration:
    registrations = Registration.objects.filter(issuer=issuer, is_active=True)
    if not registrations.exists():
        raise LaunchError("unknown_issuer", f"iss {issuer!r}")
    if client_id:
        registration = registrations.filter(client_id=client_id).first()
    else:
        registration = registrations.first() if registrations.count() == 1 else None
    if registration is None:
        raise LaunchError("unknown_client", f"client_id {client_id!r}")
    return registration


def origin_of(url: str) -> str:
    """scheme://host[:port] of `url`: the targetOrigin for the platform's postMessage storage."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
