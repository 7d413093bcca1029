"""End-to-end order placement through the signed Binance-shaped HTTP API on PostgreSQL.

    python bench/api.py [--seconds 15] [--rate 500] [--workers 2] [--clients 2] [--redis URL]
                        [--no-desk]

Builds a scratch database (BENCH_DATABASE_URL, default blockcampus_bench on the local server),
seeds an offering with three markets, traders with API keys and a history of 100,000 orders
(`scratch.exchange_history`: a database as a course leaves it after some weeks, not an empty one),
serves the site as the Procfile does (uvicorn's workers on loopback, and the order desk process
they hand orders to), and drives it from --clients load-generator processes (not threads of this
one: the client's own GIL would otherwise be what is measured) with persistent keep-alive
connections, after a 2-second warm-up on as many connections as either phase uses (so that each
web worker has opened the database connections of all the threads it will use):

1. closed loop, 16 connections placing as fast as answers come: the most orders per second;
2. open loop on 24 connections at --rate orders per second for --seconds: achieved rate and
   latency percentiles, measured from each order's scheduled send time (so queueing is counted,
   not hidden). Orders still unsent 5 s after the window are dropped and counted as not
   achieved.

Each connection rotates over its share of the traders' keys, so that no key passes Binance's
100 orders per 10 s (which the API enforces); the load is many students, not one.
Orders are limit orders around a reference price, a quarter of them crossing the spread.
Prints a machine line, then `name: value unit` lines, including the CPU each side used per
order (server: web workers and order desk; PostgreSQL; load generator), which says where the time
goes, and, over both phases and the warm-up, the orders the desk placed (or refused) per round
and the time its loop spent on rounds (placing, answering, publishing) per order: the desk places
one round at a time, so one second over that figure bounds the orders per second it can take.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import multiprocessing
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import percentile  # noqa: E402
from bench.machine import machine_line  # noqa: E402
from bench.scratch import bench_offering, exchange_history, server_env  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/blockcampus_bench"
PORT = 8765
DESK_SOCKET = ROOT / "var" / "bench-order-desk.sock"
REFERENCE = {
    "BTCKRW": Decimal("100000000"),
    "ETHKRW": Decimal("5000000"),
    "KUSDKRW": Decimal("1400"),
}
STEPS = {  # tick size, lot size of the default markets
    "BTCKRW": (Decimal("1000"), Decimal("0.00001")),
    "ETHKRW": (Decimal("100"), Decimal("0.0001")),
    "KUSDKRW": (Decimal("0.1"), Decimal("0.1")),
}
TRADERS = 96
CONNECTIONS = 16  # closed loop
OPEN_CONNECTIONS = 24  # open loop
GRACE = 5.0  # seconds after the open-loop window in which late orders may still be sent


def seed(database_url: str) -> list[tuple[str, str]]:
    """Traders with API keys in one offering; returns (api key, secret) pairs."""
    offering = bench_offering(database_url)
    from sandbox.exchange.apikeys import create_api_key

    keys = []
    traders = funded_traders(offering, TRADERS, "bench")
    for user in traders:
        key, secret = create_api_key(user_id=user.pk, offering_id=offering.pk, label="bench")
        keys.append((key.key, secret))
    exchange_history(offering, [user.pk for user in traders])
    from django.db import connection

    connection.close()
    return keys


def funded_traders(offering, count: int, prefix: str) -> list:
    """`count` users (`<prefix><n>`) enrolled in the offering, each with a wallet funded for a
    long run of orders."""
    from campus.models import User
    from courses.services import enroll
    from sandbox.wallet.services import issue, open_wallet

    funds = {
        "KRW": Decimal("100000000000"),
        "BTC": Decimal("1000"),
        "ETH": Decimal("20000"),
        "KUSD": Decimal("100000000"),
    }
    users = []
    for n in range(count):
        user = User.objects.create(username=f"{prefix}{n}")
        enroll(offering=offering, user=user, role="student")
        open_wallet(offering_id=offering.pk, owner_id=user.pk)
        issue(offering_id=offering.pk, owner_id=user.pk, amounts=funds, memo="bench")
        users.append(user)
    return users


def redis(url: str | None) -> dict[str, str]:
    """The server's environment for Redis: REDIS_URL, or none (the embedded defaults), whatever
    this shell has set."""
    return {"REDIS_URL": url} if url else {"REDIS_URL": ""}


def start_servers(
    database_url: str, workers: int, redis_url: str | None, desk: bool
) -> list[subprocess.Popen]:
    """uvicorn's workers, and the order desk process unless `desk` is off."""
    env = server_env(database_url, **redis(redis_url))
    servers = []
    if desk:
        env["EXCHANGE_ORDER_DESK_SOCKET"] = str(DESK_SOCKET)
        servers.append(start_desk(env))
    servers.append(start_server(env, workers))
    return servers


