"""The offering's leaderboard: students ranked by return, with their portfolio value (KRW), PnL
and maximum drawdown, overall or within a competition (live, or its frozen final standings). The
viewer's own row is marked. Members of the offering and the people who manage it may look; for
anyone else it does not exist (404).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from courses.api import Offering, manageable_offerings, visible_offerings
from sandbox.markets import selectors
from sandbox.markets.leaderboard import QUOTE, standings
from sandbox.markets.models import Competition


@never_cache
@login_required
@require_GET
def leaderboard(request: HttpRequest, slug: str) -> HttpResponse:
    offering = _viewable_offering_or_404(request, slug)
    competitions = selectors.competitions(offering.pk)
    competition = _chosen_competition(request.GET.get("competition"), competitions)
    context = {
        "offering": offering,
        "table": standings(offering.pk, competition=competition),
        "competitions": competitions,
        "competition": competition,
        "state": selectors.competition_state(competition, timezone.now()) if competition else "",
        "markets": selectors.offering_markets(offering.pk).filter(quote_id=QUOTE),
        "manages": manageable_offerings(request.user).filter(pk=offering.pk).exists(),
    }
    return render(request, "sandbox/markets/leaderboard.html", context)


def _viewable_offering_or_404(request: HttpRequest, slug: str) -> Offering:
    """The offering, if the viewer is enrolled in it or may manage it."""
    # Everyone who may manage an offering may also see it, so one query answers both.
    offering = visible_offerings(request.user).filter(slug=slug).first()
    if offering is None:
        raise Http404("Not an offering of yours.")
    return offering


def _chosen_competition(value: str | None, competitions: list[Competition]) -> Competition | None:
    """None for the overall table; a 404 for an id that is not one of this offering's."""
    if not value:
        return None
    found = next((c for c in competitions if str(c.pk) == value), None)
    if found is None:
        raise Http404("No such competition here.")
    return found
