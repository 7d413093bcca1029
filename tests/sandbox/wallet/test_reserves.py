"""Proof of reserves after a mixed run, the desk's settings, and the market scenario's halt."""

from datetime import timedelta
from decimal import Decimal

import pytest

from campus.errors import ServiceError
from sandbox.wallet.api import (
    credit_deposit,
    fail_withdrawal,
    mark_withdrawal_broadcast,
    request_withdrawal,
    reserve_lines,
    revert_deposit,
    set_asset_rule,
    set_confirmations,
    settle_withdrawal,
    transfer_rule,
    transfer_rules,
    transfer_settings,
)
from sandbox.wallet.checks import find_ledger_breaks
from sandbox.wallet.services import open_wallet
from tests.factories import UserFactory
from tests.sandbox.wallet.conftest import CHAIN_ID, STUDENT_ADDRESS, see_deposit, tx

pytestmark = pytest.mark.django_db
D = Decimal


def withdraw_and_finish(desk, user, asset, amount, *, confirmed: bool, n: int):
    withdrawal = request_withdrawal(
        offering_id=desk.offering.pk,
        owner_id=user.pk,
        asset_code=asset,
        amount=D(amount),
        to_address=STUDENT_ADDRESS,
    )
    mark_withdrawal_broadcast(withdrawal_id=withdrawal.pk, chain_id=CHAIN_ID, tx_hash=tx(n))
    if confirmed:
        settle_withdrawal(withdrawal_id=withdrawal.pk, block_number=50, gas_cost_wei=21_000)
    else:
        fail_withdrawal(withdrawal_id=withdrawal.pk, reason="reverted")
    return withdrawal


def credited(desk, user, asset, amount, n):
    deposit = see_deposit(desk, user=user, asset=asset, amount=amount, n=n)
    return credit_deposit(deposit_id=deposit.pk, confirmations=2)


def test_reserves_reconcile_after_deposits_withdrawals_reverts_and_a_flag(desk, broadcasts):
    # given two students (each granted 0.05 BTC, 1 ETH, 1,000 KUSD) and a mixed run
    bob = UserFactory()
    open_wallet(offering_id=desk.offering.pk, owner_id=bob.pk)
    credited(desk, desk.student, "BTC", "0.3", 1)
    credited(desk, bob, "ETH", "2", 2)
    credited(desk, bob, "KUSD", "500", 3)
    never = see_deposit(desk, asset="BTC", amount="9", n=4)
    revert_deposit(deposit_id=never.pk)  # reverted before its credit: nothing owed
    flagged = credited(desk, desk.student, "KUSD", "40", 5)
    revert_deposit(deposit_id=flagged.pk)  # credited, then gone from the chain
    withdraw_and_finish(desk, desk.student, "BTC", "0.1", confirmed=True, n=10)
    withdraw_and_finish(desk, bob, "ETH", "1.5", confirmed=True, n=11)
    withdraw_and_finish(desk, bob, "KUSD", "20", confirmed=False, n=12)
    # what the chain side would report: deposits that stayed on chain minus what was sent out
    onchain = {"BTC": D("0.3") - D("0.1"), "ETH": D("2") - D("1.5"), "KUSD": D("500")}

    lines = {
        line.asset_code: line
        for line in reserve_lines(offering_id=desk.offering.pk, onchain=onchain)
    }

    assert set(lines) == {"BTC", "ETH", "KUSD"}  # KRW and DAX have no token on the chain
    assert (lines["BTC"].owed_for_deposits, lines["BTC"].difference) == (D("0.2"), 0)
    assert (lines["ETH"].owed_for_deposits, lines["ETH"].difference) == (D("0.5"), 0)
    # the flagged 40 KUSD is owed but not on chain: the difference shows it
    assert (lines["KUSD"].owed_for_deposits, lines["KUSD"].difference) == (D("540"), D("-40"))
    # owed to users: grants + credits − withdrawals − fees
    assert lines["BTC"].owed_to_users == D("0.1") + D("0.3") - D("0.1") - D("0.0001")
    assert lines["ETH"].owed_to_users == D("2") + D("2") - D("1.5") - D("0.001")
    assert lines["KUSD"].owed_to_users == D("2000") + D("540")
    assert {line.in_flight for line in lines.values()} == {0}
    assert find_ledger_breaks() == []


