"""Students' chains behind the chain host and the authenticated RPC proxy, as `make run` serves them.

    python bench/chainhost.py [--chains 200] [--transactions 2000] [--senders 10]

Builds a scratch database (BENCH_CHAIN_DATABASE_URL, default blockcampus_bench_chain on the local server),
runs `manage.py chainhost` and the site (uvicorn, one worker) as their own processes, and measures:

1. cold start: a never-started chain's first RPC answer through the proxy (host starts Anvil);
2. signed raw transactions per second through the proxy (`--senders` accounts sending at once,
   each its own nonce sequence, over keep-alive connections), and the same straight to Anvil;
3. `--chains` chains started through the proxy and kept running at once: their total and
   per-chain resident memory, read from /proc, and what that means for a 24 GiB machine.

Prints a machine line, then `name: value unit` lines.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import chains_per_machine, machine_line, rss_mb  # noqa: E402
from bench.scratch import bench_offering, server_env, start  # noqa: E402
from sandbox.chain.anvil import free_port  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/blockcampus_bench_chain"
COLD_STARTS = 5


def seed(database_url: str, chains: int) -> list[tuple[int, str, str]]:
    """An offering with `chains` enrolled students, each with a chain: (chain pk, RPC path, mnemonic)."""
    offering = bench_offering(database_url)
    from campus.models import User
    from courses.services import enroll
    from sandbox.chain.anvil import student_mnemonic
    from sandbox.chain.services import open_chain, rpc_path

    seeded = []
    for n in range(chains):
        user = User.objects.create(username=f"chain{n}")
        enroll(offering=offering, user=user, role="student")
        chain = open_chain(offering_id=offering.pk, owner_id=user.pk)
        mnemonic = student_mnemonic(offering_id=offering.pk, owner_id=user.pk)
        seeded.append((chain.pk, rpc_path(chain), mnemonic))
    from django.db import connection

    connection.close()
    return seeded


async def rpc(session: aiohttp.ClientSession, url: str, method: str, params: list) -> object:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    async with session.post(url, json=body) as answer:
        payload = await answer.json(content_type=None)
    if "error" in payload:
        raise SystemExit(f"bench: {method}: {payload['error']}")
    return payload["result"]


def signed_transfers(mnemonic: str, chain_id: int, senders: int, count: int) -> list[list[str]]:
    """`count` raw transfers split over `senders` accounts, each list in its nonce order."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    keys = [
        Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{i}") for i in range(senders)
    ]
    batches = [[] for _ in keys]
    for n in range(count):
        account = keys[n % senders]
        nonce = len(batches[n % senders])
        tx = {
            "to": keys[(n + 1) % senders].address,
            "value": 1000 + n,
            "gas": 21_000,
            "maxFeePerGas": 10**10,
            "maxPriorityFeePerGas": 10**9,
            "nonce": nonce,
            "chainId": chain_id,
            "type": 2,
        }
        raw = account.sign_transaction(tx).raw_transaction
        batches[n % senders].append("0x" + raw.hex().removeprefix("0x"))
    return batches


