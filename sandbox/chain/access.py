"""Who may open an offering's chain pages."""

from django.http import Http404, HttpRequest

from courses.api import Enrollment, Offering, manageable_offerings


def member_offering_or_404(request: HttpRequest, slug: str) -> Offering:
    """The offering, if the user is actively enrolled in it; a 404 otherwise (its existence is
    not theirs to learn)."""
    offering = Offering.objects.filter(
        slug=slug,
        enrollments__user=request.user,
        enrollments__is_active=True,
    ).first()
    if offering is None:
        raise Http404("No chain for you here.")
    return offering


def managed_offering_or_404(request: HttpRequest, slug: str) -> Offering:
    """The offering, if the user teaches or administers it (instructors' chain controls)."""
    offering = manageable_offerings(request.user).filter(slug=slug).first()
    if offering is None:
        raise Http404("Not an offering you manage.")
    return offering


def is_enrolled(user_id: int, offering_id: int) -> bool:
    return Enrollment.objects.filter(
        offering_id=offering_id, user_id=user_id, is_active=True
    ).exists()
