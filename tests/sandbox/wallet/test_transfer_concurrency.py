"""Deposits and withdrawals under real concurrency on PostgreSQL: watchers racing to credit one
transfer credit it once; requests racing for one balance never overdraw it (issue 7)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection

from campus.errors import ServiceError
from sandbox.wallet.api import (
    Account,
    Deposit,
    Journal,
    Withdrawal,
    credit_deposit,
    request_withdrawal,
)
from sandbox.wallet.checks import find_ledger_breaks
from tests.sandbox.wallet.conftest import STUDENT_ADDRESS, balance, see_deposit, system_balance

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 8


def run_concurrently(work: Callable[[int], object], times: int = THREADS) -> list[object]:
    """Run `work(i)` in `times` threads released together; each thread's result or exception,
    in order. Each thread closes its own database connection (else the test database could not
    be dropped)."""
    start = threading.Barrier(times)
    results: list[object] = [None] * times

    def thread(i: int) -> None:
        try:
            start.wait()
            results[i] = work(i)
        except Exception as error:  # noqa: BLE001 (the test asserts on it)
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=thread, args=(i,)) for i in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_watchers_crediting_one_deposit_at_once_credit_it_once(on_postgres, desk, broadcasts):
    deposit = see_deposit(desk, amount="0.3")

    results = run_concurrently(lambda i: credit_deposit(deposit_id=deposit.pk, confirmations=2 + i))

    assert not [r for r in results if isinstance(r, Exception)]
    assert Journal.objects.filter(kind=Journal.Kind.DEPOSIT).count() == 1
    assert Deposit.objects.get().status == Deposit.Status.CREDITED
    assert balance(desk.offering, desk.student, "BTC") == (Decimal("0.35"), 0)
    assert system_balance(desk.offering, "BTC", Account.Kind.CUSTODY) == Decimal("-0.3")
    assert find_ledger_breaks() == []


def test_watchers_recording_one_transfer_at_once_make_one_row(on_postgres, desk):
    results = run_concurrently(lambda i: see_deposit(desk, amount="0.3"))

    assert not [r for r in results if isinstance(r, Exception)]
    assert len({r.pk for r in results}) == 1
    assert Deposit.objects.count() == 1


def test_requests_racing_for_one_balance_never_overdraw_it(on_postgres, desk, broadcasts):
    # 0.05 BTC available; each request holds 0.01 + 0.0001 fee: four fit, the fifth does not
    def ask(i: int):
        return request_withdrawal(
            offering_id=desk.offering.pk,
            owner_id=desk.student.pk,
            asset_code="BTC",
            amount=Decimal("0.01"),
            to_address=STUDENT_ADDRESS,
        )

    results = run_concurrently(ask)

    made = [r for r in results if isinstance(r, Withdrawal)]
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert (len(made), len(refused)) == (4, 4)
    assert {error.code for error in refused} == {"insufficient_balance"}
    assert balance(desk.offering, desk.student, "BTC") == (Decimal("0.0096"), Decimal("0.0404"))
    assert Withdrawal.objects.count() == 4 and len(broadcasts) == 4
    assert not Account.objects.filter(kind="user", available__lt=0).exists()
    assert find_ledger_breaks() == []


def test_deposits_and_withdrawals_of_one_student_at_once_keep_the_ledger_whole(
    on_postgres, desk, broadcasts
):
    deposits = [see_deposit(desk, amount="0.01", n=100 + i) for i in range(THREADS // 2)]

    def either(i: int):
        if i % 2:
            return credit_deposit(deposit_id=deposits[i // 2].pk, confirmations=3)
        return request_withdrawal(
            offering_id=desk.offering.pk,
            owner_id=desk.student.pk,
            asset_code="BTC",
            amount=Decimal("0.005"),
            to_address=STUDENT_ADDRESS,
        )

    results = run_concurrently(either)

    assert not [r for r in results if isinstance(r, Exception)]
    # 0.05 + 4 × 0.01 credited − 4 × (0.005 + 0.0001) held
    assert balance(desk.offering, desk.student, "BTC") == (Decimal("0.0696"), Decimal("0.0204"))
    assert find_ledger_breaks() == []
