"""The chain host: starts a student's chain on first use, stops idle ones with their state saved
and restores them, caps how many run, brings back the dead, and survives its own restart."""

import os
import signal
import time

import pytest
from web3 import Web3

from sandbox.chain.host import ChainUnavailable
from sandbox.chain.models import Chain


def web3_at(port: int) -> Web3:
    return Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}"))


def send_eth(w3: Web3, wei: int) -> str:
    """A transfer between the chain's own funded accounts; returns the receiver."""
    sender, receiver = w3.eth.accounts[0], w3.eth.accounts[5]
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": sender, "to": receiver, "value": wei})
    )
    return receiver


def wait_for(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_first_use_starts_the_chain_with_its_own_chain_id_and_records_it_running(
    chain_host, student_chain
):
    chain, _ = student_chain()

    port = chain_host.ensure(chain.pk)

    assert web3_at(port).eth.chain_id == chain.chain_id
    chain.refresh_from_db()
    assert (chain.status, chain.port, chain.host_id) == ("running", port, chain_host.row.pk)
    assert chain.pid and os.path.exists(f"/proc/{chain.pid}")


def test_an_idle_chain_stops_with_its_state_saved_and_comes_back_on_next_use(
    make_host, student_chain
):
    host = make_host(idle_seconds=0.2)
    chain, _ = student_chain()
    receiver = send_eth(web3_at(host.ensure(chain.pk)), 12345)
    balance = web3_at(host.ensure(chain.pk)).eth.get_balance(receiver)

    time.sleep(0.3)
    host.supervise_once()

    chain.refresh_from_db()
    assert (chain.status, chain.port, chain.pid) == ("stopped", None, None)
    assert host.running_chains() == []
    restored = web3_at(host.ensure(chain.pk))
    assert restored.eth.get_balance(receiver) == balance
    assert restored.eth.block_number == 1


def test_at_capacity_the_least_recently_used_chain_is_stopped_first(make_host, student_chain):
    host = make_host(capacity=2)
    first, second, third = (student_chain()[0] for _ in range(3))
    host.ensure(first.pk)
    host.ensure(second.pk)
    host.ensure(first.pk)  # now the second is the least recently used

    host.ensure(third.pk)

    assert sorted(host.running_chains()) == sorted([first.pk, third.pk])
    assert Chain.objects.get(pk=second.pk).status == "stopped"


def test_running_chains_never_share_a_port_and_a_released_port_is_not_handed_out_again_at_once(
    make_host, student_chain
):
    host = make_host(ports=range(29_700, 29_702))  # two ports
    first, second, third = (student_chain()[0] for _ in range(3))
    ports = {host.ensure(first.pk), host.ensure(second.pk)}
    host.stop(first.pk)

    with pytest.raises(ChainUnavailable, match="no free port"):
        host.ensure(third.pk)  # the only free port was released just now: in quarantine

    assert len(ports) == 2


def test_a_killed_anvil_is_brought_back_from_its_saved_state(chain_host, student_chain):
    chain, _ = student_chain()
    port = chain_host.ensure(chain.pk)
    receiver = send_eth(web3_at(port), 777)
    balance, sent_at = web3_at(port).eth.get_balance(receiver), time.time()
    state_file = chain_host.directory / str(chain.pk) / "state.json"
    # the node writes its state every few seconds while it runs
    wait_for(lambda: state_file.exists() and state_file.stat().st_mtime > sent_at, timeout=10)
    pid = Chain.objects.get(pk=chain.pk).pid

    os.kill(pid, signal.SIGKILL)

    def revived() -> bool:  # a killed multi-threaded process takes a moment to be reapable
        chain_host.supervise_once()
        return Chain.objects.get(pk=chain.pk).restarts == 1

    wait_for(revived)
    chain.refresh_from_db()
    assert chain.status == "running" and chain.pid != pid
    assert web3_at(chain.port).eth.get_balance(receiver) == balance


def test_a_restarted_host_stops_what_its_last_run_left_running_and_loses_no_state(
    make_host, student_chain
):
    first_run = make_host(name="host-a")
    chain, _ = student_chain()
    receiver = send_eth(web3_at(first_run.ensure(chain.pk)), 4242)
    balance = web3_at(first_run.ensure(chain.pk)).eth.get_balance(receiver)
    orphan = Chain.objects.get(pk=chain.pk).pid
    first_run._running.clear()  # the process "dies": it forgets its nodes without stopping them

    second_run = make_host(name="host-a")

    wait_for(lambda: not os.path.exists(f"/proc/{orphan}") or _is_zombie(orphan))
    chain.refresh_from_db()
    assert (chain.status, chain.pid) == ("stopped", None)
    assert web3_at(second_run.ensure(chain.pk)).eth.get_balance(receiver) == balance


def test_a_chain_is_served_only_by_the_host_that_holds_its_state(make_host, student_chain):
    here, there = make_host(name="here"), make_host(name="there")
    chain, _ = student_chain()
    here.ensure(chain.pk)

    try:
        there.ensure(chain.pk)
    except Exception as error:  # noqa: BLE001
        assert "lives on the chain host here" in str(error)
    else:
        raise AssertionError("another host started a chain whose state it does not hold")


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1].startswith("Z")
    except OSError:
        return True
