"""End-to-end order placement through the signed Binance-shaped HTTP API on PostgreSQL.

    python bench/api.py [--seconds 15] [--rate 500] [--workers 2]

Builds a scratch database (BENCH_DATABASE_URL, default blockcampus_bench on the local server),
seeds an offering with three markets and traders with API keys, serves the site with uvicorn on
loopback, and drives it from this process with persistent keep-alive connections:

1. closed loop, 16 clients placing as fast as answers come: the most orders per second;
2. open loop at --rate orders per second for --seconds: achieved rate and latency percentiles,
   measured from each order's scheduled send time (so queueing is counted, not hidden).

Orders are limit orders around a reference price, a quarter of them crossing the spread.
Prints a machine line, then `name: value unit` lines.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import machine_line  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/blockcampus_bench"
PORT = 8765
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
TRADERS = 24


def server_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + "k" * 40 + "0123456789abcdefghij",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "ERROR",
    }


def recreate_database(database_url: str) -> None:
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env=server_env(database_url),
        check=True,
    )


def seed(database_url: str) -> list[tuple[str, str]]:
    """Traders with API keys in one offering; returns (api key, secret) pairs."""
    os.environ.update(server_env(database_url))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campus.settings")
    import django

    django.setup()
    from campus.models import University, User
    from courses.models import Course, Offering
    from courses.services import enroll
    from sandbox.exchange.apikeys import create_api_key
    from sandbox.exchange.markets import list_default_markets
    from sandbox.wallet.services import issue, open_wallet

    university = University.objects.create(name="Bench University", slug="bench")
    course = Course.objects.create(slug="bench", title="Bench")
    offering = Offering.objects.create(
        course=course, university=university, slug="bench", term="now"
    )
    list_default_markets(offering_id=offering.pk)
    funds = {
        "KRW": Decimal("100000000000"),
        "BTC": Decimal("1000"),
        "ETH": Decimal("20000"),
        "KUSD": Decimal("100000000"),
    }
    keys = []
    for n in range(TRADERS):
        user = User.objects.create(username=f"bench{n}")
        enroll(offering=offering, user=user, role="student")
        open_wallet(offering_id=offering.pk, owner_id=user.pk)
        issue(offering_id=offering.pk, owner_id=user.pk, amounts=funds, memo="bench")
        key, secret = create_api_key(user_id=user.pk, offering_id=offering.pk, label="bench")
        keys.append((key.key, secret))
    from django.db import connection

    connection.close()
    return keys


def start_server(database_url: str, workers: int) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "uvicorn"),
        "campus.asgi:application",
        "--port", str(PORT), "--workers", str(workers),
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, env=server_env(database_url), start_new_session=True
    )
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


class Trader:
    def __init__(self, key: str, secret: str, seed: int) -> None:
        self.key, self.secret = key, secret.encode()
        self.rng = random.Random(seed)
        self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)

    def order_body(self) -> str:
        symbol = self.rng.choice(list(REFERENCE))
        reference = REFERENCE[symbol]
        side = self.rng.choice(("BUY", "SELL"))
        crossing = self.rng.random() < 0.25
        offset = (
            Decimal(self.rng.randint(1, 20)) / 1000 * (1 if (side == "BUY") == crossing else -1)
        )
        tick, lot = STEPS[symbol]
        price = (reference * (1 + offset) / tick).to_integral_value() * tick
        quantity = ((Decimal("20000") / price) / lot).to_integral_value(
            rounding=ROUND_CEILING
        ) * lot
        params = {
            "symbol": symbol, "side": side, "type": "LIMIT", "timeInForce": "GTC",
            "price": f"{price:f}", "quantity": f"{quantity:f}",
            "timestamp": int(time.time() * 1000), "recvWindow": 60000,
        }  # fmt: skip
        query = urlencode(params)
        signature = hmac.new(self.secret, query.encode(), hashlib.sha256).hexdigest()
        return f"{query}&signature={signature}"

    def place(self) -> tuple[float, int]:
        body = self.order_body()
        started = time.perf_counter()
        headers = {"X-MBX-APIKEY": self.key, "Content-Type": "application/x-www-form-urlencoded"}
        try:
            self.conn.request("POST", "/api/v3/order", body=body, headers=headers)
            response = self.conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            return time.perf_counter() - started, 599
        if response.status != 200 and response.status != 400:
            sys.stderr.write(f"bench: HTTP {response.status}: {payload[:200]!r}\n")
        elif response.status == 400:
            code = json.loads(payload).get("code")
            if code not in (-2010,):  # insufficient balance can happen; anything else is a bug
                sys.stderr.write(f"bench: refused: {payload[:200]!r}\n")
        return time.perf_counter() - started, response.status


def closed_loop(traders: list[Trader], seconds: float) -> tuple[int, list[float]]:
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    lock = threading.Lock()

    def run(trader: Trader) -> None:
        mine = []
        while time.monotonic() < stop:
            latency, status = trader.place()
            if status == 200:
                mine.append(latency)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run, args=(t,)) for t in traders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies), latencies


def open_loop(traders: list[Trader], rate: float, seconds: float) -> tuple[int, list[float], float]:
    """Order n is due at start + n / rate; latency counts from when it was due."""
    start = time.perf_counter() + 0.2
    total = int(rate * seconds)
    next_slot = iter(range(total))
    slot_lock, result_lock = threading.Lock(), threading.Lock()
    latencies: list[float] = []

    def run(trader: Trader) -> None:
        while True:
            with slot_lock:
                n = next(next_slot, None)
            if n is None:
                return
            due = start + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            _, status = trader.place()
            finished = time.perf_counter()
            if status == 200:
                with result_lock:
                    latencies.append(finished - due)

    threads = [threading.Thread(target=run, args=(t,)) for t in traders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    return len(latencies), latencies, elapsed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    print(machine_line(), flush=True)
    recreate_database(database_url)
    keys = seed(database_url)
    server = start_server(database_url, args.workers)
    try:
        traders = [Trader(key, secret, seed=n) for n, (key, secret) in enumerate(keys)]
        closed_loop(traders[:16], 2)  # warm the engines and connections
        count, latencies = closed_loop(traders[:16], args.seconds)
        print(f"api_max_orders_per_s: {count / args.seconds:.0f} orders/s")
        print(f"api_max_p50_ms: {percentile(latencies, 0.5) * 1000:.1f} ms")
        count, latencies, elapsed = open_loop(traders, args.rate, args.seconds)
        print(f"api_offered_orders_per_s: {args.rate:.0f} orders/s")
        print(f"api_sustained_orders_per_s: {count / elapsed:.0f} orders/s")
        print(f"api_p50_ms: {percentile(latencies, 0.5) * 1000:.1f} ms")
        print(f"api_p99_ms: {percentile(latencies, 0.99) * 1000:.1f} ms")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
