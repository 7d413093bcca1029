"""Withdrawals: amount + fee held, then debited when mined or released when failed; every
refusal explained and nothing held; the ledger whole after every step (issue 7)."""

from decimal import Decimal

import pytest

from campus.errors import ServiceError
from sandbox.wallet.api import (
    Account,
    Journal,
    Withdrawal,
    fail_withdrawal,
    mark_withdrawal_broadcast,
    request_withdrawal,
    set_asset_rule,
    set_withdrawals_halted,
    settle_withdrawal,
    withdrawals_of,
)
from sandbox.wallet.checks import find_ledger_breaks
from tests.sandbox.wallet.conftest import CHAIN_ID, STUDENT_ADDRESS, balance, system_balance, tx

pytestmark = pytest.mark.django_db
GRANT_BTC = Decimal("0.05")
CHECKSUMMED = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # the EIP-55 example


def withdraw(desk, amount="0.01", asset="BTC", to=STUDENT_ADDRESS):
    return request_withdrawal(
        offering_id=desk.offering.pk,
        owner_id=desk.student.pk,
        asset_code=asset,
        amount=Decimal(amount),
        to_address=to,
    )


def broadcast(withdrawal, n=7):
    return mark_withdrawal_broadcast(withdrawal_id=withdrawal.pk, chain_id=CHAIN_ID, tx_hash=tx(n))


def test_a_request_holds_amount_plus_fee_and_asks_the_chain_to_send_it(
    desk, broadcasts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        withdrawal = withdraw(desk, "0.01")

    assert (withdrawal.status, withdrawal.fee) == ("pending", Decimal("0.0001"))
    assert balance(desk.offering, desk.student, "BTC") == (Decimal("0.0399"), Decimal("0.0101"))
    assert broadcasts == [("sandbox.chain.tasks.broadcast_withdrawal", [withdrawal.pk])]
    assert find_ledger_breaks() == []


def test_a_sent_withdrawal_is_broadcast_with_its_transaction(desk, broadcasts):
    withdrawal = withdraw(desk)

    broadcast(withdrawal)

    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.chain_id, withdrawal.tx_hash) == (
        "broadcast",
        CHAIN_ID,
        tx(7),
    )
    assert withdrawal.broadcast_at is not None
    assert find_ledger_breaks() == []


def test_a_confirmed_withdrawal_turns_the_hold_into_a_debit_to_custody_and_fees(desk, broadcasts):
    withdrawal = withdraw(desk, "0.01")
    broadcast(withdrawal)

    settle_withdrawal(withdrawal_id=withdrawal.pk, block_number=40, gas_cost_wei=21_000 * 10**9)

    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.block_number) == ("confirmed", 40)
    assert withdrawal.gas_cost_wei == 21_000 * 10**9 and withdrawal.finished_at is not None
    assert balance(desk.offering, desk.student, "BTC") == (Decimal("0.0399"), 0)
    assert system_balance(desk.offering, "BTC", Account.Kind.CUSTODY) == Decimal("0.01")
    assert system_balance(desk.offering, "BTC", Account.Kind.FEES) == Decimal("0.0001")
    assert Journal.objects.filter(kind=Journal.Kind.WITHDRAWAL).count() == 1
    assert find_ledger_breaks() == []


def test_settling_again_debits_once(desk, broadcasts):
    withdrawal = withdraw(desk)
    broadcast(withdrawal)
    settle_withdrawal(withdrawal_id=withdrawal.pk, block_number=40, gas_cost_wei=1)

    settle_withdrawal(withdrawal_id=withdrawal.pk, block_number=40, gas_cost_wei=1)

    assert Journal.objects.filter(kind=Journal.Kind.WITHDRAWAL).count() == 1
    assert find_ledger_breaks() == []


