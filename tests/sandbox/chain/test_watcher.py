"""The deposit watcher on real Anvil chains: credited once after the confirmations, however many
watchers run, restart or see the chain reverted to a snapshot."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from sandbox.chain.models import ChainCustody
from sandbox.chain.services import revert_to_snapshot, take_snapshot
from sandbox.chain.watcher import watch_chain
from sandbox.wallet.api import Deposit
from sandbox.wallet.checks import find_ledger_breaks
from tests.sandbox.chain import test_custody as shared
from tests.sandbox.chain.test_custody import (
    available,
    head,
    passes,
    send_ether,
    send_token,
)

ETH_GRANT, BTC_GRANT = Decimal(1), Decimal("0.05")

# the shared fixtures, by name (pytest finds fixtures in the module namespace)
desk = shared.desk
make_desk = shared.make_desk
no_broker = shared.no_broker


def test_an_ether_deposit_is_credited_once_after_two_confirmations(desk):
    dust = send_ether(desk, 10**9 + 1)  # finer than ETH's 8 places: refused, kept for a person
    tx_hash = send_ether(desk, 3 * 10**17)

    first = watch_chain(desk.chain.pk)
    waiting = Deposit.objects.get(tx_hash=tx_hash)
    balance_while_waiting = available(desk, "ETH")
    later = passes(desk, 3)

    deposit = Deposit.objects.get(tx_hash=tx_hash)
    assert (first.recorded, first.credited, first.mined) == (1, 0, True)
    assert (waiting.status, waiting.confirmations, balance_while_waiting) == ("seen", 1, ETH_GRANT)
    assert [report.credited for report in later] == [1, 0, 0]
    assert (deposit.status, deposit.log_index, deposit.amount) == ("credited", -1, Decimal("0.3"))
    assert deposit.from_address == desk.student.lower()
    assert available(desk, "ETH") == ETH_GRANT + Decimal("0.3")
    assert not later[-1].mined  # nothing waits: no more blocks are made
    assert not Deposit.objects.filter(tx_hash=dust).exists()
    [refused] = ChainCustody.objects.get(pk=desk.custody.pk).refused
    assert (refused["tx_hash"], refused["code"]) == (dust, "too_precise")
    assert find_ledger_breaks() == []


def test_a_token_deposit_is_credited_once_after_the_confirmations(desk):
    tx_hash = send_token(desk, "BTC", 12_345_678)  # 0.12345678 cBTC

    reports = passes(desk, 4)

    [deposit] = Deposit.objects.filter(chain_id=desk.chain.chain_id)
    assert (deposit.tx_hash, deposit.asset_id, deposit.log_index) == (tx_hash, "BTC", 0)
    assert deposit.status == "credited" and deposit.amount == Decimal("0.12345678")
    assert sum(report.credited for report in reports) == 1
    assert available(desk, "BTC") == BTC_GRANT + Decimal("0.12345678")


@pytest.mark.postgres
def test_watchers_running_at_once_and_restarted_credit_once(desk, on_postgres):
    send_ether(desk, 10**17)
    send_token(desk, "KUSD", 2500)  # 25.00 KUSD

    def watch(_n: int) -> None:
        try:
            for _ in range(3):
                watch_chain(desk.chain.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=watch, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    passes(desk, 3)
    # a watcher that lost its position (restarted from scratch) reads the whole chain again
    ChainCustody.objects.filter(pk=desk.custody.pk).update(
        scanned_block=-1, scanned_block_hash="", gas_spent_wei=0, checkpoints=[]
    )
    passes(desk, 3)

    deposits = Deposit.objects.filter(chain_id=desk.chain.chain_id)
    assert sorted((d.asset_id, d.status) for d in deposits) == [
        ("ETH", "credited"),
        ("KUSD", "credited"),
    ]
    assert available(desk, "ETH") == ETH_GRANT + Decimal("0.1")
    assert available(desk, "KUSD") == Decimal(1000) + Decimal(25)
    assert find_ledger_breaks() == []


def test_a_deposit_reverted_away_before_its_credit_is_never_credited(desk):
    snapshot = take_snapshot(chain=desk.chain, label="before the deposit")
    tx_hash = send_ether(desk, 5 * 10**17)
    watch_chain(desk.chain.pk)  # seen, one confirmation
    seen = Deposit.objects.get(tx_hash=tx_hash).status

    revert_to_snapshot(snapshot=snapshot)
    desk.chain.refresh_from_db()
    reports = passes(desk, 4)

    deposit = Deposit.objects.get(tx_hash=tx_hash)
    assert seen == "seen"
    assert reports[0].rewound and reports[0].reverted == 1
    assert deposit.status == "reverted" and deposit.journal_id is None
    assert available(desk, "ETH") == ETH_GRANT
    assert head(desk) <= snapshot.block_number + 1  # nothing waits any more: no blocks mined


def test_a_deposit_reverted_away_after_its_credit_is_flagged(desk):
    snapshot = take_snapshot(chain=desk.chain, label="before the deposit")
    tx_hash = send_token(desk, "KUSD", 10_000)  # 100.00 KUSD
    passes(desk, 3)
    credited = Deposit.objects.get(tx_hash=tx_hash).status

    revert_to_snapshot(snapshot=snapshot)
    passes(desk, 2)

    deposit = Deposit.objects.get(tx_hash=tx_hash)
    assert credited == "credited"
    assert deposit.status == "flagged" and deposit.journal_id is not None
    assert available(desk, "KUSD") == Decimal(1100)  # the ledger keeps the credit: a person decides
    assert find_ledger_breaks() == []
