"""`{% offering_announcements offering %}`: the offering's latest market announcements, in the
element (id `announcements`, `aria-live="polite"`) that live updates add to. Use it once a page.
Also `clock` (simulated seconds as m:ss) and `signed` (a number with its sign) for the markets pages.
"""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat

from sandbox.markets.selectors import recent_announcements

register = template.Library()


@register.inclusion_tag("sandbox/markets/_announcements.html")
def offering_announcements(offering, limit: int = 5) -> dict:
    return {
        "offering": offering,
        "limit": limit,
        "announcements": recent_announcements(offering.pk, limit),
    }


@register.filter
def clock(seconds: float | None) -> str:
    """123.4 → "2:03"; an hour or more → "1:02:03"."""
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def signed(value: Decimal | None, places: str = "0g") -> str:
    """The number with "+" before a gain (a loss has its "−" already), grouped as floatformat does."""
    if value is None:
        return ""
    shown = floatformat(value, places)
    return f"+{shown}" if value > 0 else shown
