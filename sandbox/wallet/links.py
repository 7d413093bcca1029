"""The transfer pages' links on the offering page (courses shows them without importing sandbox)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from campus.api import User
from courses.api import Offering, OfferingLink, is_enrolled, manageable_offerings


def transfer_offering_links(user: User, offering: Offering) -> list[OfferingLink]:
    """ "Deposit & withdraw" for the offering's members; "Proof of reserves" for those who
    manage it."""
    if not user.is_authenticated:
        return []
    section, links = _("Sandbox"), []
    if is_enrolled(user_id=user.pk, offering_id=offering.pk):
        links.append(
            OfferingLink(
                section,
                _("Deposit & withdraw"),
                reverse("wallet-deposit", args=[offering.slug]),
                _(
                    "Move coins between your own chain and your exchange wallet, and see both sides."
                ),
            )
        )
    if manageable_offerings(user).filter(pk=offering.pk).exists():
        links.append(
            OfferingLink(
                section,
                _("Proof of reserves"),
                reverse("wallet-reserves", args=[offering.slug]),
                _(
                    "What the exchange owes against what it holds on the students' chains; "
                    "halt withdrawals, set fees and confirmations."
                ),
            )
        )
    return links
