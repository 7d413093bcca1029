"""An instructor's read-only view of one student's activity on an offering's exchange: balances,
open orders, order history and trades across every market of the offering, and one button that
puts the student's wallet back to the starting grant.

Only people who manage the offering get here, and only about someone enrolled in it (in any role,
active or not: a dropped student's history is still theirs to read); anyone else gets a 404. The
reset cancels the student's open orders first (releasing their holds), as the cohort reset on the
markets control page does, then resets the wallet in one transaction of its own.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from campus.api import ServiceError, User
from courses.api import Enrollment, Offering, StudentLink, viewer_manages
from sandbox.access import managed_offering_or_404
from sandbox.exchange import selectors
from sandbox.exchange.errors import ExchangeError
from sandbox.exchange.forms import plain
from sandbox.exchange.models import Market
from sandbox.exchange.services import cancel_open_orders
from sandbox.exchange.views import OrderRow, TradeRow, order_row, trade_row
from sandbox.exchange.views_wallet import balance_row
from sandbox.wallet import selectors as wallet_selectors
from sandbox.wallet.api import reset_wallet, starting_grant

HISTORY_ROWS = 100


@never_cache
@login_required
@require_GET
def student_activity(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    offering, student = _offering_and_student(request, slug, user_id)
    markets = list(selectors.markets(offering_id=offering.pk))
    by_market = {market.pk: market for market in markets}
    accounts = wallet_selectors.wallet_accounts(offering_id=offering.pk, owner_id=student.pk)
    context = {
        "offering": offering,
        "student": student,
        "has_wallet": wallet_selectors.has_wallet(offering_id=offering.pk, owner_id=student.pk),
        "balances": [balance_row(account) for account in accounts],
        "open_orders": [
            MarketRow(by_market[o.market_id].display_name, order_row(o, by_market[o.market_id]))
            for o in selectors.open_orders(owner_id=student.pk, offering_id=offering.pk)
        ],
        "history": _order_history(student, markets),
        "trades": _trades(student, markets),
        "history_rows": HISTORY_ROWS,
        "grant": [(code, plain(amount)) for code, amount in starting_grant(offering.pk).items()],
        "reset_url": reverse("sandbox-student-reset-wallet", args=[offering.slug, student.pk]),
    }
    return render(request, "sandbox/exchange/student_activity.html", context)


@never_cache
@login_required
@require_POST
def reset_student_wallet(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    offering, student = _offering_and_student(request, slug, user_id)
    name = student.shown_name
    try:
        done = reset_to_starting_grant(offering, student)
    except ServiceError as refused:
        messages.error(request, refused.message)
    else:
        if done:
            messages.success(
                request,
                _(
                    "%(name)s's wallet is back to the starting grant; their open orders were cancelled."
                )
                % {"name": name},
            )
        else:
            messages.error(request, _("%(name)s has no wallet here yet.") % {"name": name})
    return redirect(student_activity_url(offering, student))


def student_activity_url(offering: Offering, student: User) -> str:
    return reverse("sandbox-student-activity", args=[offering.slug, student.pk])


def reset_to_starting_grant(offering: Offering, student: User) -> bool:
    """Cancel the student's open orders in each market (one transaction per market, as the
    exchange serialises each market), then reset the wallet. An order placed in between makes
    the reset refuse with `funds_on_hold`, never leave the wallet half reset."""
    open_markets = {
        order.market_id: order.market
        for order in selectors.open_orders(owner_id=student.pk, offering_id=offering.pk)
    }
    for market in open_markets.values():
        with contextlib.suppress(ExchangeError):  # closed in between: nothing left there
            cancel_open_orders(owner_id=student.pk, market=market)
    return reset_wallet(offering_id=offering.pk, owner_id=student.pk)


@dataclass(frozen=True)
class MarketRow:
    market: str
    row: OrderRow | TradeRow


def _offering_and_student(request: HttpRequest, slug: str, user_id: int) -> tuple[Offering, User]:
    offering = managed_offering_or_404(request, slug)
    enrolment = (
        Enrollment.objects.filter(offering=offering, user_id=user_id).select_related("user").first()
    )
    if enrolment is None:
        raise Http404("Nobody by that id is enrolled in this offering.")
    return offering, enrolment.user


def _order_history(student: User, markets: list[Market]) -> list[MarketRow]:
    """The student's latest orders across the markets, newest first."""
    orders = [
        order
        for market in markets
        for order in selectors.order_window(owner_id=student.pk, market=market, limit=HISTORY_ROWS)
    ]
    by_market = {market.pk: market for market in markets}
    orders.sort(key=lambda order: order.pk, reverse=True)
    return [
        MarketRow(by_market[o.market_id].display_name, order_row(o, by_market[o.market_id]))
        for o in orders[:HISTORY_ROWS]
    ]


def _trades(student: User, markets: list[Market]) -> list[MarketRow]:
    """The student's latest trades across the markets, newest first, as they made them."""
    trades = [
        trade
        for market in markets
        for trade in selectors.account_trades(
            owner_id=student.pk, market=market, limit=HISTORY_ROWS
        )
    ]
    by_market = {market.pk: market for market in markets}
    trades.sort(key=lambda trade: trade.pk, reverse=True)
    return [
        MarketRow(
            by_market[t.market_id].display_name,
            trade_row(t, by_market[t.market_id], owner_id=student.pk),
        )
        for t in trades[:HISTORY_ROWS]
    ]


def exchange_student_links(viewer, offering: Offering, student) -> list[StudentLink]:
    """The student's exchange activity, for those who manage the offering (courses' roster
    progress and student pages show it)."""
    if not viewer_manages(viewer, offering):
        return []
    url = reverse("sandbox-student-activity", args=[offering.slug, student.pk])
    return [
        StudentLink(
            _("Exchange activity"), url, _("Balances, orders and trades; reset the wallet.")
        )
    ]
