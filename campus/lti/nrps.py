"""Roster sync from the LMS (Names and Role Provisioning Services): everyone the platform lists
as Active gets an identity, an account if new, and an active enrolment in their LMS role; people
who came from this platform and are no longer listed as Active are deactivated.

Only enrolments of people with an identity at this registration are ever deactivated: staff
enrolled on the campus directly are not the LMS's to remove.
"""

from dataclasses import dataclass, field

import requests
from django.db import transaction
from django.utils import timezone
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.names_roles import NamesRolesProvisioningService

from campus.errors import ServiceError
from campus.lti.connector import service_connector
from campus.lti.enrolments import deactivate_enrolment, ensure_enrolment
from campus.lti.identities import user_for
from campus.lti.models import ContextLink, LtiIdentity
from campus.lti.roles import course_role
from courses.api import Enrollment


@dataclass
class RosterSync:
    enrolled: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def sync_roster(*, context: ContextLink) -> RosterSync:
    """Bring the offering's LMS-managed enrolments in line with the platform's roster.

    Refuses with `roster_unavailable` (nothing changed) when the context has no NRPS URL or the
    platform cannot be read."""
    members = _members(context)
    result = RosterSync()
    active_subs = set()
    for member in members:
        role = course_role(member.get("roles") or [])
        if member.get("status", "Active") != "Active" or role is None:
            result.skipped.append(member.get("user_id", ""))
            continue
        active_subs.add(member["user_id"])
        with transaction.atomic(durable=True):
            user = user_for(registration=context.registration, claims=_claims(member))
        ensure_enrolment(offering=context.offering, user=user, role=role)
        result.enrolled.append(member["user_id"])
    result.deactivated = _deactivate_missing(context, active_subs)
    with transaction.atomic(durable=True):
        ContextLink.objects.filter(pk=context.pk).update(roster_synced_at=timezone.now())
    return result


def _members(context: ContextLink) -> list[dict]:
    if not context.memberships_url:
        raise ServiceError("roster_unavailable", "The LMS did not offer its roster service.")
    nrps = NamesRolesProvisioningService(
        service_connector(context.registration),
        {"context_memberships_url": context.memberships_url},
    )
    try:
        return nrps.get_members()
    except (LtiException, LtiServiceException, requests.RequestException) as error:
        message = f"The LMS roster could not be read: {error}"
        raise ServiceError("roster_unavailable", message) from None


def _claims(member: dict) -> dict:
    return {
        "sub": member["user_id"],
        "name": member.get("name", ""),
        "given_name": member.get("given_name", ""),
        "family_name": member.get("family_name", ""),
        "email": member.get("email", ""),
    }


def _deactivate_missing(context: ContextLink, active_subs: set[str]) -> list[str]:
    identities = LtiIdentity.objects.filter(registration=context.registration).exclude(
        sub__in=active_subs
    )
    enrolled_user_ids = Enrollment.objects.filter(offering=context.offering, is_active=True).values(
        "user_id"
    )
    gone = identities.filter(user_id__in=enrolled_user_ids).select_related("user")
    deactivated = []
    for identity in gone:
        if deactivate_enrolment(offering=context.offering, user=identity.user):
            deactivated.append(identity.sub)
    return deactivated
