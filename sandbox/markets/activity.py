"""A student's activity on an offering's exchange in a window of time: what the trading grader
reads. Everything here reads the database; nothing is cached in a process.

The window is closed at both ends: an order placed, a trade printed or a posting journalled at
`start` or at `end` belongs to it. Only the offering's own markets and the student's own wallet
in that offering are read, so another offering's activity or another student's never counts.

"Rested on the book" is decided from the order as it is when this runs (moments after the
submission), with its fills up to the end of the window:
- a fill as the maker proves the order rested;
- otherwise a priced order that is open or was cancelled rested, unless it is a stop order still
  waiting off the book for its stop price (a cancelled, never-triggered stop did not rest);
- an order expired by self-trade prevention (EXPIRED_IN_MATCH) rested only if it was the maker
  expired: certain for a LIMIT_MAKER, and for any order whose own mode is EXPIRE_MAKER (the
  default), which never expires the order itself as a taker;
- an order FILLED only as the taker, or EXPIRED (IOC, FOK, a market order), never rested.
An order the exchange rejected (a LIMIT_MAKER that would take, a stop that would trigger at once)
is not recorded at all: the exchange rolls it back with everything else the placement did.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Q, QuerySet, Sum

from sandbox.exchange.api import OPEN_STATUSES, Market, Order, Trade
from sandbox.markets.leaderboard import QUOTE
from sandbox.wallet.api import Account, Journal, Posting

ZERO = Decimal(0)
STOP_TYPES = ("STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
RESTARTS = (Journal.Kind.GRANT, Journal.Kind.RESET)
"""Journals that start a wallet over: its opening grant and an instructor's reset."""
DEPOSITS = (Journal.Kind.ADJUSTMENT,)
"""Journals that add to a wallet from outside trading (an instructor's top-up)."""


@dataclass(frozen=True)
class Window:
    offering_id: int
    user_id: int
    start: datetime
    end: datetime


# --- orders and trades ----------------------------------------------------------------------


def window_orders(
    window: Window,
    *,
    symbol: str | None = None,
    side: str | None = None,
    order_type: str | None = None,
) -> list[Order]:
    """The student's orders placed in the window, oldest first, each with its market."""
    orders = Order.objects.filter(
        owner_id=window.user_id,
        market__offering_id=window.offering_id,
        created_at__gte=window.start,
        created_at__lte=window.end,
    )
    wanted = {"market__symbol": symbol, "side": side, "type": order_type}
    orders = orders.filter(**{field: value for field, value in wanted.items() if value})
    return list(orders.select_related("market").order_by("pk"))


@dataclass(frozen=True)
class Fills:
    count: int = 0
    as_maker: int = 0


def fills_of(orders: list[Order], *, until: datetime) -> dict[int, Fills]:
    """{order id: its fills up to `until`}; an order without fills is left out."""
    ids = [order.pk for order in orders]
    trades = Trade.objects.filter(
        Q(buyer_order_id__in=ids) | Q(seller_order_id__in=ids), created_at__lte=until
    ).values_list("buyer_order_id", "seller_order_id", "is_buyer_maker")
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    wanted = set(ids)
    for buyer, seller, buyer_made in trades:
        for order_id, made in ((buyer, buyer_made), (seller, not buyer_made)):
            if order_id in wanted:
                counts[order_id][0] += 1
                counts[order_id][1] += made
    return {order_id: Fills(*pair) for order_id, pair in counts.items()}


def rested(order: Order, fills: Fills) -> bool:
    """Whether the order rested on the book (the rule is in the module's docstring)."""
    if fills.as_maker:
        return True
    waiting_stop = order.type in STOP_TYPES and not order.stop_triggered
    if order.status in (*OPEN_STATUSES, Order.Status.CANCELED):
        return not waiting_stop
    if order.status == Order.Status.EXPIRED_IN_MATCH:
        could_rest = order.type != Order.Type.MARKET and order.time_in_force in ("", "GTC")
        maker_only = order.type == Order.Type.LIMIT_MAKER
        return could_rest and (maker_only or order.self_trade_prevention_mode == "EXPIRE_MAKER")
    return False


