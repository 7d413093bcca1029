"""A student's Anvil node on its own: cold start to first answered RPC, memory, and transactions
per second sent straight to the node. bench/chainhost.py measures the same through the chain host
and the authenticated proxy.

    python bench/chain.py [--starts 5] [--transactions 500]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campus.settings")

import django  # noqa: E402

django.setup()

from bench.machine import chains_per_machine, machine_line, rss_mb  # noqa: E402
from sandbox.chain.anvil import AnvilNode, student_mnemonic  # noqa: E402


def send_transactions(node: AnvilNode, count: int) -> float:
    """Value transfers from an unlocked account over one keep-alive connection; seconds taken."""
    accounts = node.rpc("eth_accounts")
    conn = http.client.HTTPConnection("127.0.0.1", node.port)
    started = time.perf_counter()
    for n in range(count):
        tx = {"from": accounts[0], "to": accounts[1 + n % 9], "value": hex(1000 + n)}
        body = json.dumps(
            {"jsonrpc": "2.0", "id": n, "method": "eth_sendTransaction", "params": [tx]}
        )
        conn.request("POST", "/", body=body, headers={"Content-Type": "application/json"})
        answer = json.loads(conn.getresponse().read())
        if "error" in answer:
            raise SystemExit(f"bench: {answer['error']}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--transactions", type=int, default=500)
    args = parser.parse_args()
    print(machine_line(), flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        starts = []
        for n in range(args.starts):
            node = AnvilNode(
                chain_id=1000 + n,
                mnemonic=student_mnemonic(offering_id=0, owner_id=n),
                state_file=Path(scratch) / f"{n}.json",
            )
            starts.append(node.start())
            if n < args.starts - 1:
                node.stop()
        idle = rss_mb(node.process.pid)
        seconds = send_transactions(node, args.transactions)
        busy = rss_mb(node.process.pid)
        node.stop()
    print(f"anvil_cold_start_ms: {statistics.median(starts) * 1000:.0f} ms")
    print(f"anvil_rss_idle_mb: {idle:.0f} MB")
    print(f"anvil_direct_tx_per_s: {args.transactions / seconds:.0f} tx/s")
    print(f"anvil_rss_after_{args.transactions}_tx_mb: {busy:.0f} MB")
    print(f"anvil_chains_per_24gib_estimate: {chains_per_machine(busy)} chains")


if __name__ == "__main__":
    main()
