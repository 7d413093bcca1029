"""The markets' panels on the student's dashboard (courses shows them without importing us):
"Portfolio", their own portfolio marked to market with PnL and return, valued exactly as the
leaderboard's whole-course table values it; and "Market news", the offering's latest scenario
announcements, kept live by static/js/announcements.js.

Both read a fixed handful of rows whatever the class size: the marks, the student's own accounts,
the starting grant; the active run and the latest announcements.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from campus.api import User
from courses.api import Offering, Panel
from sandbox.markets.leaderboard import QUOTE, marks, percent, value_at
from sandbox.markets.selectors import active_run, recent_announcements
from sandbox.wallet.api import Account, net_transfers_in, starting_grant

NEWS_SHOWN = 3


@dataclass(frozen=True)
class Portfolio:
    """One student's standing, as the leaderboard's whole-course table computes it: value at
    the marks, against the starting grant at the same marks."""

    value: Decimal
    baseline: Decimal
    unpriced: tuple[str, ...]
    """Assets the student holds that have no KRW price yet (they count at 0)."""

    @property
    def pnl(self) -> Decimal:
        return self.value - self.baseline

    @property
    def return_pct(self) -> Decimal:
        return percent(self.pnl, self.baseline)


def student_portfolio(offering_id: int, owner_id: int) -> Portfolio | None:
    """The student's portfolio, or None before their wallet is opened. Five queries."""
    holdings = {
        code: available + locked
        for code, available, locked in Account.objects.filter(
            offering_id=offering_id, kind="user", owner_id=owner_id
        ).values_list("asset_id", "available", "locked")
    }
    if not holdings:
        return None
    prices = marks(offering_id)
    brought_in = net_transfers_in(offering_id, owner_id=owner_id).get(owner_id, {})
    baseline = value_at(starting_grant(offering_id), prices) + value_at(brought_in, prices)
    unpriced = tuple(
        sorted(code for code, amount in holdings.items() if amount and code not in prices)
    )
    return Portfolio(value_at(holdings, prices), baseline, unpriced)


def portfolio_panel(user: User, offering: Offering) -> list[Panel]:
    portfolio = student_portfolio(offering.pk, user.pk)
    context = {"portfolio": portfolio, "quote": QUOTE}
    return [
        Panel("portfolio", _("Portfolio"), "sandbox/markets/panels/portfolio.html", context, 10)
    ]


def news_panel(user: User, offering: Offering) -> list[Panel]:
    run = active_run(offering.pk)
    context = {
        "run": run,
        "announcements": recent_announcements(offering.pk, NEWS_SHOWN),
        "limit": NEWS_SHOWN,
    }
    return [Panel("news", _("Market news"), "sandbox/markets/panels/news.html", context, 20)]