def why_not_rested(order: Order) -> str:
    """What became of an order that did not rest: "taken", "expired", "stop" or "self_trade"."""
    if order.type in STOP_TYPES and not order.stop_triggered:
        return "stop"
    if order.status == Order.Status.EXPIRED_IN_MATCH:
        return "self_trade"
    if order.status == Order.Status.EXPIRED:
        return "expired"
    return "taken"


def window_fill_count(window: Window, *, symbol: str | None = None) -> int:
    """Trades in the window in which one of the student's orders was the maker or the taker
    (a self-trade, where both were theirs, counts once)."""
    trades = Trade.objects.filter(
        Q(buyer_id=window.user_id) | Q(seller_id=window.user_id),
        market__offering_id=window.offering_id,
        created_at__gte=window.start,
        created_at__lte=window.end,
    )
    if symbol:
        trades = trades.filter(market__symbol=symbol)
    return trades.count()


def market_symbols(offering_id: int) -> set[str]:
    return set(Market.objects.filter(offering_id=offering_id).values_list("symbol", flat=True))


# --- holdings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One journal's change to the student's holdings (available + locked) per asset."""

    at: datetime
    kind: str
    changes: dict[str, Decimal]


def _postings(window: Window) -> QuerySet[Posting]:
    accounts = Account.objects.filter(
        offering_id=window.offering_id, owner_id=window.user_id, kind=Account.Kind.USER
    )
    return Posting.objects.filter(account__in=accounts)


def opening_holdings(window: Window) -> dict[str, Decimal]:
    """What the student held of each asset just before the window started."""
    before = _postings(window).filter(journal__created_at__lt=window.start)
    return _exact_sums(before)


def holding_steps(window: Window) -> list[Step]:
    """Every change to the student's holdings in the window, in the order it was journalled.
    Holds and releases move funds between available and locked and change nothing here."""
    rows = (
        _postings(window)
        .filter(journal__created_at__gte=window.start, journal__created_at__lte=window.end)
        .order_by("journal__created_at", "journal_id")
        .values_list("journal_id", "journal__created_at", "journal__kind", "asset_id", "amount")
    )
    steps: dict[int, Step] = {}
    for journal_id, at, kind, asset, amount in rows.iterator():
        step = steps.setdefault(journal_id, Step(at, kind, defaultdict(Decimal)))
        step.changes[asset] += amount
    return [
        Step(step.at, step.kind, {a: c for a, c in step.changes.items() if c})
        for step in steps.values()
        if any(step.changes.values())
    ]


def _exact_sums(postings: QuerySet[Posting]) -> dict[str, Decimal]:
    """{asset: sum of amounts}, exact: PostgreSQL sums NUMERICs exactly; SQLite would sum
    floats, so there the sum is done here."""
    if connection.vendor == "postgresql":
        rows = postings.values("asset_id").annotate(total=Sum("amount")).order_by()
        return {row["asset_id"]: row["total"] for row in rows if row["total"]}
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for asset, amount in postings.values_list("asset_id", "amount").iterator():
        totals[asset] += amount
    return {asset: total for asset, total in totals.items() if total}


# --- prices ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Marks:
    """Each asset's price in KRW at a moment; an asset without one is worth 0."""

    prices: dict[str, Decimal]

    def value(self, holdings: dict[str, Decimal]) -> Decimal:
        return sum(
            (amount * self.prices.get(asset, ZERO) for asset, amount in holdings.items()),
            ZERO,
        )

    def unpriced(self, holdings: dict[str, Decimal]) -> set[str]:
        """The assets held that have no price (counted at 0)."""
        return {asset for asset, amount in holdings.items() if amount} - set(self.prices)


