"""Who may open an offering's sandbox pages."""

from django.http import Http404, HttpRequest

from courses.api import Offering
from sandbox.wallet import selectors
from sandbox.wallet.services import open_wallet


def member_offering_or_404(request: HttpRequest, slug: str) -> Offering:
    """The offering, if the user is actively enrolled in it (404 otherwise: its existence is not
    theirs to learn); their wallet there is opened, with the starting grant, on first visit."""
    offering = selectors.member_offering(request.user, slug)
    if offering is None:
        raise Http404("No sandbox for you here.")
    if not selectors.has_wallet(offering_id=offering.pk, owner_id=request.user.pk):
        open_wallet(offering_id=offering.pk, owner_id=request.user.pk)
    return offering
