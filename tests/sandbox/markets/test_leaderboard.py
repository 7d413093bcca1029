"""Leaderboards: portfolios marked to market, PnL over holding the grant, drawdowns, and
competitions whose final standings are frozen."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from sandbox.exchange.api import Market
from sandbox.markets.leaderboard import (
    freeze_ended_competitions,
    marks,
    record_snapshots,
    standings,
    take_snapshots,
)
from sandbox.markets.models import Competition, PortfolioSnapshot
from sandbox.wallet.services import open_wallet
from tests.factories import EnrollmentFactory, UserFactory
from tests.sandbox.markets.conftest import by_user

pytestmark = pytest.mark.django_db


def test_portfolios_are_marked_at_last_prices_and_pnl_is_over_holding_the_grant(classroom):
    table = by_user(standings(classroom.offering.pk))
    alice, bob = table[classroom.alice.pk], table[classroom.bob.pk]

    assert marks(classroom.offering.pk)["BTC"] == Decimal("120000000")
    # alice paid 1,000,000 KRW for BTC now worth 1,200,000 (less her taker fee, 0.1 % of the BTC)
    assert alice.pnl == Decimal("200000") - Decimal("0.00001") * Decimal("120000000")
    assert bob.pnl < 0
    assert (alice.rank, bob.rank) == (1, 2)
    assert alice.value == alice.baseline + alice.pnl
    assert alice.return_pct == (alice.pnl / alice.baseline * 100).quantize(Decimal("0.01"))


def test_only_enrolled_students_are_ranked(classroom):
    instructor = UserFactory()
    EnrollmentFactory(offering=classroom.offering, user=instructor, role="instructor")
    open_wallet(offering_id=classroom.offering.pk, owner_id=instructor.pk)  # as a visit would

    ranked = {row.user_id for row in standings(classroom.offering.pk)}

    assert ranked == {classroom.alice.pk, classroom.bob.pk}


def test_max_drawdown_is_the_largest_fall_from_a_peak(classroom):
    now = timezone.now()
    for minutes, value in ((3, "10000000"), (2, "12000000"), (1, "9000000")):
        record_snapshots(
            offering_id=classroom.offering.pk,
            at=now - timedelta(minutes=minutes),
            values={classroom.bob.pk: Decimal(value)},
        )

    bob = by_user(standings(classroom.offering.pk))[classroom.bob.pk]

    assert bob.max_drawdown_pct == Decimal("25.00")  # 12,000,000 down to 9,000,000


def test_a_competition_counts_from_its_start_and_freezes_at_its_end(classroom):
    start = timezone.now() - timedelta(minutes=10)
    competition = Competition.objects.create(
        offering=classroom.offering,
        title="Week 1",
        starts_at=start,
        ends_at=start + timedelta(minutes=5),
    )
    take_snapshots(offering_id=classroom.offering.pk, at=start + timedelta(seconds=1))
    Market.objects.filter(pk=classroom.btc.pk).update(last_price=Decimal("130000000"))
    live = by_user(standings(classroom.offering.pk, competition=competition))

    assert freeze_ended_competitions(now=timezone.now()) == 1
    Market.objects.filter(pk=classroom.btc.pk).update(last_price=Decimal("50000000"))
    competition.refresh_from_db()
    frozen = by_user(standings(classroom.offering.pk, competition=competition))

    # from the start snapshot (BTC at 120M) to 130M: alice's 0.05999 BTC (grant and purchase)
    assert live[classroom.alice.pk].pnl == Decimal("0.05999") * Decimal("10000000")
    assert frozen == live  # later prices change nothing
    assert freeze_ended_competitions(now=timezone.now()) == 0  # frozen once


def test_the_minute_task_snapshots_each_student_once_whatever_the_number_of_markets(classroom):
    from sandbox.markets.tasks import snapshot_portfolios

    taken = snapshot_portfolios()

    assert taken == 2  # alice and bob, though the offering has three markets
    assert PortfolioSnapshot.objects.filter(owner=classroom.alice).count() == 1
