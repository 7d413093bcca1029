"""Fixtures of the deposit and withdrawal tests (issue 7)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from sandbox.wallet.models import Account
from sandbox.wallet.services import open_wallet
from tests.factories import OfferingFactory, UserFactory

CHAIN_ID = 31337
STUDENT_ADDRESS = "0x" + "ab" * 20
DEPOSIT_ADDRESS = "0x" + "cd" * 20


@pytest.fixture
def desk(assets):
    """An offering and a student whose wallet holds the default grant (0.05 BTC, 1 ETH, 1,000 KUSD,
    10,000,000 KRW)."""
    offering = OfferingFactory()
    student = UserFactory()
    open_wallet(offering_id=offering.pk, owner_id=student.pk)
    return SimpleNamespace(offering=offering, student=student)


@pytest.fixture
def broadcasts(monkeypatch):
    """The Celery tasks the wallet sends by name, captured instead of reaching a broker."""
    from campus.celery import app

    sent: list[tuple[str, list]] = []
    monkeypatch.setattr(app, "send_task", lambda name, args=None, **kw: sent.append((name, args)))
    return sent


@pytest.fixture
def announcements(monkeypatch):
    """The group messages the services publish, captured from a stand-in channel layer."""
    sent: list[tuple[str, dict]] = []

    class Layer:
        async def group_send(self, group, message):
            sent.append((group, message))

    monkeypatch.setattr("campus.live.get_channel_layer", Layer)
    return sent


def balance(offering, user, asset: str) -> tuple[Decimal, Decimal]:
    account = Account.objects.get(offering=offering, owner=user, asset_id=asset)
    return account.available, account.locked


def system_balance(offering, asset: str, kind: str) -> Decimal:
    account = Account.objects.filter(offering=offering, asset_id=asset, kind=kind).first()
    return account.available if account else Decimal(0)


def tx(n: int) -> str:
    return f"0x{n:064x}"


def see_deposit(
    desk, *, amount="0.3", asset="BTC", n=1, log_index=0, block=10, user=None, tx_hash=None
):
    """The chain side reporting a transfer to the student's deposit address."""
    from sandbox.wallet.api import record_deposit

    return record_deposit(
        offering_id=desk.offering.pk,
        owner_id=(user or desk.student).pk,
        asset_code=asset,
        chain_id=CHAIN_ID,
        tx_hash=tx_hash or tx(n),
        log_index=log_index,
        block_number=block,
        block_hash=tx(10_000 + block),
        from_address=STUDENT_ADDRESS,
        to_address=DEPOSIT_ADDRESS,
        amount=Decimal(amount),
    )
