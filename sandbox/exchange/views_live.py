"""What keeps the trading page live: the settings static/js/trading*.js reads, and the user data
stream's listen key for the logged-in member (the page has a session, not an API key)."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods

from courses.api import Offering
from sandbox.exchange import listenkeys
from sandbox.exchange.access import member_offering_or_404
from sandbox.exchange.forms import SIDE_LABELS, TYPE_LABELS
from sandbox.exchange.models import Market

BOOK_LEVELS = 15
RECENT_TRADES = 20
HISTORY_ROWS = 50
DEPTH_LEVELS = 500  # the depth chart's levels per side, as the REST snapshot the page starts from

# An order's status in words, for every status Binance's user data stream can report (the two
# PENDING_ ones never come from this exchange, but a student's stream client may have read of them).
STATUS_LABELS = {
    "NEW": pgettext_lazy("order status", "Open"),
    "PENDING_NEW": pgettext_lazy("order status", "Being placed"),
    "PARTIALLY_FILLED": pgettext_lazy("order status", "Partly filled"),
    "FILLED": pgettext_lazy("order status", "Filled"),
    "PENDING_CANCEL": pgettext_lazy("order status", "Being cancelled"),
    "CANCELED": pgettext_lazy("order status", "Cancelled"),
    "REJECTED": pgettext_lazy("order status", "Rejected"),
    "EXPIRED": pgettext_lazy("order status", "Expired"),
    "EXPIRED_IN_MATCH": pgettext_lazy("order status", "Expired: self-trade prevention"),
}

# The depth chart's text alternative, written by the server and then by trading-depth.js.
DEPTH_BEST = gettext_lazy("Best bid: %(bid)s; best ask: %(ask)s.")
DEPTH_WITHIN = gettext_lazy(
    "Within 1%% of the middle price: %(bids)s %(base)s bid and %(asks)s %(base)s offered."
)


def status_label(status: str) -> str:
    """The status in the reader's language; a status without words yet is shown as it is."""
    return str(STATUS_LABELS.get(status, status))


@login_required
@require_http_methods(["POST", "PUT"])
def listen_key(request: HttpRequest, slug: str) -> JsonResponse:
    """The trading page's user data stream key (POST opens one, PUT with {"listenKey": ...} keeps
    it alive), for the logged-in member: the page has a session, not an API key."""
    offering = member_offering_or_404(request, slug)
    holder = session_listen_key_holder(offering_id=offering.pk, owner_id=request.user.pk)
    if request.method == "POST":
        key = listenkeys.open_listen_key(
            api_key_id=holder, offering_id=offering.pk, owner_id=request.user.pk
        )
        return JsonResponse({"listenKey": key})
    try:
        key = str(json.loads(request.body or b"{}").get("listenKey", ""))
    except (ValueError, AttributeError):
        key = ""
    if not listenkeys.keep_alive(api_key_id=holder, key=key):
        return JsonResponse({"code": -1125, "msg": "This listenKey does not exist."}, status=404)
    return JsonResponse({})


def session_listen_key_holder(*, offering_id: int, owner_id: int) -> int:
    """Who holds a page session's listen key, in listenkeys' `api_key_id` bookkeeping: negative,
    so it never meets a real API key's (positive) id, and per offering as well as per person,
    because a key is bound to one offering and asking again returns the holder's live key."""
    return -(offering_id * 2**32 + owner_id)


def live_settings(offering: Offering, market: Market) -> dict:
    """What static/js/trading*.js needs to keep the page live: where the streams and the REST
    snapshots are (the book's snapshot deeper than the 15 levels shown, so levels below them are
    known when the top ones go), and the words it writes, in the page's language."""
    name = market.symbol.lower()
    streams = "/".join(f"{name}@{kind}" for kind in ("trade", "depth@100ms", "kline_1m", "ticker"))
    api = {"offering_slug": offering.slug}
    return {
        "symbol": market.symbol,
        "timeZone": timezone.get_current_timezone_name(),
        "base": market.base_id,
        "quote": market.quote_id,
        "tick": f"{market.tick_size.normalize():f}",
        "bookLevels": BOOK_LEVELS,
        "recentTrades": RECENT_TRADES,
        "historyRows": HISTORY_ROWS,
        "stream": f"/o/{offering.slug}/stream?streams={streams}",
        "userStream": "/ws/",
        "quotePlaces": market.quote.precision,
        "depth": reverse("binance-o:depth", kwargs=api)
        + f"?symbol={market.symbol}&limit={DEPTH_LEVELS}",
        "klines": reverse("binance-o:klines", kwargs=api)
        + f"?symbol={market.symbol}&interval=1m&limit=200",
        "listenKey": reverse("sandbox-listen-key", args=[offering.slug]),
        "sides": {side: str(label) for side, label in SIDE_LABELS.items()},
        "types": {kind: str(label) for kind, label in TYPE_LABELS.items()},
        "statuses": {status: str(label) for status, label in STATUS_LABELS.items()},
        "words": {
            "market": _("market"),
            "maker": _("maker"),
            "taker": _("taker"),
            "lastTrade": _("Last trade: %(side)s %(quantity)s %(base)s at %(price)s %(quote)s"),
            "change24h": _("%(change)s%% in 24 hours"),
            "live": _("Live"),
            "reconnecting": _("Reconnecting…"),
            "depthBest": str(DEPTH_BEST),
            "depthWithin": str(DEPTH_WITHIN),
            "depthEmpty": _("Nobody is buying or selling yet."),
            "none": _("none"),
        },
    }
