from decimal import Decimal
from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from campus.errors import ServiceError
from sandbox.wallet.checks import find_ledger_breaks, find_posting_breaks
from sandbox.wallet.ledger import (
    AVAILABLE,
    InsufficientBalance,
    LedgerBatch,
    Leg,
    UnbalancedJournal,
)
from sandbox.wallet.models import Account, Journal, Posting, Wallet
from sandbox.wallet.services import open_wallet, set_starting_grant, system_account
from tests.factories import OfferingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def offering(assets):
    return OfferingFactory()


def balances(offering, user):
    return {
        a.asset_id: (a.available, a.locked)
        for a in Account.objects.filter(offering=offering, owner=user)
    }


def test_opening_a_wallet_grants_the_offerings_starting_balances(offering):
    set_starting_grant(
        offering_id=offering.pk, amounts={"KRW": Decimal("5000000"), "BTC": Decimal("0.1")}
    )
    student = UserFactory()

    _wallet, opened = open_wallet(offering_id=offering.pk, owner_id=student.pk)

    assert opened
    assert balances(offering, student) == {
        "KRW": (Decimal("5000000"), 0),
        "BTC": (Decimal("0.1"), 0),
    }
    assert find_ledger_breaks() == []


def test_opening_a_wallet_twice_grants_once(offering):
    student = UserFactory()
    open_wallet(offering_id=offering.pk, owner_id=student.pk)

    _, opened_again = open_wallet(offering_id=offering.pk, owner_id=student.pk)

    assert not opened_again
    assert Wallet.objects.filter(owner=student).count() == 1
    assert balances(offering, student)["KRW"] == (Decimal("10000000"), 0)


def test_grants_come_from_the_issuance_account_so_each_asset_sums_to_zero(offering):
    for _ in range(3):
        open_wallet(offering_id=offering.pk, owner_id=UserFactory().pk)

    issuance = system_account(offering_id=offering.pk, asset_code="KRW", kind=Account.Kind.ISSUANCE)
    assert issuance.available == Decimal("-30000000")
    assert find_ledger_breaks() == []


def test_hold_moves_available_to_locked(offering):
    student = UserFactory()
    open_wallet(offering_id=offering.pk, owner_id=student.pk)
    account = Account.objects.get(owner=student, asset_id="KRW")

    with transaction.atomic():
        batch = LedgerBatch(offering.pk)
        batch.hold(account, Decimal("1500.50"))
        batch.commit()

    assert balances(offering, student)["KRW"] == (Decimal("9998499.50"), Decimal("1500.50"))
    assert find_posting_breaks() == []  # no order explains this raw hold; the postings do


def test_overdrawing_is_refused_and_nothing_is_written(offering):
    student = UserFactory()
    open_wallet(offering_id=offering.pk, owner_id=student.pk)
    account = Account.objects.get(owner=student, asset_id="BTC")
    postings_before = Posting.objects.count()

    with pytest.raises(InsufficientBalance), transaction.atomic():
        batch = LedgerBatch(offering.pk)
        batch.hold(account, Decimal("0.05000001"))
        batch.commit()

    assert balances(offering, student)["BTC"] == (Decimal("0.05"), 0)
    assert Posting.objects.count() == postings_before


def test_unbalanced_legs_are_refused_before_anything_is_written(offering):
    student = UserFactory()
    open_wallet(offering_id=offering.pk, owner_id=student.pk)
    account = Account.objects.get(owner=student, asset_id="KRW")

    with pytest.raises(UnbalancedJournal):
        LedgerBatch(offering.pk).add(Journal.Kind.ADJUSTMENT, [Leg(account, AVAILABLE, Decimal(1))])


def test_amounts_finer_than_the_assets_precision_are_refused(offering):
    student = UserFactory()
    open_wallet(offering_id=offering.pk, owner_id=student.pk)
    account = Account.objects.get(owner=student, asset_id="KRW")

    with pytest.raises(UnbalancedJournal, match="places"):
        LedgerBatch(offering.pk).hold(account, Decimal("0.001"))


@pytest.mark.django_db(transaction=True)
def test_commit_outside_a_transaction_is_a_programming_error(offering):
    account = system_account(offering_id=offering.pk, asset_code="KRW", kind=Account.Kind.FEES)
    batch = LedgerBatch(offering.pk)
    batch.release(account, Decimal(1))

    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        batch.commit()

    assert not Posting.objects.exists()


def test_database_refuses_a_negative_user_balance(offering):
    student = UserFactory()
    open_wallet(offering_id=offering.pk, owner_id=student.pk)

    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(owner=student, asset_id="ETH").update(available=Decimal("-1"))


def test_ledger_check_finds_a_balance_changed_around_the_ledger(offering):
    student = UserFactory()
    open_wallet(offering_id=offering.pk, owner_id=student.pk)

    Account.objects.filter(owner=student, asset_id="ETH").update(available=Decimal("2"))

    breaks = find_ledger_breaks()
    assert any("ETH" in b and "postings sum to 1" in b for b in breaks)


def test_starting_grant_refuses_an_amount_finer_than_the_asset(offering):
    with pytest.raises(ServiceError) as refused:
        set_starting_grant(offering_id=offering.pk, amounts={"KRW": Decimal("1.001")})

    assert refused.value.code == "invalid_amount"


def test_ledger_check_command_exits_nonzero_on_a_break(offering):
    student = UserFactory()
    open_wallet(offering_id=offering.pk, owner_id=student.pk)
    call_command("ledger_check")
    Account.objects.filter(owner=student, asset_id="BTC").update(locked=Decimal("0.01"))

    with pytest.raises(CommandError) as failed:
        call_command("ledger_check")

    assert failed.value.returncode == 1  # manage.py exits with it
    assert "BTC" in str(failed.value)


def test_postgres_refuses_an_unbalanced_journal_at_commit(offering, on_postgres):
    student = UserFactory()
    open_wallet(offering_id=offering.pk, owner_id=student.pk)
    account = Account.objects.get(owner=student, asset_id="KRW")
    journal = Journal.objects.create(offering=offering, kind=Journal.Kind.ADJUSTMENT)

    with pytest.raises(IntegrityError, match="unbalanced"), transaction.atomic():
        Posting.objects.create(
            journal=journal, account=account, asset_id="KRW", bucket="available", amount=Decimal(5)
        )
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_overdrawing_among_many_accounts_is_refused(offering):
    alice, bob = UserFactory(), UserFactory()
    for user in (alice, bob):
        open_wallet(offering_id=offering.pk, owner_id=user.pk)
    source = Account.objects.get(owner=alice, asset_id="ETH")
    target = Account.objects.get(owner=bob, asset_id="ETH")

    with pytest.raises(InsufficientBalance), transaction.atomic():
        batch = LedgerBatch(offering.pk)
        batch.add(
            Journal.Kind.ADJUSTMENT,
            [Leg(source, AVAILABLE, D("-1.5")), Leg(target, AVAILABLE, D("1.5"))],
        )
        batch.commit()

    assert balances(offering, alice)["ETH"] == (D("1"), 0)
    assert balances(offering, bob)["ETH"] == (D("1"), 0)
