"""The chain's links on the offering page (courses shows them without importing sandbox)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from campus.api import User
from courses.api import (
    Offering,
    OfferingLink,
    StudentLink,
    is_enrolled,
    manageable_offerings,
    viewer_manages,
)


def chain_offering_links(user: User, offering: Offering) -> list[OfferingLink]:
    """My chain, the contract studio and the explorer for the offering's members; "Students'
    chains" for those who manage it."""
    if not user.is_authenticated:
        return []
    section, links = _("Blockchain"), []
    if is_enrolled(user_id=user.pk, offering_id=offering.pk):
        for name, label, description in (
            (
                "chain-mine",
                _("My chain"),
                _("Your own Ethereum test chain: its RPC URL, funded accounts and snapshots."),
            ),
            (
                "chain-studio",
                _("Contract studio"),
                _("Write, compile and deploy Solidity to your chain, and call it."),
            ),
            (
                "chain-explorer",
                _("Explorer"),
                _("Blocks, transactions and addresses of your chain, with decoded events."),
            ),
        ):
            links.append(
                OfferingLink(section, label, reverse(name, args=[offering.slug]), description)
            )
    if manageable_offerings(user).filter(pk=offering.pk).exists():
        links.append(
            OfferingLink(
                section,
                _("Students' chains"),
                reverse("chain-roster", args=[offering.slug]),
                _("Every student's chain: reset, fork to inspect, allow cheat methods."),
            )
        )
    return links


def chain_student_links(viewer: User, offering: Offering, student: User) -> list[StudentLink]:
    """The student's row on "Students' chains", for those who manage the offering."""
    if not viewer_manages(viewer, offering):
        return []
    url = reverse("chain-roster", args=[offering.slug]) + f"#student-{student.pk}"
    return [StudentLink(_("Chain"), url, _("Their chain's status; reset it or open a fork."))]
