"""The offering page's link to its LMS connection (linked LMS courses, roster sync, scores sent
back), for those who manage the offering: the same people /lti/offerings/<slug>/ lets in."""

from django.urls import reverse
from django.utils.translation import gettext as _

from campus.models import User
from courses.api import Offering, OfferingLink, manageable_offerings


def lti_offering_links(user: User, offering: Offering) -> list[OfferingLink]:
    if not user.is_authenticated or not manageable_offerings(user).filter(pk=offering.pk).exists():
        return []
    return [
        OfferingLink(
            _("LMS"),
            _("LMS connection"),
            reverse("lti:offering", args=[offering.slug]),
            _("The LMS courses linked to this offering, roster sync, and the scores sent back."),
        )
    ]
