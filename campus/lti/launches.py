"""Step two of a launch: the platform POSTs the signed id_token and our state back to /lti/launch/.

`verify_launch` checks everything without writing: the token (see `tokens`), the state we
issued (known, unexpired, for this registration, not consumed), the nonce it must carry, the
deployment, the message type and the person's role in the course. The view then checks that the
browser is the one that started the login (state cookie or platform storage), and
`complete_launch` consumes the nonce — one UPDATE that only succeeds once — creates or finds the
person, records the launch and enrols them in the linked offering.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campus.lti import claims as c
from campus.lti.enrolments import ensure_enrolment
from campus.lti.errors import LaunchError
from campus.lti.identities import user_for
from campus.lti.models import ContextLink, Launch, LaunchState, Registration
from campus.lti.roles import course_role
from campus.lti.targets import landing_path
from campus.lti.tokens import verify_id_token
from campus.models import User
from courses.api import Offering

MESSAGE_TYPES = (c.RESOURCE_LINK_REQUEST, c.DEEP_LINKING_REQUEST)


@dataclass(frozen=True)
class PendingLaunch:
    registration: Registration
    claims: dict
    login: LaunchState
    role: str


@dataclass(frozen=True)
class LaunchOutcome:
    launch: Launch
    user: User
    context: ContextLink | None
    landing: str | None
    """Where to send the person; None when the context is not linked to an offering yet."""


def verify_launch(*, id_token: str, state: str) -> PendingLaunch:
    if not id_token or not state:
        raise LaunchError("missing_parameter", "id_token" if not id_token else "state")
    token = verify_id_token(id_token)
    login = _login_for(state, token.registration)
    claims = token.claims
    if claims["nonce"] != login.nonce:
        raise LaunchError("nonce_mismatch")
    if login.used_at is not None:
        raise LaunchError("nonce_replayed")
    _check_message(token.registration, claims)
    role = course_role(claims.get(c.ROLES) or [])
    if role is None:
        raise LaunchError("no_course_role", repr(claims.get(c.ROLES)))
    return PendingLaunch(registration=token.registration, claims=claims, login=login, role=role)


def complete_launch(pending: PendingLaunch) -> LaunchOutcome:
    """Consume the nonce, then person, launch record and enrolment. A replay racing this launch
    loses at the UPDATE (`nonce_replayed`) and writes nothing."""
    claims = pending.claims
    with transaction.atomic(durable=True):
        consumed = LaunchState.objects.filter(pk=pending.login.pk, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if not consumed:
            raise LaunchError("nonce_replayed")
        user = user_for(registration=pending.registration, claims=claims)
        launch = _record(pending, user)
        context = _refresh_context(pending.registration, claims)
    landing = None
    if context is not None:
        landing = enter_offering(launch, context.offering)
    return LaunchOutcome(launch=launch, user=user, context=context, landing=landing)


def enter_offering(launch: Launch, offering: Offering) -> str:
    """Enrol the launch's person in `offering` in their LMS role; the path to land on."""
    ensure_enrolment(offering=offering, user=launch.user, role=launch.role)
    landing = landing_path(
        offering.slug,
        target_link_uri=launch.claims.get(c.TARGET_LINK_URI, ""),
        custom=launch.claims.get(c.CUSTOM) or {},
    )
    Launch.objects.filter(pk=launch.pk).update(landing=landing)
    launch.landing = landing
    return landing


def _login_for(state: str, registration: Registration) -> LaunchState:
    login = LaunchState.objects.filter(state=state).first()
    if login is None or login.expires_at < timezone.now():
        raise LaunchError("unknown_state")
    if login.registration_id != registration.pk:
        raise LaunchError("state_mismatch", "the state was issued for another registration")
    return login


def _check_message(registration: Registration, claims: dict) -> None:
    deployment_id = claims.get(c.DEPLOYMENT_ID)
    if not registration.deployments.filter(deployment_id=deployment_id).exists():
        raise LaunchError("unknown_deployment", repr(deployment_id))
    if claims.get(c.MESSAGE_TYPE) not in MESSAGE_TYPES:
        raise LaunchError("unsupported_message", repr(claims.get(c.MESSAGE_TYPE)))
    if claims.get(c.VERSION) != "1.3.0":
        raise LaunchError("invalid_claims", f"version {claims.get(c.VERSION)!r}")
    if not (claims.get(c.CONTEXT) or {}).get("id"):
        raise LaunchError("invalid_claims", "no context id: launch from inside a course")
    if claims[c.MESSAGE_TYPE] == c.DEEP_LINKING_REQUEST and not claims.get(c.DEEP_LINKING_SETTINGS):
        raise LaunchError("invalid_claims", "no deep_linking_settings")


KEPT_CLAIMS = (
    c.CONTEXT,
    c.DEPLOYMENT_ID,
    c.TARGET_LINK_URI,
    c.CUSTOM,
    c.DEEP_LINKING_SETTINGS,
    c.AGS,
    c.NRPS,
    c.RESOURCE_LINK,
)


def _record(pending: PendingLaunch, user: User) -> Launch:
    claims = pending.claims
    context = claims[c.CONTEXT]
    return Launch.objects.create(
        registration=pending.registration,
        user=user,
        kind=claims[c.MESSAGE_TYPE],
        deployment_id=claims[c.DEPLOYMENT_ID],
        context_id=context["id"],
        context_title=str(context.get("title") or context.get("label") or "")[:500],
        role=pending.role,
        claims={name: claims[name] for name in KEPT_CLAIMS if name in claims},
        expires_at=timezone.now() + timedelta(seconds=settings.LTI_LAUNCH_TTL_SECONDS),
    )


def _refresh_context(registration: Registration, claims: dict) -> ContextLink | None:
    """The offering link for the token's context, its service URLs brought up to date."""
    link = (
        ContextLink.objects.select_related("offering")
        .filter(registration=registration, context_id=claims[c.CONTEXT]["id"])
        .first()
    )
    if link is not None:
        fields = service_fields(claims)
        if any(getattr(link, name) != value for name, value in fields.items()):
            ContextLink.objects.filter(pk=link.pk).update(**fields)
            for name, value in fields.items():
                setattr(link, name, value)
    return link


def service_fields(claims: dict) -> dict:
    """What a context link keeps from a launch: its title, deployment and service endpoints."""
    ags = claims.get(c.AGS) or {}
    context = claims.get(c.CONTEXT) or {}
    return {
        "title": str(context.get("title") or context.get("label") or "")[:500],
        "deployment_id": claims.get(c.DEPLOYMENT_ID, ""),
        "memberships_url": (claims.get(c.NRPS) or {}).get("context_memberships_url", ""),
        "lineitems_url": ags.get("lineitems", ""),
        "ags_scopes": list(ags.get("scope") or []),
    }