async def send_all(url: str, batches: list[list[str]]) -> float:
    """Each sender sends its transactions in order; all senders at once. Seconds taken."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def sender(raws: list[str]) -> None:
            for raw in raws:
                await rpc(session, url, "eth_sendRawTransaction", [raw])

        started = time.perf_counter()
        await asyncio.gather(*(sender(raws) for raws in batches))
        return time.perf_counter() - started


async def wait_until_mined(url: str, count: int, timeout: float = 30.0) -> float:
    """Honesty: every transaction sent must be in a block, not merely accepted into the pool.
    Returns the seconds it took after the last was accepted (counted in the rate)."""
    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        while True:
            mined = 0
            for number in range(int(await rpc(session, url, "eth_blockNumber", []), 16) + 1):
                block = await rpc(
                    session, url, "eth_getBlockTransactionCountByNumber", [hex(number)]
                )
                mined += int(block, 16)
            waited = time.perf_counter() - started
            if mined == count:
                return waited
            if waited > timeout:
                raise SystemExit(f"bench: {mined} of {count} transactions mined after {timeout} s")
            await asyncio.sleep(0.2)


async def cold_starts(site: str, chains: list[tuple[int, str, str]]) -> list[float]:
    timings = []
    async with aiohttp.ClientSession() as session:
        for _, path, _ in chains:
            started = time.perf_counter()
            await rpc(session, site + path, "eth_chainId", [])
            timings.append(time.perf_counter() - started)
    return timings


async def start_many(site: str, chains: list[tuple[int, str, str]], at_once: int) -> float:
    gate = asyncio.Semaphore(at_once)
    async with aiohttp.ClientSession() as session:

        async def wake(path: str) -> None:
            async with gate:
                await rpc(session, site + path, "eth_blockNumber", [])

        started = time.perf_counter()
        await asyncio.gather(*(wake(path) for _, path, _ in chains))
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chains", type=int, default=200)
    parser.add_argument("--transactions", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=10)
    args = parser.parse_args()
    print(machine_line(), flush=True)
    database_url = os.environ.get("BENCH_CHAIN_DATABASE_URL", DEFAULT_DB)
    chains = seed(database_url, args.chains)
    from sandbox.chain.models import CHAIN_ID_BASE

    with tempfile.TemporaryDirectory() as scratch:
        control, web = free_port(), free_port()
        env = {
            **server_env(database_url),
            "CHAIN_DIR": scratch,
            "CHAIN_HOST_BIND": f"127.0.0.1:{control}",
            "CHAIN_MAX_RUNNING": str(args.chains + 10),
            "CHAIN_PORTS": "22000-23999",
        }
        py = str(ROOT / ".venv" / "bin" / "python")
        host = start([py, "manage.py", "chainhost"], env, f"http://127.0.0.1:{control}/health")
        uvicorn = [
            str(ROOT / ".venv" / "bin" / "uvicorn"), "campus.asgi:application",
            "--port", str(web), "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        site_process = start(uvicorn, env, f"http://127.0.0.1:{web}/healthz")
        site = f"http://127.0.0.1:{web}"
        try:
            measure(site, chains, args, CHAIN_ID_BASE)
        finally:
            for process in (site_process, host):
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=120)


def measure(site: str, chains: list, args, chain_id_base: int) -> None:
    starts = asyncio.run(cold_starts(site, chains[:COLD_STARTS]))
    print(f"proxy_cold_start_to_first_answer_ms: {statistics.median(starts) * 1000:.0f} ms")
    print(f"proxy_cold_start_worst_ms: {max(starts) * 1000:.0f} ms")

    pk, path, mnemonic = chains[0]
    batches = signed_transfers(mnemonic, chain_id_base + pk, args.senders, args.transactions)
    seconds = asyncio.run(send_all(site + path, batches))
    seconds += asyncio.run(wait_until_mined(site + path, args.transactions))
    print(f"proxy_signed_tx_per_s: {args.transactions / seconds:.0f} tx/s")

    pk, path, mnemonic = chains[1]
    from sandbox.chain.models import Chain

    port = Chain.objects.get(pk=pk).port
    batches = signed_transfers(mnemonic, chain_id_base + pk, args.senders, args.transactions)
    seconds = asyncio.run(send_all(f"http://127.0.0.1:{port}", batches))
    seconds += asyncio.run(wait_until_mined(f"http://127.0.0.1:{port}", args.transactions))
    print(f"anvil_direct_signed_tx_per_s: {args.transactions / seconds:.0f} tx/s")

    seconds = asyncio.run(start_many(site, chains, at_once=4))
    pids = list(Chain.objects.filter(status="running").values_list("pid", flat=True))
    sizes = [rss_mb(pid) for pid in pids]
    per_chain = statistics.mean(sizes)
    print(f"chains_started_through_proxy: {len(chains)} chains in {seconds:.1f} s")
    print(f"chains_running_at_once: {len(sizes)} chains")
    print(f"anvil_rss_total_mb: {sum(sizes):.0f} MB")
    print(f"anvil_rss_per_running_chain_mb: {per_chain:.1f} MB")
    print(f"chains_per_24gib_estimate: {chains_per_machine(per_chain)} chains")


if __name__ == "__main__":
    main()
