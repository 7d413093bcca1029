"""The chain's panel on the student's dashboard (courses shows it without importing us): their
chain's status and id, and the way to it, the contract studio and the explorer. It reads the
Chain row only (one query): showing the dashboard never starts a node or opens a chain."""

from __future__ import annotations

from django.utils.translation import gettext as _

from campus.api import User
from courses.api import Offering, Panel
from sandbox.chain.models import Chain


def student_chain(offering_id: int, owner_id: int) -> Chain | None:
    """The student's own chain in the offering (never an instructor's fork of it), if opened."""
    return (
        Chain.objects.filter(offering_id=offering_id, owner_id=owner_id, forked_from__isnull=True)
        .only("chain_id", "status", "last_used_at", "offering_id", "owner_id")
        .first()
    )


def chain_panel(user: User, offering: Offering) -> list[Panel]:
    context = {"chain": student_chain(offering.pk, user.pk)}
    return [Panel("chain", _("My chain"), "sandbox/chain/panels/chain.html", context, 40)]
