"""Deposits from students' chains to their exchange wallets, as the deposit watcher credits them.

    python bench/deposits.py [--deposits 20] [--cohort 50] [--workers 4]

Builds a scratch database (BENCH_DEPOSITS_DATABASE_URL, default blockcampus_bench_deposits on the
local server), runs `manage.py chainhost` as its own process, gives `--cohort` enrolled students a
wallet and a provisioned chain, and drives the watcher as beat would: every second the real
`sandbox.chain.tasks.watch_chains` fans out one `watch_chain` per chain, each pass expiring after
`WATCH_EXPIRES_S` unstarted. No Celery worker process: the fan-out's `apply_async` is routed to
`--workers` threads of this process that call the task functions (said in the output). Measures:

1. latency: from a deposit transaction being mined (its receipt exists) to its credit in the
   wallet (the deposit's journal committed), p50/p95 over `--deposits` deposits sent at random
   moments, with 0 confirmations and with the default 2;
2. a cohort depositing at once: every student sends one deposit within a fraction of a second;
   deposits credited per second, from the first being mined to the last being credited;
3. one watcher pass over a chain where nothing happened (most passes), and a full one.

Prints a machine line, then `name: value unit` lines.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import percentile  # noqa: E402
from bench.machine import machine_line  # noqa: E402
from bench.scratch import bench_offering, server_env, start  # noqa: E402
from sandbox.chain.anvil import free_port  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/blockcampus_bench_deposits"
BEAT_S = 1.0
DEPOSIT_WEI = 10**16  # 0.01 ETH
CREDIT_TIMEOUT_S = 30


class Beat:
    """Celery beat's `chain-watchers` entry, in a thread: `watch_chains` every second, its
    `watch_chain.apply_async` sent to a thread pool standing in for the workers."""

    def __init__(self, workers: int) -> None:
        from sandbox.chain import tasks

        self.tasks, self.pool = tasks, ThreadPoolExecutor(workers)
        self.stop, self.dropped = threading.Event(), 0

        def apply_async(args, expires=None, **_options):
            self.pool.submit(self._run, args[0], time.monotonic() + (expires or 1e9))

        tasks.watch_chain.apply_async = apply_async
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _run(self, chain_pk: int, expires_at: float) -> None:
        if time.monotonic() > expires_at:
            self.dropped += 1  # as a worker drops an expired task
            return
        self.tasks.watch_chain(chain_pk)  # the task function itself, in this thread

    def _loop(self) -> None:
        next_at = time.monotonic()
        while not self.stop.is_set():
            self.tasks.watch_chains()
            next_at += BEAT_S
            self.stop.wait(max(0.0, next_at - time.monotonic()))
        from django.db import connection

        connection.close()  # this thread's

    def __enter__(self) -> Beat:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        self.pool.shutdown(wait=True)


def seed(database_url: str, cohort: int) -> tuple[int, list[int]]:
    """An offering with `cohort` students, each with a wallet and an opened chain: (offering
    id, chain pks). Chains are provisioned once the chain host runs."""
    offering = bench_offering(database_url)
    from campus.models import User
    from courses.services import enroll
    from sandbox.chain.services import open_chain
    from sandbox.wallet.api import open_wallet

    chains = []
    for n in range(cohort):
        user = User.objects.create(username=f"depositor{n}")
        enroll(offering=offering, user=user, role="student")
        open_wallet(offering_id=offering.pk, owner_id=user.pk)
        chains.append(open_chain(offering_id=offering.pk, owner_id=user.pk).pk)
    return offering.pk, chains


def provision(chain_pks: list[int]) -> float:
    """Start and provision every chain (a few at once); seconds taken."""
    from django.db import connection

    from sandbox.chain.custody import ensure_custody
    from sandbox.chain.models import Chain

    def one(chain_pk: int) -> None:
        try:
            ensure_custody(Chain.objects.get(pk=chain_pk), wait_s=120)
        finally:
            connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, chain_pks))
    return time.perf_counter() - started


class Depositor:
    """A student sending ether from their account 0 to their deposit address, straight to
    their node (it mines at once); `send` returns the hash once the receipt exists."""

    def __init__(self, chain_pk: int) -> None:
        from sandbox.chain.custody import control_node
        from sandbox.chain.models import Chain, ChainCustody
        from sandbox.chain.selectors import dev_accounts

        chain = Chain.objects.get(pk=chain_pk)
        self.node = control_node(chain)
        self.student = dev_accounts(chain)[0].address
        self.deposit = ChainCustody.objects.get(chain=chain).deposit_address

    def send(self) -> tuple[str, float]:
        tx = {"from": self.student, "to": self.deposit, "value": hex(DEPOSIT_WEI)}
        tx_hash = self.node.call("eth_sendTransaction", tx)
        while self.node.call("eth_getTransactionReceipt", tx_hash) is None:
            time.sleep(0.002)
        return tx_hash, time.perf_counter()


def credited_at(tx_hashes: list[str]) -> dict[str, float]:
    """When each deposit's credit became visible (polled every 10 ms)."""
    from sandbox.wallet.api import Deposit

    seen: dict[str, float] = {}
    deadline = time.perf_counter() + CREDIT_TIMEOUT_S
    while len(seen) < len(tx_hashes):
        if time.perf_counter() > deadline:
            raise SystemExit(f"bench: {len(seen)} of {len(tx_hashes)} credited after timeout")
        done = Deposit.objects.filter(
            tx_hash__in=[h for h in tx_hashes if h not in seen], status="credited"
        ).values_list("tx_hash", flat=True)
        now = time.perf_counter()
        for tx_hash in done:
            seen[tx_hash] = now
        time.sleep(0.01)
    return seen


