"""Running peaks and largest falls of students' portfolio values, folded in as snapshots are taken.

The standings need, per student, the maximum drawdown over every snapshot (over the whole
offering, or since a competition's start) and a competition's starting value. A pass over the
snapshots grows without bound (a class of 500, a snapshot a minute, for weeks), so each scope
keeps a `PortfolioPeak` row that every new snapshot updates, and the standings read one row per
student. The fold here is the same arithmetic as such a pass: the tests hold them equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sandbox.markets.models import Competition, PortfolioPeak, PortfolioSnapshot

CENTS = Decimal("0.01")
ZERO = Decimal(0)


@dataclass
class Running:
    """The first value, the highest so far, and the largest fall from a peak (as its peak and its
    trough; 0 and 0 before any)."""

    first: Decimal
    peak: Decimal
    fall_peak: Decimal = ZERO
    fall_trough: Decimal = ZERO

    @classmethod
    def start(cls, value: Decimal) -> Running:
        return cls(first=value, peak=ZERO).then(value)

    def then(self, value: Decimal) -> Running:
        """These figures after one more value (self is changed and returned)."""
        self.peak = max(self.peak, value)
        if self.peak > 0 and _fall(self.peak, value) > _fall(self.fall_peak, self.fall_trough):
            self.fall_peak, self.fall_trough = self.peak, value
        return self

    def drawdown_pct(self) -> Decimal:
        """The largest fall, in percent of its peak, to the cent."""
        return _fall(self.fall_peak, self.fall_trough).quantize(CENTS)

    def copy(self) -> Running:
        return Running(self.first, self.peak, self.fall_peak, self.fall_trough)


def _fall(peak: Decimal, value: Decimal) -> Decimal:
    return (peak - value) / peak * 100 if peak > 0 else ZERO


def running_of(offering_id: int, competition: Competition | None) -> dict[int, Running]:
    """{owner: their running figures} in the scope, one query."""
    rows = PortfolioPeak.objects.filter(offering_id=offering_id, competition=competition)
    return {row.owner_id: _running(row) for row in rows}


def fold_snapshots(*, offering_id: int, at: datetime, values: dict[int, Decimal]) -> None:
    """Fold one round of snapshots (taken at `at`) into every scope it counts in: the offering's,
    and each competition that has started and is not frozen. Called inside the transaction that
    stores the snapshots, after it stores them."""
    _fold(offering_id, None, at, values)
    competitions = Competition.objects.filter(
        offering_id=offering_id, starts_at__lte=at, frozen_at__isnull=True
    ).order_by("pk")
    for competition in competitions.select_for_update():
        if competition.peaks_until is None:  # started before its first fold: read back to it
            _fold_history(competition, until=at)
        else:
            _fold(offering_id, competition, at, values)
        Competition.objects.filter(pk=competition.pk).update(peaks_until=at)


def _fold(offering_id: int, competition, at: datetime, values: dict[int, Decimal]) -> None:
    rows = {
        row.owner_id: row
        for row in PortfolioPeak.objects.filter(
            offering_id=offering_id, competition=competition, owner_id__in=list(values)
        )
        .order_by("pk")
        .select_for_update()
    }
    changed, new = [], []
    for owner, value in values.items():
        row = rows.get(owner)
        if row is None:
            new.append(_row(offering_id, owner, competition, Running.start(value), at))
            continue
        _store(row, _running(row).then(value), at)
        changed.append(row)
    PortfolioPeak.objects.bulk_update(
        changed, ["peak", "fall_peak", "fall_trough", "last_taken_at"], batch_size=500
    )
    PortfolioPeak.objects.bulk_create(new, batch_size=500)


def _fold_history(competition: Competition, *, until: datetime) -> None:
    """A competition's figures from every snapshot since its start (once: the first fold after it
    started, when it was created with a start in the past)."""
    snapshots = PortfolioSnapshot.objects.filter(
        offering_id=competition.offering_id,
        taken_at__gte=competition.starts_at,
        taken_at__lte=until,
    ).order_by("taken_at", "pk")
    figures: dict[int, tuple[Running, datetime]] = {}
    for owner, value, taken_at in snapshots.values_list("owner_id", "value", "taken_at").iterator():
        found = figures.get(owner)
        running = found[0].then(value) if found else Running.start(value)
        figures[owner] = (running, taken_at)
    PortfolioPeak.objects.filter(competition=competition).delete()
    PortfolioPeak.objects.bulk_create(
        (
            _row(competition.offering_id, owner, competition, running, taken_at)
            for owner, (running, taken_at) in figures.items()
        ),
        batch_size=500,
    )


def _running(row: PortfolioPeak) -> Running:
    return Running(row.first_value, row.peak, row.fall_peak, row.fall_trough)


def _store(row: PortfolioPeak, running: Running, at: datetime) -> None:
    row.peak, row.fall_peak, row.fall_trough = running.peak, running.fall_peak, running.fall_trough
    row.last_taken_at = at


def _row(offering_id, owner, competition, running: Running, at: datetime) -> PortfolioPeak:
    row = PortfolioPeak(
        offering_id=offering_id, owner_id=owner, competition=competition, first_value=running.first
    )
    _store(row, running, at)
    return row
