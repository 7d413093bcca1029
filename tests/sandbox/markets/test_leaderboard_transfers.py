"""Coins a student brings in from their chain (or takes out to it) are neither gains nor losses
on the leaderboard or their dashboard."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from sandbox.markets.leaderboard import standings
from sandbox.markets.models import Competition
from sandbox.markets.panels import student_portfolio
from sandbox.wallet.api import Withdrawal, credit_deposit, net_transfers_in
from tests.sandbox.markets.conftest import by_user
from tests.sandbox.wallet.conftest import see_deposit

pytestmark = pytest.mark.django_db


def alice_deposits(classroom, amount: str, n: int = 1):
    """Given alice's deposit of `amount` BTC from her chain, credited."""
    deposit = see_deposit(classroom, amount=amount, user=classroom.alice, n=n)
    credit_deposit(deposit_id=deposit.pk, confirmations=2)
    return deposit


def withdrawal(classroom, status: str, amount: str, fee: str = "0.0005") -> Withdrawal:
    return Withdrawal.objects.create(
        offering=classroom.offering, owner=classroom.alice, asset_id="BTC", to_address="0x" + "ab" * 20,
        status=status, amount=Decimal(amount), fee=Decimal(fee), finished_at=timezone.now(),
    )  # fmt: skip


def test_a_deposit_raises_the_portfolio_and_its_baseline_alike(classroom):
    before = by_user(standings(classroom.offering.pk))[classroom.alice.pk]

    alice_deposits(classroom, "0.3")

    after = by_user(standings(classroom.offering.pk))[classroom.alice.pk]
    assert after.value == before.value + Decimal("36000000")  # 0.3 BTC at 120,000,000 KRW
    assert after.baseline == before.baseline + Decimal("36000000")
    assert after.pnl == before.pnl


def test_the_dashboard_portfolio_does_not_count_a_deposit_as_a_gain(classroom):
    before = student_portfolio(classroom.offering.pk, classroom.alice.pk)

    alice_deposits(classroom, "0.3")

    after = student_portfolio(classroom.offering.pk, classroom.alice.pk)
    assert after.value - before.value == Decimal("36000000")
    assert after.pnl == before.pnl


def test_net_transfers_are_credited_deposits_less_confirmed_withdrawals(classroom):
    alice_deposits(classroom, "0.3", n=1)
    see_deposit(classroom, amount="5", user=classroom.alice, n=2)  # seen, not yet credited
    withdrawal(classroom, Withdrawal.Status.CONFIRMED, "0.1")
    withdrawal(classroom, Withdrawal.Status.PENDING, "0.05")  # still held in her wallet
    withdrawal(classroom, Withdrawal.Status.FAILED, "0.02")  # released back

    net = net_transfers_in(classroom.offering.pk)

    assert net == {classroom.alice.pk: {"BTC": Decimal("0.2")}}


def test_a_competition_counts_only_what_was_brought_in_after_its_start(classroom):
    alice_deposits(classroom, "0.3", n=1)  # before the competition
    competition = Competition.objects.create(
        offering=classroom.offering, title="Week 3",
        starts_at=timezone.now() + timedelta(seconds=1), ends_at=timezone.now() + timedelta(days=1),
    )  # fmt: skip

    in_competition = by_user(standings(classroom.offering.pk, competition=competition))
    overall = by_user(standings(classroom.offering.pk))

    assert net_transfers_in(classroom.offering.pk, since=competition.starts_at) == {}
    assert overall[classroom.alice.pk].baseline - in_competition[classroom.alice.pk].baseline == (
        Decimal("36000000")  # the deposit, in the overall baseline only
    )
