"""Who may open an offering's sandbox pages (chain, markets; the exchange adds opening the wallet)."""

from django.http import Http404, HttpRequest

from courses.api import Offering, manageable_offerings, member_offering


def member_offering_or_404(request: HttpRequest, slug: str) -> Offering:
    """The offering, if the user is actively enrolled in it; a 404 otherwise (its existence is
    not theirs to learn)."""
    offering = member_offering(request.user, slug)
    if offering is None:
        raise Http404("No sandbox for you here.")
    return offering


def managed_offering_or_404(request: HttpRequest, slug: str) -> Offering:
    """The offering, if the user teaches or administers it (instructors' chain controls)."""
    offering = manageable_offerings(request.user).filter(slug=slug).first()
    if offering is None:
        raise Http404("Not an offering you manage.")
    return offering
