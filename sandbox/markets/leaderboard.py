"""Leaderboards: students' portfolios marked to market, their PnL, return and maximum drawdown.

Marks are each asset's last traded price in KRW on the offering's own markets (KRW is 1; an asset
with no KRW market or no trade yet counts at 0 and the page says so). Without a competition, a
student's baseline is their starting grant at today's marks, so PnL is what trading added over
simply holding the grant. In a competition the baseline is their value when it started (the
first snapshot from then), and the standings are frozen when it ends. What a student deposited
from their chain, less what they withdrew to it (since the competition began, in one), is added
to their baseline at today's marks: bringing coins in is not a gain, taking them out not a loss
(a withdrawal's fee is a cost, and stays one).

Drawdowns and competitions' baselines come from each student's running figures (peaks.py), which
every snapshot updates: the standings read a fixed number of queries of one row per student,
however many snapshots the offering has.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from courses.api import active_students
from sandbox.exchange.api import Market
from sandbox.markets.models import Competition, PortfolioSnapshot
from sandbox.markets.peaks import Running, fold_snapshots, running_of
from sandbox.wallet.api import Account, net_transfers_in, starting_grant

QUOTE = "KRW"
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Standing:
    rank: int
    user_id: int
    name: str
    value: Decimal
    baseline: Decimal
    pnl: Decimal
    return_pct: Decimal
    max_drawdown_pct: Decimal


def marks(offering_id: int) -> dict[str, Decimal]:
    found = {QUOTE: Decimal(1)}
    for base, price in Market.objects.filter(
        offering_id=offering_id, quote_id=QUOTE, last_price__isnull=False
    ).values_list("base_id", "last_price"):
        found[base] = price
    return found


def value_at(amounts: dict[str, Decimal], prices: dict[str, Decimal]) -> Decimal:
    """These amounts of assets in KRW at `prices` (an unpriced asset counts 0), to the won's cent."""
    total = sum(
        (amount * prices.get(code, Decimal(0)) for code, amount in amounts.items()), Decimal(0)
    )
    return total.quantize(CENTS)


def portfolio_values(offering_id: int, prices: dict[str, Decimal]) -> dict[int, Decimal]:
    """{student id: value in KRW} for every actively enrolled student with a wallet. One query."""
    students = active_students(offering_id).values("user_id")
    rows = (
        Account.objects.filter(offering_id=offering_id, kind="user", owner_id__in=students)
        .values("owner_id", "asset_id")
        .annotate(total=Sum("available") + Sum("locked"))
    )
    values: dict[int, Decimal] = defaultdict(Decimal)
    for row in rows:
        values[row["owner_id"]] += row["total"] * prices.get(row["asset_id"], Decimal(0))
    return {owner: value.quantize(CENTS) for owner, value in values.items()}


def standings(offering_id: int, *, competition: Competition | None = None) -> list[Standing]:
    """The live table, best return first. A frozen competition's table is its frozen one."""
    if competition is not None and competition.frozen_at is not None:
        return [_from_json(row) for row in competition.standings]
    prices = marks(offering_id)
    values = portfolio_values(offering_id, prices)
    running = running_of(offering_id, competition)
    brought_in = net_transfers_in(
        offering_id, since=competition.starts_at if competition is not None else None
    )
    grant_value = value_at(starting_grant(offering_id), prices)
    names = _names(values)
    rows = []
    for owner, value in values.items():
        so_far = running.get(owner)
        baseline = so_far.first if competition is not None and so_far else grant_value
        baseline += value_at(brought_in.get(owner, {}), prices)
        now = so_far.copy().then(value) if so_far else Running.start(value)
        pnl = value - baseline
        rows.append((owner, value, baseline, pnl, percent(pnl, baseline), now.drawdown_pct()))
    rows.sort(key=lambda r: (-r[4], -r[1], names[r[0]]))
    return [
        Standing(rank, owner, names[owner], value, baseline, pnl, ret, drawdown)
        for rank, (owner, value, baseline, pnl, ret, drawdown) in enumerate(rows, start=1)
    ]


def take_snapshots(*, offering_id: int, at: datetime) -> int:
    """Record every student's portfolio value now (beat calls this every minute)."""
    values = portfolio_values(offering_id, marks(offering_id))
    record_snapshots(offering_id=offering_id, at=at, values=values)
    return len(values)


def record_snapshots(*, offering_id: int, at: datetime, values: dict[int, Decimal]) -> None:
    """Store a round of snapshots and fold it into the running figures, together. Rounds come
    in time order (`at` later than the last round's), as the beat takes them."""
    with transaction.atomic(durable=True):
        PortfolioSnapshot.objects.bulk_create(
            PortfolioSnapshot(offering_id=offering_id, owner_id=owner, taken_at=at, value=value)
            for owner, value in values.items()
        )
        fold_snapshots(offering_id=offering_id, at=at, values=values)


def freeze_ended_competitions(*, now: datetime) -> int:
    """Freeze the standings of competitions that have ended, once each."""
    frozen = 0
    for competition in Competition.objects.filter(ends_at__lte=now, frozen_at__isnull=True):
        table = [_to_json(s) for s in standings(competition.offering_id, competition=competition)]
        with transaction.atomic(durable=True):
            frozen += Competition.objects.filter(pk=competition.pk, frozen_at__isnull=True).update(
                standings=table, frozen_at=now
            )
    return frozen


def percent(part: Decimal, whole: Decimal) -> Decimal:
    """`part` as a percentage of `whole`, to the hundredth (0 of nothing)."""
    return (part / whole * 100).quantize(CENTS) if whole else Decimal(0)


def _names(values: dict[int, Decimal]) -> dict[int, str]:
    from campus.api import User

    return {
        user.pk: user.get_full_name() or user.username
        for user in User.objects.filter(pk__in=list(values)).only(
            "first_name", "last_name", "username"
        )
    }


def _to_json(standing: Standing) -> dict:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(standing).items()}


def _from_json(row: dict) -> Standing:
    decimals = {"value", "baseline", "pnl", "return_pct", "max_drawdown_pct"}
    return Standing(**{k: Decimal(v) if k in decimals else v for k, v in row.items()})