def test_reserves_show_what_withdrawals_in_flight_hold_and_name_every_asset(desk, broadcasts):
    request_withdrawal(
        offering_id=desk.offering.pk,
        owner_id=desk.student.pk,
        asset_code="ETH",
        amount=D("0.25"),
        to_address=STUDENT_ADDRESS,
    )

    lines = reserve_lines(offering_id=desk.offering.pk, onchain={})

    assert [(line.asset_code, line.in_flight, line.onchain) for line in lines] == [
        ("BTC", 0, 0),
        ("ETH", D("0.25"), 0),
        ("KUSD", 0, 0),
    ]


def test_the_default_rules_follow_the_design(desk):
    rules = {rule.asset_code: rule for rule in transfer_rules(desk.offering.pk)}

    assert {code: (r.withdrawal_fee, r.withdrawal_minimum) for code, r in rules.items()} == {
        "BTC": (D("0.0001"), D("0.001")),
        "ETH": (D("0.001"), D("0.01")),
        "KUSD": (D("1"), D("10")),
    }
    krw = transfer_rule(desk.offering.pk, "KRW")
    assert (krw.withdrawable, krw.deposits_enabled) == (False, False)


def test_an_unset_desk_reads_as_the_defaults_without_writing(desk):
    settings = transfer_settings(desk.offering.pk)

    assert (settings.pk, settings.confirmations, settings.withdrawals_halted) == (None, 2, False)


@pytest.mark.parametrize("confirmations", [-1, 65])
def test_confirmations_outside_0_to_64_are_refused(desk, confirmations):
    with pytest.raises(ServiceError) as refused:
        set_confirmations(offering_id=desk.offering.pk, confirmations=confirmations)

    assert refused.value.code == "invalid_confirmations"
    assert transfer_settings(desk.offering.pk).pk is None


@pytest.mark.parametrize(
    ("asset", "fee", "minimum", "code"),
    [
        ("BTC", "-1", "1", "invalid_rule"),
        ("BTC", "0", "0", "invalid_rule"),
        ("KUSD", "0.001", "10", "too_precise"),
        ("KRW", "1", "10", "asset_not_withdrawable"),
    ],
)
def test_an_impossible_rule_is_refused(desk, asset, fee, minimum, code):
    with pytest.raises(ServiceError) as refused:
        set_asset_rule(
            offering_id=desk.offering.pk,
            asset_code=asset,
            withdrawal_fee=D(fee),
            withdrawal_minimum=D(minimum),
        )

    assert refused.value.code == code


def test_the_exchange_run_scenario_halts_the_offerings_withdrawals(exchange, broadcasts):
    from sandbox.markets import runner
    from sandbox.markets.models import ScenarioRun
    from sandbox.markets.services import start_scenario

    run = start_scenario(
        offering_id=exchange.offering.pk,
        scenario="exchange-run",
        started_by_id=None,
        seed=3,
        speed=100,
    )
    start = ScenarioRun.objects.get(pk=run.pk).clock_at

    runner.tick(run.pk, now=start + timedelta(seconds=4))  # 400 simulated s: past the halt at 360

    desk = transfer_settings(exchange.offering.pk)
    assert desk.withdrawals_halted and desk.halted_reason == "The exchange halts all withdrawals."
    assert ScenarioRun.objects.get(pk=run.pk).withdrawals_halted
    with pytest.raises(ServiceError) as refused:
        request_withdrawal(
            offering_id=exchange.offering.pk,
            owner_id=exchange.alice.pk,
            asset_code="BTC",
            amount=D("0.01"),
            to_address=STUDENT_ADDRESS,
        )
    assert refused.value.code == "withdrawals_halted"
