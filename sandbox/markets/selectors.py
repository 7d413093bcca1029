"""Reads for the markets pages: the offering's runs, markets, announcements and competitions.

Views and template tags share these so each query is written once. None of them writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from sandbox.exchange.api import Market
from sandbox.markets.models import ACTIVE_STATUSES, Announcement, Competition, ScenarioRun
from sandbox.markets.scenario import load_scenario


@dataclass(frozen=True)
class RunClock:
    """Where a run's simulated clock stands: seconds so far (never past the end) of `duration`."""

    elapsed: float
    duration: float

    @property
    def percent(self) -> int:
        return round(self.elapsed / self.duration * 100) if self.duration else 100


def recent_announcements(offering_id: int, limit: int = 5) -> list[Announcement]:
    """The offering's latest announcements, newest first, whichever run made them."""
    return list(
        Announcement.objects.filter(offering_id=offering_id).order_by("-created_at", "-pk")[:limit]
    )


def run_announcements(run_id: int) -> QuerySet[Announcement]:
    """A run's announcements in the order the scenario made them."""
    return Announcement.objects.filter(run_id=run_id).order_by("at", "pk")


def active_run(offering_id: int) -> ScenarioRun | None:
    """The offering's running or paused run (there is at most one)."""
    return ScenarioRun.objects.filter(offering_id=offering_id, status__in=ACTIVE_STATUSES).first()


def recent_runs(offering_id: int, limit: int = 10) -> list[ScenarioRun]:
    return list(ScenarioRun.objects.filter(offering_id=offering_id)[:limit])


def offering_run(offering_id: int, run_id: int) -> ScenarioRun | None:
    return ScenarioRun.objects.filter(offering_id=offering_id, pk=run_id).first()


def run_clock(run: ScenarioRun, now: datetime) -> RunClock:
    duration = load_scenario(run.script).duration
    return RunClock(elapsed=min(run.elapsed_at(now), duration), duration=duration)


def offering_markets(offering_id: int) -> QuerySet[Market]:
    # Market's default ordering joins the offering's tables; the symbol is all we sort by.
    return Market.objects.filter(offering_id=offering_id).order_by("symbol")


def competitions(offering_id: int) -> list[Competition]:
    return list(Competition.objects.filter(offering_id=offering_id))


def offering_competition(offering_id: int, competition_id: int) -> Competition | None:
    return Competition.objects.filter(offering_id=offering_id, pk=competition_id).first()


def competition_state(competition: Competition, now: datetime) -> str:
    """upcoming, live, ended (its standings are frozen at the next beat) or final (frozen)."""
    if competition.frozen_at is not None:
        return "final"
    if now < competition.starts_at:
        return "upcoming"
    return "live" if now < competition.ends_at else "ended"


def price_series(offering_id: int) -> list:
    from sandbox.markets.models import PriceSeries

    return list(
        PriceSeries.objects.filter(offering_id=offering_id).only(
            "pk", "name", "point_count", "duration"
        )
    )