def latency(depositor: Depositor, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        time.sleep(random.uniform(0, BEAT_S))  # at any moment of the beat's second
        tx_hash, mined = depositor.send()
        samples.append(credited_at([tx_hash])[tx_hash] - mined)
    return samples


def cohort_burst(depositors: list[Depositor]) -> tuple[int, float]:
    """Every student deposits at once; (count, seconds from the first mined to the last
    credited)."""
    with ThreadPoolExecutor(8) as pool:
        sent = list(pool.map(lambda d: d.send(), depositors))
    credits = credited_at([tx_hash for tx_hash, _ in sent])
    return len(sent), max(credits.values()) - min(mined for _, mined in sent)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deposits", type=int, default=20)
    parser.add_argument("--cohort", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    print(machine_line(), flush=True)
    database_url = os.environ.get("BENCH_DEPOSITS_DATABASE_URL", DEFAULT_DB)
    offering_id, chain_pks = seed(database_url, args.cohort)
    with tempfile.TemporaryDirectory() as scratch:
        control = free_port()
        env = {
            **server_env(database_url),
            "CHAIN_DIR": scratch,
            "CHAIN_HOST_BIND": f"127.0.0.1:{control}",
            "CHAIN_MAX_RUNNING": str(args.cohort + 10),
            "CHAIN_PORTS": "24000-25999",
        }
        py = str(ROOT / ".venv" / "bin" / "python")
        host = start([py, "manage.py", "chainhost"], env, f"http://127.0.0.1:{control}/health")
        try:
            measure(offering_id, chain_pks, args)
        finally:
            os.killpg(host.pid, signal.SIGTERM)
            host.wait(timeout=300)


def measure(offering_id: int, chain_pks: list[int], args) -> None:
    from sandbox.wallet.api import set_confirmations

    seconds = provision(chain_pks)
    print(f"chains_provisioned: {len(chain_pks)} chains in {seconds:.1f} s")
    print(
        f"driver: in-process beat every {BEAT_S:.0f} s, watch_chain task functions on "
        f"{args.workers} threads (no Celery worker process)"
    )
    depositors = [Depositor(pk) for pk in chain_pks]
    with Beat(args.workers) as beat:
        for confirmations in (0, 2):
            set_confirmations(offering_id=offering_id, confirmations=confirmations)
            samples = latency(depositors[0], args.deposits)
            for q in (0.5, 0.95):
                name = f"deposit_mined_to_credited_conf{confirmations}_p{round(q * 100)}_ms"
                print(f"{name}: {percentile(samples, q) * 1000:.0f} ms", flush=True)
        for confirmations in (2, 0):
            set_confirmations(offering_id=offering_id, confirmations=confirmations)
            time.sleep(2 * BEAT_S)  # the earlier deposits settle
            count, seconds = cohort_burst(depositors)
            print(
                f"cohort_{count}_deposits_credited_per_s_conf{confirmations}: "
                f"{count / seconds:.1f} deposits/s ({seconds:.2f} s for all)",
                flush=True,
            )
        print(f"watch_passes_expired_unstarted: {beat.dropped} passes")
    time.sleep(2 * BEAT_S)
    for name, seconds in idle_passes(chain_pks).items():
        print(f"{name}: {seconds * 1000:.1f} ms")


def idle_passes(chain_pks: list[int]) -> dict[str, float]:
    """Mean time of one watcher pass over a chain where nothing happened, one chain after the
    other in this thread: the usual pass (its shortcut), and a full pass (as every tenth is)."""
    from django.core.cache import cache

    from sandbox.chain import tasks
    from sandbox.chain.watcher import watched_key

    timings = {}
    for name in ("watch_pass_unchanged_ms", "watch_pass_full_nothing_new_ms"):
        if name == "watch_pass_full_nothing_new_ms":
            cache.delete_many([watched_key(pk) for pk in chain_pks])
        started = time.perf_counter()
        for chain_pk in chain_pks:
            tasks.watch_chain(chain_pk)
        timings[name] = (time.perf_counter() - started) / len(chain_pks)
    return timings


if __name__ == "__main__":
    main()