@pytest.mark.parametrize("sent", [False, True], ids=["pending", "broadcast"])
def test_a_failed_withdrawal_releases_the_hold_and_says_why(desk, broadcasts, sent):
    withdrawal = withdraw(desk, "0.01")
    if sent:
        broadcast(withdrawal)

    fail_withdrawal(withdrawal_id=withdrawal.pk, reason="The transaction reverted on the chain.")

    withdrawal.refresh_from_db()
    assert withdrawal.status == "failed"
    assert withdrawal.failure == "The transaction reverted on the chain."
    assert balance(desk.offering, desk.student, "BTC") == (GRANT_BTC, 0)
    assert find_ledger_breaks() == []


def test_failing_again_releases_once(desk, broadcasts):
    withdrawal = withdraw(desk)
    fail_withdrawal(withdrawal_id=withdrawal.pk, reason="gone")

    fail_withdrawal(withdrawal_id=withdrawal.pk, reason="gone")

    assert Journal.objects.filter(kind=Journal.Kind.RELEASE).count() == 1
    assert balance(desk.offering, desk.student, "BTC") == (GRANT_BTC, 0)


def test_a_confirmed_withdrawal_cannot_fail(desk, broadcasts):
    withdrawal = withdraw(desk)
    broadcast(withdrawal)
    settle_withdrawal(withdrawal_id=withdrawal.pk, block_number=40, gas_cost_wei=1)

    with pytest.raises(ServiceError) as refused:
        fail_withdrawal(withdrawal_id=withdrawal.pk, reason="late")

    assert refused.value.code == "withdrawal_finished"
    assert Withdrawal.objects.get().status == "confirmed"
    assert find_ledger_breaks() == []


def test_a_withdrawal_cannot_settle_before_it_is_broadcast(desk, broadcasts):
    withdrawal = withdraw(desk)

    with pytest.raises(ServiceError) as refused:
        settle_withdrawal(withdrawal_id=withdrawal.pk, block_number=40, gas_cost_wei=1)

    assert refused.value.code == "wrong_status"
    assert balance(desk.offering, desk.student, "BTC")[1] == Decimal("0.0101")


def test_broadcasting_again_with_the_same_transaction_changes_nothing(desk, broadcasts):
    withdrawal = withdraw(desk)
    first = broadcast(withdrawal, n=7)

    again = broadcast(withdrawal, n=7)

    assert again.broadcast_at == first.broadcast_at


def test_broadcasting_with_another_transaction_is_refused(desk, broadcasts):
    withdrawal = withdraw(desk)
    broadcast(withdrawal, n=7)

    with pytest.raises(ServiceError) as refused:
        broadcast(withdrawal, n=8)

    assert refused.value.code == "wrong_status"
    assert Withdrawal.objects.get().tx_hash == tx(7)


@pytest.mark.parametrize(
    ("asset", "amount", "to", "code", "message"),
    [
        ("KRW", "10000", STUDENT_ADDRESS, "asset_not_withdrawable", "KRW cannot move"),
        ("BTC", "0.01", "0x1234", "invalid_address", "40 hexadecimal digits"),
        ("BTC", "0.01", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "invalid_address", "0x"),
        ("BTC", "0.01", CHECKSUMMED.replace("a", "A", 1), "invalid_address", "checksum"),
        ("BTC", "0.01", "0x" + "0" * 40, "invalid_address", "zero address"),
        (
            "BTC",
            "0.0005",
            STUDENT_ADDRESS,
            "below_minimum",
            "The minimum withdrawal of BTC is 0.001; you asked for 0.0005.",
        ),
        ("KUSD", "10.001", STUDENT_ADDRESS, "too_precise", "KUSD amounts have at most 2"),
        ("BTC", "-1", STUDENT_ADDRESS, "below_minimum", "you asked for -1."),
        (
            "BTC",
            "0.05",
            STUDENT_ADDRESS,
            "insufficient_balance",
            "Withdrawing 0.05 BTC costs 0.0501 BTC with the 0.0001 BTC fee, but you have "
            "0.05 BTC available.",
        ),
        ("ETH", "NaN", STUDENT_ADDRESS, "invalid_amount", "not an amount of ETH"),
    ],
)
def test_a_refused_request_says_why_and_holds_nothing(
    desk, broadcasts, django_capture_on_commit_callbacks, asset, amount, to, code, message
):
    before = list(Account.objects.order_by("pk").values_list("available", "locked"))

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ServiceError) as refused:
        withdraw(desk, amount, asset, to)

    assert refused.value.code == code
    assert message in refused.value.message
    assert list(Account.objects.order_by("pk").values_list("available", "locked")) == before
    assert not Withdrawal.objects.exists() and broadcasts == []
    assert find_ledger_breaks() == []