def marks_at(window: Window, moment: datetime) -> Marks:
    """The exchange's last price at `moment` of each asset with a KRW market in the offering: its
    last trade at or before `moment`; for a market that had not traded yet, its first trade after
    it (up to the window's end). A market with neither, or an asset with no KRW market, leaves
    the asset unpriced."""
    prices = {QUOTE: Decimal(1)}
    for market in Market.objects.filter(offering_id=window.offering_id, quote_id=QUOTE):
        price = _price_at(market, moment, window.end)
        if price is not None:
            prices[market.base_id] = price
    return Marks(prices)


def _price_at(market: Market, moment: datetime, until: datetime) -> Decimal | None:
    trades = Trade.objects.filter(market=market)
    before = trades.filter(created_at__lte=moment).order_by("-created_at", "-pk")
    price = before.values_list("price", flat=True).first()
    if price is None:
        after = trades.filter(created_at__gt=moment, created_at__lte=until)
        price = after.order_by("created_at", "pk").values_list("price", flat=True).first()
    return price


# --- return ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PortfolioReturn:
    """The student's portfolio return over the window, marked to market.

    Measured from `since`: the window's start, or the student's last wallet reset (or the
    wallet's opening) inside the window, since a reset starts the portfolio over and neither its
    refund nor what was lost before it is a return. A top-up after that (an instructor's
    adjustment) is a deposit, not a gain: the return is chain-linked around it (time-weighted),
    each part valued at the prices of its own ends. `percent` is None when there was nothing to
    measure against (an empty portfolio at `since` and no deposit after it)."""

    since: datetime
    restarted: bool
    start_value: Decimal
    end_value: Decimal
    percent: Decimal | None
    deposits: int
    unpriced: frozenset[str]


def portfolio_return(window: Window) -> PortfolioReturn:
    holdings = defaultdict(Decimal, opening_holdings(window))
    steps = holding_steps(window)
    restarts = [i for i, step in enumerate(steps) if step.kind in RESTARTS]
    since, first = window.start, 0
    if restarts:
        first = restarts[-1] + 1
        since = steps[restarts[-1]].at
    for step in steps[:first]:
        _apply(holdings, step)
    marks = marks_at(window, since)
    start_value = period_start = marks.value(holdings)
    unpriced = marks.unpriced(holdings)
    growth, measured, deposits = Decimal(1), False, 0
    for step in steps[first:]:
        if step.kind in DEPOSITS:
            marks = marks_at(window, step.at)
            if period_start:
                growth, measured = growth * marks.value(holdings) / period_start, True
            _apply(holdings, step)
            period_start, deposits = marks.value(holdings), deposits + 1
            unpriced |= marks.unpriced(holdings)
        else:
            _apply(holdings, step)
    marks = marks_at(window, window.end)
    end_value = marks.value(holdings)
    if period_start:
        growth, measured = growth * end_value / period_start, True
    unpriced |= marks.unpriced(holdings)
    percent = (growth - 1) * 100 if measured else None
    return PortfolioReturn(
        since, bool(restarts), start_value, end_value, percent, deposits, frozenset(unpriced)
    )


def _apply(holdings: dict[str, Decimal], step: Step) -> None:
    for asset, change in step.changes.items():
        holdings[asset] += change


# --- positions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Peak:
    amount: Decimal
    at: datetime
    at_start: bool
    """The peak was what the student already held when the window started."""


def peak_holding(window: Window, asset: str) -> Peak:
    """The most the student held of `asset` (available + locked) at any point in the window,
    from the balance at its start through every journal in it; the earliest time it was held."""
    amount = opening_holdings(window).get(asset, ZERO)
    peak = Peak(amount, window.start, True)
    for step in holding_steps(window):
        if asset in step.changes:
            amount += step.changes[asset]
            if amount > peak.amount:
                peak = Peak(amount, step.at, False)
    return peak
