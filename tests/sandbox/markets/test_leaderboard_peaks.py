"""Running peaks and drawdowns: folded in as each round of snapshots is taken, they equal a pass
over every snapshot, so the standings read one row per student whatever the history."""

import importlib
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from sandbox.markets.leaderboard import record_snapshots, standings
from sandbox.markets.models import Competition, PortfolioPeak, PortfolioSnapshot
from sandbox.markets.peaks import Running, running_of
from sandbox.wallet.services import open_wallet
from tests.factories import EnrollmentFactory, UserFactory

CENTS = Decimal("0.01")
values = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)


def full_pass(path: list[Decimal]) -> Decimal:
    """The largest fall from a peak, in percent of that peak, from every value: the reference."""
    peak, worst = Decimal(0), Decimal(0)
    for value in path:
        peak = max(peak, value)
        if peak > 0:
            worst = max(worst, (peak - value) / peak * 100)
    return worst.quantize(CENTS)


@given(st.lists(values, min_size=1, max_size=60))
def test_the_folded_drawdown_equals_a_pass_over_every_value(path):
    running = Running.start(path[0])
    for value in path[1:]:
        running.then(value)

    assert running.drawdown_pct() == full_pass(path)
    assert running.peak == max(path) and running.first == path[0]


@given(st.lists(values, min_size=1, max_size=30), values)
def test_a_live_value_on_top_leaves_the_stored_figures_as_they_were(path, live):
    running = Running.start(path[0])
    for value in path[1:]:
        running.then(value)
    stored = running.copy()

    assert running.copy().then(live).drawdown_pct() == full_pass([*path, live])
    assert running == stored


def random_rounds(offering, owners, rounds: int, seed: int, start=None) -> list:
    rng = random.Random(seed)
    start = start or timezone.now() - timedelta(minutes=rounds + 1)
    level = {owner: Decimal(rng.randint(1_000_000, 20_000_000)) for owner in owners}
    moments = []
    for minute in range(rounds):
        at = start + timedelta(minutes=minute)
        for owner in owners:  # a random walk, with now and then a crash to nothing
            step = Decimal(rng.randint(-30, 30)) / 100
            level[owner] = max(Decimal(0), (level[owner] * (1 + step)).quantize(CENTS))
            if rng.random() < 0.03:
                level[owner] = Decimal(0)
        present = [o for o in owners if rng.random() < 0.9]  # some miss a round
        record_snapshots(offering_id=offering.pk, at=at, values={o: level[o] for o in present})
        moments.append(at)
    return moments


def recomputed(offering, since=None) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    rows = PortfolioSnapshot.objects.filter(offering=offering).order_by("taken_at", "pk")
    if since is not None:
        rows = rows.filter(taken_at__gte=since)
    paths: dict[int, list[Decimal]] = {}
    for owner, value in rows.values_list("owner_id", "value"):
        paths.setdefault(owner, []).append(value)
    return {o: (p[0], max(p), full_pass(p)) for o, p in paths.items()}


def folded(offering, competition=None) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    return {
        owner: (r.first, r.peak, r.drawdown_pct())
        for owner, r in running_of(offering.pk, competition).items()
    }


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_figures_folded_round_by_round_equal_a_pass_over_the_snapshots(exchange, seed):
    owners = [UserFactory().pk for _ in range(4)]

    random_rounds(exchange.offering, owners, rounds=40, seed=seed)

    assert folded(exchange.offering) == recomputed(exchange.offering)


@pytest.mark.django_db
def test_a_competition_folds_only_the_snapshots_since_its_start(exchange):
    owners = [UserFactory().pk for _ in range(3)]
    start = timezone.now() - timedelta(minutes=41)
    competition = Competition.objects.create(
        offering=exchange.offering,
        title="Week 1",
        starts_at=start + timedelta(minutes=15, seconds=30),
        ends_at=start + timedelta(days=1),
    )

    random_rounds(exchange.offering, owners, rounds=40, seed=7, start=start)

    assert folded(exchange.offering, competition) == recomputed(
        exchange.offering, since=competition.starts_at
    )


@pytest.mark.django_db
def test_a_competition_created_after_its_start_reads_back_to_it_once(exchange):
    owners = [UserFactory().pk for _ in range(3)]
    start = timezone.now() - timedelta(minutes=31)
    moments = random_rounds(exchange.offering, owners, rounds=20, seed=11, start=start)
    competition = Competition.objects.create(  # created now, started ten rounds ago
        offering=exchange.offering,
        title="Late",
        starts_at=moments[10],
        ends_at=start + timedelta(days=1),
    )

    random_rounds(
        exchange.offering, owners, rounds=10, seed=12, start=moments[-1] + timedelta(minutes=1)
    )

    assert folded(exchange.offering, competition) == recomputed(
        exchange.offering, since=competition.starts_at
    )


@pytest.mark.django_db
def test_a_frozen_competition_folds_no_more_snapshots(exchange):
    owners = [UserFactory().pk]
    start = timezone.now() - timedelta(minutes=20)
    competition = Competition.objects.create(
        offering=exchange.offering,
        title="Done",
        starts_at=start,
        ends_at=start + timedelta(minutes=5),
        frozen_at=start + timedelta(minutes=5),
    )

    random_rounds(exchange.offering, owners, rounds=10, seed=3, start=start)

    assert not PortfolioPeak.objects.filter(competition=competition).exists()


@pytest.mark.django_db
def test_the_migration_fills_the_figures_a_fold_would_have_kept(exchange):
    owners = [UserFactory().pk for _ in range(3)]
    start = timezone.now() - timedelta(minutes=30)
    competition = Competition.objects.create(
        offering=exchange.offering,
        title="Week 1",
        starts_at=start + timedelta(minutes=10, seconds=1),
        ends_at=start + timedelta(days=1),
    )
    random_rounds(exchange.offering, owners, rounds=25, seed=5, start=start)
    kept = (folded(exchange.offering), folded(exchange.offering, competition))
    PortfolioPeak.objects.all().delete()
    Competition.objects.update(peaks_until=None)
    migration = importlib.import_module("sandbox.markets.migrations.0005_portfolio_peaks")

    migration.fill_peaks(apps, None)

    assert (folded(exchange.offering), folded(exchange.offering, competition)) == kept
    competition.refresh_from_db()
    assert competition.peaks_until == start + timedelta(minutes=24)


def queries_for_standings(offering) -> int:
    with CaptureQueriesContext(connection) as queries:
        standings(offering.pk)
    snapshots = PortfolioSnapshot._meta.db_table
    assert not [q for q in queries.captured_queries if snapshots in q["sql"]]  # peaks only
    return len(queries)


@pytest.mark.django_db
def test_standings_take_the_same_queries_whatever_the_students_and_snapshots(classroom):
    offering = classroom.offering
    few = queries_for_standings(offering)
    students = [UserFactory() for _ in range(6)]
    for student in students:
        EnrollmentFactory(offering=offering, user=student)
        open_wallet(offering_id=offering.pk, owner_id=student.pk)
    random_rounds(offering, [s.pk for s in students], rounds=30, seed=9)

    many = queries_for_standings(offering)

    assert many == few
    assert len(standings(offering.pk)) == 8
