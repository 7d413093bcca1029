"""Who may open an offering's exchange pages: its members (sandbox/access.py), whose wallet there
is opened, with the starting grant, on their first visit."""

from django.http import HttpRequest

from courses.api import Offering
from sandbox import access
from sandbox.wallet import selectors
from sandbox.wallet.services import open_wallet


def member_offering_or_404(request: HttpRequest, slug: str) -> Offering:
    offering = access.member_offering_or_404(request, slug)
    if not selectors.has_wallet(offering_id=offering.pk, owner_id=request.user.pk):
        open_wallet(offering_id=offering.pk, owner_id=request.user.pk)
    return offering
