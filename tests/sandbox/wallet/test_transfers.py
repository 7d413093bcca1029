"""Deposits: recorded once per transfer, credited once after the offering's confirmations, never
credited once reverted, flagged when reverted after the credit (issue 7)."""

from decimal import Decimal

import pytest

from campus.errors import ServiceError
from sandbox.wallet.api import (
    Account,
    Deposit,
    Journal,
    credit_deposit,
    deposits_of,
    flagged_deposits,
    revert_deposit,
    set_asset_rule,
    set_confirmations,
)
from sandbox.wallet.checks import find_ledger_breaks
from tests.sandbox.wallet.conftest import balance, see_deposit, system_balance, tx

pytestmark = pytest.mark.django_db
GRANT_BTC = Decimal("0.05")


def test_a_transfer_seen_twice_is_one_deposit(desk):
    first = see_deposit(desk)

    again = see_deposit(desk)

    assert again.pk == first.pk
    assert Deposit.objects.count() == 1
    assert first.status == Deposit.Status.SEEN
    assert find_ledger_breaks() == []


def test_the_key_matches_a_tx_hash_in_any_letter_case(desk):
    first = see_deposit(desk, n=0xABC)

    again = see_deposit(desk, tx_hash="0x" + tx(0xABC)[2:].upper())

    assert again.pk == first.pk and again.tx_hash == tx(0xABC)
    assert Deposit.objects.count() == 1


def test_a_deposit_waits_for_the_offerings_confirmations(desk):
    deposit = see_deposit(desk)

    credit_deposit(deposit_id=deposit.pk, confirmations=1)  # default needs 2

    deposit.refresh_from_db()
    assert (deposit.status, deposit.confirmations) == (Deposit.Status.SEEN, 1)
    assert balance(desk.offering, desk.student, "BTC") == (GRANT_BTC, 0)
    assert find_ledger_breaks() == []


def test_a_deposit_with_enough_confirmations_is_credited_from_custody(desk):
    deposit = see_deposit(desk, amount="0.3")

    credit_deposit(deposit_id=deposit.pk, confirmations=2)

    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.CREDITED and deposit.credited_at is not None
    assert deposit.journal.kind == Journal.Kind.DEPOSIT
    assert balance(desk.offering, desk.student, "BTC") == (GRANT_BTC + Decimal("0.3"), 0)
    assert system_balance(desk.offering, "BTC", Account.Kind.CUSTODY) == Decimal("-0.3")
    assert find_ledger_breaks() == []


def test_crediting_a_deposit_again_credits_it_once(desk):
    deposit = see_deposit(desk, amount="0.3")
    credit_deposit(deposit_id=deposit.pk, confirmations=2)

    for confirmations in (3, 4, 4):
        credit_deposit(deposit_id=deposit.pk, confirmations=confirmations)

    assert Journal.objects.filter(kind=Journal.Kind.DEPOSIT).count() == 1
    assert balance(desk.offering, desk.student, "BTC")[0] == GRANT_BTC + Decimal("0.3")
    assert Deposit.objects.get().confirmations == 4
    assert find_ledger_breaks() == []


def test_the_instructors_confirmation_count_decides_the_credit(desk):
    set_confirmations(offering_id=desk.offering.pk, confirmations=5)
    deposit = see_deposit(desk)

    credit_deposit(deposit_id=deposit.pk, confirmations=4)
    waiting = Deposit.objects.get().status
    credit_deposit(deposit_id=deposit.pk, confirmations=5)

    assert (waiting, Deposit.objects.get().status) == ("seen", "credited")


def test_a_reverted_deposit_is_never_credited(desk):
    deposit = see_deposit(desk)

    revert_deposit(deposit_id=deposit.pk)
    credit_deposit(deposit_id=deposit.pk, confirmations=10)

    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.REVERTED and deposit.journal is None
    assert balance(desk.offering, desk.student, "BTC") == (GRANT_BTC, 0)
    assert find_ledger_breaks() == []


def test_a_deposit_reverted_after_its_credit_is_flagged_and_the_ledger_untouched(desk):
    deposit = see_deposit(desk, amount="0.3")
    credit_deposit(deposit_id=deposit.pk, confirmations=2)
    journals = Journal.objects.count()

    revert_deposit(deposit_id=deposit.pk)

    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.FLAGGED and deposit.reverted_at is not None
    assert Journal.objects.count() == journals
    assert flagged_deposits(desk.offering.pk) == [deposit]
    assert find_ledger_breaks() == []


def test_a_reverted_transfer_seen_again_waits_again_in_its_new_block(desk):
    deposit = see_deposit(desk, block=10)
    credit_deposit(deposit_id=deposit.pk, confirmations=1)
    revert_deposit(deposit_id=deposit.pk)

    again = see_deposit(desk, block=12)

    assert again.pk == deposit.pk
    assert (again.status, again.block_number, again.confirmations) == ("seen", 12, 0)
    assert again.block_hash == tx(10_012) and again.reverted_at is None


def test_a_flagged_transfer_seen_again_is_credited_again_without_a_second_posting(desk):
    deposit = see_deposit(desk)
    credit_deposit(deposit_id=deposit.pk, confirmations=2)
    revert_deposit(deposit_id=deposit.pk)

    again = see_deposit(desk, block=11)
    credit_deposit(deposit_id=deposit.pk, confirmations=5)

    assert again.status == Deposit.Status.CREDITED
    assert Journal.objects.filter(kind=Journal.Kind.DEPOSIT).count() == 1


