"""WebSocket fan-out on the Redis channel layer: delivery latency to many subscribed clients.

    python bench/streams.py [--clients 1000] [--rate 10] [--seconds 10] [--workers 1]

Serves the site (uvicorn, `--workers` processes) against Redis (BENCH_REDIS_URL, default
redis://127.0.0.1:6379/9) and a scratch database, opens `--clients` WebSocket connections to
`/o/bench/ws/btckrw@trade` from one client process (asyncio), then publishes `--rate` trade events a
second for `--seconds` through the channel layer, as the exchange does after a trade. Latency is
each delivery's arrival time minus the event's publish time, over every client and event.
Prints a machine line, then `name: value unit` lines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import machine_line  # noqa: E402
from bench.scratch import bench_offering, server_env, start  # noqa: E402
from sandbox.chain.anvil import free_port  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/blockcampus_bench_streams"
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"


async def clients(
    url: str, count: int, latencies: list[float], ready: asyncio.Event
) -> list[asyncio.Task]:
    import websockets

    connected = 0

    async def one() -> None:
        nonlocal connected
        async with websockets.connect(url, max_queue=None, open_timeout=60) as socket:
            connected += 1
            if connected == count:
                ready.set()
            async for message in socket:
                arrived = time.time()
                latencies.append(arrived - json.loads(message)["sent"])

    tasks = [asyncio.create_task(one()) for _ in range(count)]
    await asyncio.wait_for(ready.wait(), timeout=120)
    await asyncio.sleep(1)  # let the last subscriptions reach Redis
    return tasks


async def run(args, site_ws: str, offering_id: int) -> tuple[list[float], int]:
    from asgiref.sync import sync_to_async

    from sandbox.exchange.streams import market_group, publish

    latencies: list[float] = []
    ready = asyncio.Event()
    tasks = await clients(f"{site_ws}/o/bench/ws/btckrw@trade", args.clients, latencies, ready)
    group = market_group(offering_id, "BTCKRW", "trade")
    sent = 0
    started = time.perf_counter()
    for n in range(int(args.rate * args.seconds)):
        await asyncio.sleep(max(0.0, started + n / args.rate - time.perf_counter()))
        payload = {"e": "trade", "s": "BTCKRW", "t": n, "p": "1", "q": "1", "sent": time.time()}
        await sync_to_async(publish)(group, payload)
        sent += 1
    deadline = time.monotonic() + 30
    while len(latencies) < sent * args.clients and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    for task in tasks:
        task.cancel()
    return latencies, sent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=10)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    print(machine_line(), flush=True)
    database_url = os.environ.get("BENCH_STREAMS_DATABASE_URL", DEFAULT_DB)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    offering_id = bench_offering(database_url, REDIS_URL=redis_url).pk
    port = free_port()
    env = server_env(database_url, REDIS_URL=redis_url)
    command = [
        str(ROOT / ".venv" / "bin" / "uvicorn"), "campus.asgi:application",
        "--port", str(port), "--workers", str(args.workers),
        "--no-access-log", "--log-level", "warning", "--ws-max-queue", "10000",
    ]  # fmt: skip
    server = start(command, env, f"http://127.0.0.1:{port}/healthz")
    try:
        latencies, sent = asyncio.run(run(args, f"ws://127.0.0.1:{port}", offering_id))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    expected = sent * args.clients
    latencies.sort()
    print(f"ws_clients: {args.clients} clients")
    print(f"ws_events_published: {sent} events at {args.rate:g}/s")
    print(f"ws_deliveries: {len(latencies)} of {expected}")
    print(f"ws_delivery_rate: {len(latencies) / args.seconds:.0f} messages/s")
    print(f"ws_latency_p50_ms: {statistics.median(latencies) * 1000:.1f} ms")
    print(f"ws_latency_p99_ms: {latencies[int(len(latencies) * 0.99) - 1] * 1000:.1f} ms")
    print(f"ws_latency_max_ms: {latencies[-1] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
