"""Registering the tool with a platform: who may, the call to the platform's registration endpoint,
and the Registration and Deployment it leaves behind."""

from dataclasses import dataclass

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from campus.lti.dynamic_registration.errors import RegistrationError
from campus.lti.dynamic_registration.platform import PlatformConfiguration
from campus.lti.dynamic_registration.tool import TOOL_CONFIGURATION, client_registration
from campus.lti.models import Deployment, Registration
from campus.models import Membership, University, User


@dataclass(frozen=True)
class PlatformAnswer:
    client_id: str
    deployment_id: str
    """Empty when the platform did not assign one (an administrator adds it in the admin)."""


def registering_universities(user: User) -> QuerySet[University]:
    """The universities `user` may register an LMS for: all for a superuser, else those they
    administer. Empty for everyone else: they may not register at all."""
    if not user.is_authenticated:
        return University.objects.none()
    if user.is_superuser:
        return University.objects.all()
    return University.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.UNIVERSITY_ADMIN
    ).distinct()


def check_may_register(user: User) -> None:
    if not (user.is_superuser or registering_universities(user).exists()):
        raise RegistrationError("not_allowed")


def existing_registrations(platform: PlatformConfiguration) -> QuerySet[Registration]:
    return Registration.objects.filter(issuer=platform.issuer).order_by("created_at")


def register_tool(
    *,
    platform: PlatformConfiguration,
    registration_token: str,
    base_url: str,
    name: str,
    university: University | None,
    by: User,
) -> Registration:
    """Register the tool at the platform, then record the registration and its deployment.

    Refuses with `not_allowed` (someone who may not register, or a university they do not
    administer) before calling the platform; `registration_refused` / `invalid_registration` when
    the platform says no or answers something unusable; `already_registered` when the (issuer,
    client id) it returns is registered already. Nothing is written unless everything succeeds."""
    check_may_register(by)
    if university is None and not by.is_superuser:
        raise RegistrationError(
            "not_allowed", "a university administrator registers for a university"
        )
    if (
        university is not None
        and not registering_universities(by).filter(pk=university.pk).exists()
    ):
        raise RegistrationError("not_allowed", f"{university} is not administered by {by}")
    answer = _post_registration(platform, registration_token, base_url)
    return _record(platform, answer, name=name, university=university, by=by)


def _post_registration(
    platform: PlatformConfiguration, registration_token: str, base_url: str
) -> PlatformAnswer:
    headers = {"Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    try:
        response = requests.post(
            platform.registration_endpoint,
            json=client_registration(platform, base_url=base_url),
            headers=headers,
            timeout=settings.LTI_HTTP_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        raise RegistrationError("registration_refused", str(error)) from None
    if response.status_code not in (200, 201):
        raise RegistrationError(
            "registration_refused", f"HTTP {response.status_code}: {_why(response)}"
        )
    return _answer(response)


def _why(response: requests.Response) -> str:
    """The platform's reason, as OAuth error responses give it (RFC 7591 §3.2.2), else its text."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict) and body.get("error"):
        return " — ".join(str(body[k]) for k in ("error", "error_description") if body.get(k))
    return str(body)[:300]


def _answer(response: requests.Response) -> PlatformAnswer:
    try:
        body = response.json()
    except ValueError:
        raise RegistrationError("invalid_registration", "the answer is not JSON") from None
    client_id = body.get("client_id") if isinstance(body, dict) else None
    if not isinstance(client_id, str | int) or not str(client_id).strip():
        raise RegistrationError("invalid_registration", "the answer has no client_id")
    tool = body.get(TOOL_CONFIGURATION) or {}
    deployment_id = tool.get("deployment_id") if isinstance(tool, dict) else None
    return PlatformAnswer(
        client_id=str(client_id).strip()[:255],
        deployment_id=str(deployment_id or "").strip()[:255],
    )


def _record(
    platform: PlatformConfiguration,
    answer: PlatformAnswer,
    *,
    name: str,
    university: University | None,
    by: User,
) -> Registration:
    registered = Registration.objects.filter(issuer=platform.issuer, client_id=answer.client_id)
    if registered.exists():
        raise RegistrationError("already_registered", _duplicate(registered.first()))
    try:
        with transaction.atomic(durable=True):
            registration = Registration.objects.create(
                name=name[:200],
                issuer=platform.issuer,
                client_id=answer.client_id,
                auth_login_url=platform.authorization_endpoint,
                auth_token_url=platform.token_endpoint,
                auth_audience=platform.authorization_server,
                key_set_url=platform.jwks_uri,
                university=university,
                registered_by=by,
            )
            if answer.deployment_id:
                Deployment.objects.create(
                    registration=registration, deployment_id=answer.deployment_id
                )
    except IntegrityError:  # the same answer recorded meanwhile (a second tab)
        raise RegistrationError("already_registered", _duplicate(registered.first())) from None
    return registration


def _duplicate(registration: Registration | None) -> str:
    if registration is None:
        return ""
    return f"“{registration.name}”, client id {registration.client_id}"