@pytest.mark.parametrize(
    "address", [CHECKSUMMED, CHECKSUMMED.lower(), "0x" + CHECKSUMMED[2:].upper()]
)
def test_a_checksummed_or_single_case_address_is_accepted(desk, broadcasts, address):
    assert withdraw(desk, to=address).to_address == address


def test_a_halt_refuses_new_requests_with_its_reason_and_a_resume_allows_them(desk, broadcasts):
    set_withdrawals_halted(offering_id=desk.offering.pk, halted=True, reason="Audit under way.")

    with pytest.raises(ServiceError) as refused:
        withdraw(desk)
    set_withdrawals_halted(offering_id=desk.offering.pk, halted=False)
    allowed = withdraw(desk)

    assert refused.value.code == "withdrawals_halted"
    assert refused.value.message == "Withdrawals are halted for this course: Audit under way."
    assert allowed.status == "pending"


def test_a_halt_is_checked_before_anything_else(desk, broadcasts):
    set_withdrawals_halted(offering_id=desk.offering.pk, halted=True)

    with pytest.raises(ServiceError) as refused:
        withdraw(desk, "5", "KRW", "nonsense")

    assert refused.value.code == "withdrawals_halted"
    assert "halted" in refused.value.message and "try again later" in refused.value.message


def test_a_request_made_before_the_halt_still_settles(desk, broadcasts):
    withdrawal = withdraw(desk)
    set_withdrawals_halted(offering_id=desk.offering.pk, halted=True, reason="Audit.")

    broadcast(withdrawal)
    settle_withdrawal(withdrawal_id=withdrawal.pk, block_number=3, gas_cost_wei=0)

    assert Withdrawal.objects.get().status == "confirmed"
    assert find_ledger_breaks() == []


def test_the_instructors_fee_and_minimum_replace_the_defaults(desk, broadcasts):
    set_asset_rule(
        offering_id=desk.offering.pk,
        asset_code="KUSD",
        withdrawal_fee=Decimal("2.5"),
        withdrawal_minimum=Decimal("50"),
    )

    with pytest.raises(ServiceError) as refused:
        withdraw(desk, "20", "KUSD")
    withdrawal = withdraw(desk, "50", "KUSD")

    assert "The minimum withdrawal of KUSD is 50; you asked for 20." in refused.value.message
    assert withdrawal.fee == Decimal("2.5")
    assert balance(desk.offering, desk.student, "KUSD") == (Decimal("947.5"), Decimal("52.5"))


def test_the_students_withdrawals_are_listed_newest_first(desk, broadcasts):
    older, newer = withdraw(desk), withdraw(desk, "0.1", "ETH")

    assert withdrawals_of(desk.offering.pk, desk.student.pk) == [newer, older]


def test_every_step_of_a_withdrawal_is_announced_to_its_owner(
    desk, broadcasts, announcements, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        withdrawal = withdraw(desk, "0.02")
    with django_capture_on_commit_callbacks(execute=True):
        broadcast(withdrawal)
    with django_capture_on_commit_callbacks(execute=True):
        settle_withdrawal(withdrawal_id=withdrawal.pk, block_number=9, gas_cost_wei=5)

    assert {group for group, _m in announcements} == {f"transfers.{desk.student.pk}"}
    events = [message["transfer"] for _g, message in announcements]
    assert [e["status"] for e in events] == ["pending", "broadcast", "confirmed"]
    assert events[-1] == {
        "kind": "withdrawal",
        "id": withdrawal.pk,
        "offering_id": desk.offering.pk,
        "status": "confirmed",
        "confirmations": None,
        "amount": "0.02",
        "asset": "BTC",
        "tx_hash": tx(7),
    }