def start_desk(env: dict[str, str]) -> subprocess.Popen:
    from sandbox.exchange.deskprocess import listening

    command = [sys.executable, "manage.py", "order_desk"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if listening(DESK_SOCKET):
            return process
        time.sleep(0.2)
    raise SystemExit("bench: the order desk did not start within 60 s")


def start_server(env: dict[str, str], workers: int) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "uvicorn"),
        "campus.asgi:application",
        "--port", str(PORT), "--workers", str(workers),
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/o/bench/api/v3/ping")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    raise SystemExit("bench: the server did not answer /api/v3/ping within 60 s")


def random_limit(rng: random.Random) -> tuple[str, str, Decimal, Decimal]:
    """A limit order of about 20,000 KRW around its market's reference price, a quarter of them
    crossing the spread: (symbol, side, price, quantity)."""
    symbol = rng.choice(list(REFERENCE))
    reference = REFERENCE[symbol]
    side = rng.choice(("BUY", "SELL"))
    crossing = rng.random() < 0.25
    offset = Decimal(rng.randint(1, 20)) / 1000 * (1 if (side == "BUY") == crossing else -1)
    tick, lot = STEPS[symbol]
    price = (reference * (1 + offset) / tick).to_integral_value() * tick
    quantity = ((Decimal("20000") / price) / lot).to_integral_value(rounding=ROUND_CEILING) * lot
    return symbol, side, price, quantity


class Trader:
    """One keep-alive connection, placing orders for a rotation of traders' keys."""

    def __init__(self, keys: list[tuple[str, str]], seed: int) -> None:
        self.keys = [(key, secret.encode()) for key, secret in keys]
        self.turn = 0
        self.rng = random.Random(seed)
        self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)

    def order_body(self, secret: bytes) -> str:
        symbol, side, price, quantity = random_limit(self.rng)
        params = {
            "symbol": symbol, "side": side, "type": "LIMIT", "timeInForce": "GTC",
            "price": f"{price:f}", "quantity": f"{quantity:f}",
            "timestamp": int(time.time() * 1000), "recvWindow": 60000,
        }  # fmt: skip
        query = urlencode(params)
        signature = hmac.new(secret, query.encode(), hashlib.sha256).hexdigest()
        return f"{query}&signature={signature}"

    def place(self) -> int:
        key, secret = self.keys[self.turn % len(self.keys)]
        self.turn += 1
        body = self.order_body(secret)
        headers = {"X-MBX-APIKEY": key, "Content-Type": "application/x-www-form-urlencoded"}
        try:
            self.conn.request("POST", "/api/v3/order", body=body, headers=headers)
            response = self.conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            return 599
        if response.status == 400:
            code = json.loads(payload).get("code")
            if code not in (-2010,):  # insufficient balance can happen; anything else is a bug
                sys.stderr.write(f"bench: refused: {payload[:200]!r}\n")
        elif response.status != 200:
            sys.stderr.write(f"bench: HTTP {response.status}: {payload[:200]!r}\n")
        return response.status