def test_a_deposit_made_while_deposits_are_closed_waits_until_they_open(desk):
    set_asset_rule(
        offering_id=desk.offering.pk,
        asset_code="BTC",
        withdrawal_fee=Decimal("0.0001"),
        withdrawal_minimum=Decimal("0.001"),
        deposits_enabled=False,
    )
    deposit = see_deposit(desk)
    credit_deposit(deposit_id=deposit.pk, confirmations=9)
    closed = Deposit.objects.get().status
    set_asset_rule(
        offering_id=desk.offering.pk,
        asset_code="BTC",
        withdrawal_fee=Decimal("0.0001"),
        withdrawal_minimum=Decimal("0.001"),
    )

    credit_deposit(deposit_id=deposit.pk, confirmations=10)

    assert (closed, Deposit.objects.get().status) == ("seen", "credited")


@pytest.mark.parametrize(
    ("asset", "amount", "code"),
    [
        ("KRW", "1000", "asset_not_withdrawable"),
        ("DAX", "5", "asset_not_withdrawable"),
        ("NOPE", "1", "unknown_asset"),
        ("KUSD", "1.005", "too_precise"),
        ("BTC", "0", "invalid_amount"),
    ],
)
def test_a_deposit_the_ledger_cannot_hold_is_refused_and_not_recorded(desk, asset, amount, code):
    with pytest.raises(ServiceError) as refused:
        see_deposit(desk, asset=asset, amount=amount)

    assert refused.value.code == code
    assert asset in refused.value.message or code == "invalid_amount"
    assert not Deposit.objects.exists()


def test_a_malformed_tx_hash_is_refused(desk):
    from sandbox.wallet.api import record_deposit
    from tests.sandbox.wallet.conftest import DEPOSIT_ADDRESS, STUDENT_ADDRESS

    with pytest.raises(ServiceError) as refused:
        record_deposit(
            offering_id=desk.offering.pk, owner_id=desk.student.pk, asset_code="ETH",
            chain_id=1, tx_hash="0x1234", log_index=-1, block_number=1, block_hash=tx(1),
            from_address=STUDENT_ADDRESS, to_address=DEPOSIT_ADDRESS, amount=Decimal(1),
        )  # fmt: skip

    assert refused.value.code == "invalid_tx_hash"
    assert not Deposit.objects.exists()


def test_crediting_an_unknown_deposit_is_refused(desk):
    with pytest.raises(ServiceError) as refused:
        credit_deposit(deposit_id=404, confirmations=3)

    assert refused.value.code == "unknown_deposit"


def test_the_students_deposits_are_listed_newest_first(desk):
    older, newer = see_deposit(desk, n=1), see_deposit(desk, n=2, asset="ETH", log_index=-1)

    assert deposits_of(desk.offering.pk, desk.student.pk) == [newer, older]


def test_every_change_of_a_deposit_is_announced_to_its_owner_after_commit(
    desk, announcements, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deposit = see_deposit(desk, amount="0.25")
    with django_capture_on_commit_callbacks(execute=True):
        credit_deposit(deposit_id=deposit.pk, confirmations=2)

    group, message = announcements[-1]
    assert group == f"transfers.{desk.student.pk}"
    assert message == {
        "type": "transfer.update",
        "transfer": {
            "kind": "deposit",
            "id": deposit.pk,
            "offering_id": desk.offering.pk,
            "status": "credited",
            "confirmations": 2,
            "amount": "0.25",
            "asset": "BTC",
            "tx_hash": tx(1),
        },
    }
    assert [m["transfer"]["status"] for _g, m in announcements] == ["seen", "credited"]


def test_a_channel_layer_that_fails_never_fails_the_credit(
    desk, monkeypatch, django_capture_on_commit_callbacks
):
    def broken_layer():
        raise ConnectionError("redis is down")

    monkeypatch.setattr("campus.live.get_channel_layer", broken_layer)
    deposit = see_deposit(desk)

    with django_capture_on_commit_callbacks(execute=True):
        credit_deposit(deposit_id=deposit.pk, confirmations=2)

    assert Deposit.objects.get().status == Deposit.Status.CREDITED


def test_the_ledger_check_finds_a_deposit_posted_twice(desk):
    from django.db import transaction

    from sandbox.wallet.api import AVAILABLE, LedgerBatch, Leg, system_account, user_accounts

    deposit = see_deposit(desk, amount="0.3")
    credit_deposit(deposit_id=deposit.pk, confirmations=2)
    custody = system_account(offering_id=desk.offering.pk, asset_code="BTC", kind="custody")
    owner = user_accounts(
        offering_id=desk.offering.pk, owner_id=desk.student.pk, asset_codes=["BTC"]
    )
    with transaction.atomic():
        batch = LedgerBatch(desk.offering.pk)
        legs = [
            Leg(custody, AVAILABLE, Decimal("-0.3")),
            Leg(owner["BTC"], AVAILABLE, Decimal("0.3")),
        ]
        batch.add(Journal.Kind.DEPOSIT, legs, reference=f"deposit:{deposit.pk}")
        batch.commit()

    assert find_ledger_breaks() == ["1 deposits credited but 2 deposit journals"]
