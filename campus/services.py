"""Writes about people and institutions."""

from django.db import transaction
from django.utils.translation import gettext as _

from campus.errors import ServiceError
from campus.models import Membership, University, User


def ensure_membership(*, user: User, university: University, role: str) -> Membership:
    """Give `user` the `role` at `university` unless they hold it already. Joins the caller's
    transaction (enrolment calls it); `grant_membership` is the durable entry point."""
    if role not in Membership.Role.values:
        raise ServiceError(
            "unknown_role",
            _("'%(role)s' is not a university role; use one of: %(roles)s")
            % {"role": role, "roles": ", ".join(Membership.Role.values)},
        )
    membership, _created = Membership.objects.get_or_create(
        user=user, university=university, role=role
    )
    return membership


def grant_membership(*, user: User, university: University, role: str) -> Membership:
    with transaction.atomic(durable=True):
        return ensure_membership(user=user, university=university, role=role)