def run_threads(traders: list[Trader], loop) -> tuple[list[float], float]:
    """Run `loop(trader, record)` on a thread per trader; returns the recorded latencies and this
    process's CPU seconds."""
    cpu = time.process_time()
    latencies: list[float] = []
    lock = threading.Lock()

    def record(latency: float) -> None:
        with lock:
            latencies.append(latency)

    threads = [threading.Thread(target=loop, args=(t, record)) for t in traders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.process_time() - cpu


def closed_loop(job: tuple) -> tuple[list[float], float]:
    """A load-generator process: its connections send the next order as each answer arrives."""
    shares, seconds = job
    stop = time.monotonic() + seconds

    def loop(trader: Trader, record) -> None:
        while time.monotonic() < stop:
            started = time.perf_counter()
            if trader.place() == 200:
                record(time.perf_counter() - started)

    return run_threads([Trader(keys, seed) for seed, keys in shares], loop)


def open_loop(job: tuple) -> tuple[list[float], float]:
    """A load-generator process sending orders n = first, first + step, ... of a schedule in
    which order n is due at start + n / rate; latency counts from when it was due."""
    shares, start, rate, seconds, first, step = job
    total = int(rate * seconds)
    schedule = iter(range(first, total, step))
    slot_lock = threading.Lock()
    give_up = start + seconds + GRACE

    def loop(trader: Trader, record) -> None:
        while True:
            with slot_lock:
                n = next(schedule, None)
            if n is None or time.time() > give_up:
                return
            due = start + n / rate
            if due > time.time():
                time.sleep(due - time.time())
            if trader.place() == 200:
                record(time.time() - due)

    return run_threads([Trader(keys, seed) for seed, keys in shares], loop)


def shares(keys: list[tuple[str, str]], connections: int, processes: int) -> list[list]:
    """The keys dealt to `connections` connections, grouped by load-generator process."""
    dealt = [(seed, keys[seed::connections]) for seed in range(connections)]
    return [dealt[p::processes] for p in range(processes)]


def drive(pool, jobs: list[tuple], loop) -> tuple[list[float], float]:
    results = pool.map(loop, jobs)
    return [x for latencies, _ in results for x in latencies], sum(cpu for _, cpu in results)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes and of their children that have exited (so
    PostgreSQL backends that lived for one request count, through the postmaster), from /proc;
    0 where it cannot be read."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15])
        except (OSError, IndexError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def server_pids(servers: list[subprocess.Popen]) -> list[int]:
    """The servers' processes and their children (uvicorn's workers)."""
    parents = {server.pid for server in servers}
    found = list(parents)
    for path in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(path.read_text().rsplit(")", 1)[1].split()[1]) in parents:
                found.append(int(path.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def pids_named(name: str) -> list[int]:
    """The processes whose command is `name` (postgres, redis-server)."""
    pids = []
    for path in Path("/proc").glob("[0-9]*/comm"):
        try:
            if path.read_text().strip() == name:
                pids.append(int(path.parent.name))
        except OSError:
            continue
    return pids


def measure(pool, servers, jobs, loop, *, redis: bool) -> tuple[list[float], float, dict]:
    """Run a phase; returns latencies, wall seconds and CPU seconds used by each side (Redis's
    too when the server uses it)."""
    sides = {"server": lambda: server_pids(servers), "postgres": lambda: pids_named("postgres")}
    if redis:
        sides["redis"] = lambda: pids_named("redis-server")
    before = {side: cpu_seconds(pids()) for side, pids in sides.items()}
    started = time.perf_counter()
    latencies, client_cpu = drive(pool, jobs, loop)
    cpu = {side: cpu_seconds(pids()) - before[side] for side, pids in sides.items()}
    cpu["client"] = client_cpu
    return latencies, time.perf_counter() - started, cpu


def print_cpu(prefix: str, cpu: dict[str, float], orders: int) -> None:
    for side, seconds in cpu.items():
        print(f"{prefix}_{side}_cpu_per_order: {seconds / max(orders, 1) * 1000:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=2, help="load-generator processes")
    parser.add_argument(
        "--redis",
        metavar="URL",
        help="serve with Redis as production does (rate limits in its cache, stream messages "
        "through its channel layer); by default the embedded local-memory ones",
    )
    parser.add_argument(
        "--no-desk",
        action="store_true",
        help="no order desk process: each web worker places its own orders, in batches of what "
        "arrived in that worker",
    )
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    print(machine_line(), flush=True)
    keys = seed(database_url)
    servers = start_servers(database_url, args.workers, args.redis, desk=not args.no_desk)
    try:
        with multiprocessing.Pool(args.clients) as pool:
            # warm the engines, and as many connections as either phase uses: each web worker's
            # threads (dbthreads) open their database connections on first use, and the new
            # PostgreSQL backends' first statements are slow (caches, plans)
            warm = max(CONNECTIONS, OPEN_CONNECTIONS)
            drive(pool, [(s, 2) for s in shares(keys, warm, args.clients)], closed_loop)
            closed = [(s, args.seconds) for s in shares(keys, CONNECTIONS, args.clients)]
            latencies, _, cpu = measure(pool, servers, closed, closed_loop, redis=bool(args.redis))
            print(f"api_max_orders_per_s: {len(latencies) / args.seconds:.0f} orders/s")
            print(f"api_max_p50_ms: {percentile(latencies, 0.5) * 1000:.1f} ms")
            print_cpu("api_max", cpu, len(latencies))
            start = time.time() + 0.5
            opened = [
                (s, start, args.rate, args.seconds, n, args.clients)
                for n, s in enumerate(shares(keys, OPEN_CONNECTIONS, args.clients))
            ]
            latencies, _, cpu = measure(pool, servers, opened, open_loop, redis=bool(args.redis))
            elapsed = time.time() - start
        print(f"api_offered_orders_per_s: {args.rate:.0f} orders/s")
        print(f"api_sustained_orders_per_s: {len(latencies) / elapsed:.0f} orders/s")
        print(f"api_p50_ms: {percentile(latencies, 0.5) * 1000:.1f} ms")
        print(f"api_p99_ms: {percentile(latencies, 0.99) * 1000:.1f} ms")
        print_cpu("api", cpu, len(latencies))
    finally:
        for server in reversed(servers):
            os.killpg(server.pid, signal.SIGTERM)
            said, _ = server.communicate(timeout=30)
            counts = re.search(
                r"(\d+) orders placed or refused in (\d+) rounds, busy ([\d.]+)", said or ""
            )
            if counts:
                placed, rounds, busy = int(counts[1]), int(counts[2]), float(counts[3])
                print(f"api_desk_orders_per_round: {placed / max(rounds, 1):.1f} orders")
                print(f"api_desk_busy_per_order: {busy / max(placed, 1) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
