"""End-to-end order placement through the signed Binance-shaped HTTP API on PostgreSQL.

    python bench/api.py [--seconds 15] [--rate 500] [--workers 2] [--clients 2] [--redis URL]
                        [--no-desk]

Builds a scratch database (BENCH_DATABASE_URL, default blockcampus_bench on the local server),
seeds an offering with three markets, traders with API keys and a history of 100,000 orders
(`scratch.exchange_history`: a database as a course leaves it after some weeks, not an empty one),
serves the site as the Procfile does (uvicorn's workers on loopback, and the order desk process
they hand orders to), and drives it from --clients load-generator processes (not threads of this
one: the client's own GIL would otherwise be what is measured), each one thread driving its
persistent keep-alive connections with a selector (a thread per connection, with http.client,
took three times the CPU per order, on the machine the server shares), after a 2-second warm-up
on as many connections as either phase uses (so that each web worker has opened the database
connections of all the threads it will use):

1. closed loop, 16 connections placing as fast as answers come: the most orders per second;
2. open loop on 24 connections at --rate orders per second for --seconds: achieved rate and
   latency percentiles, measured from each order's scheduled send time (so queueing is counted,
   not hidden). Orders still unsent 5 s after the window are dropped and counted as not
   achieved. An order the server hangs up on, or leaves unanswered for 30 s, is lost: not
   counted as achieved either, and reported (`api_lost_orders`).

Each connection rotates over its share of the traders' keys, so that no key passes Binance's
100 orders per 10 s (which the API enforces); the load is many students, not one.
Orders are limit orders around a reference price, a quarter of them crossing the spread.
Prints a machine line, then `name: value unit` lines, including the CPU each side used per
order (server: web workers and order desk, and the desk alone; PostgreSQL; load generator), which
says where the time goes, with how long the desk's loop waited for a CPU per order (the scheduler's
count: two cores shared by every process), and, over both phases and the warm-up, the orders the
desk placed (or refused) per round, the time its loop spent on rounds (placing, answering,
publishing) per order (the desk places one round at a time, so one second over that figure bounds
the orders per second it can take), and how much of it went on placing the rounds
(`desk.place_round`).
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
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections import deque
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


REQUEST = (
    "POST /api/v3/order HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-MBX-APIKEY: {key}\r\n"
    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n{body}"
)
ORDERS_AHEAD = 1000  # orders each connection draws before a phase, used in turn
ANSWER_TIMEOUT_S = 30.0


class Trader:
    """One keep-alive connection, placing orders for a rotation of traders' keys. It does not
    wait on its socket itself: its process's loop (`run_connections`) sends on it and reads it.

    Its orders' parameters are drawn before the phase (`ORDERS_AHEAD`, in turn), and each is
    signed as it is sent, with its timestamp: the load generator shares the machine with the
    server, so it does as little as a client can per order (one `send`, one `recv`, the HMAC, and
    the status line and Content-Length read off the answer)."""

    def __init__(self, keys: list[tuple[str, str]], seed: int) -> None:
        self.keys = [(key, secret.encode()) for key, secret in keys]
        self.turn = 0
        rng = random.Random(seed)
        self.orders = [self.order_params(rng) for _ in range(ORDERS_AHEAD)]
        self.sock: socket.socket | None = None
        self.buffer = bytearray()
        self.due = 0.0  # when the order in flight was due (open loop) or sent (closed loop)
        self.sent = 0.0  # when it was sent

    @staticmethod
    def order_params(rng: random.Random) -> str:
        symbol, side, price, quantity = random_limit(rng)
        return urlencode({
            "symbol": symbol, "side": side, "type": "LIMIT", "timeInForce": "GTC",
            "price": f"{price:f}", "quantity": f"{quantity:f}",
        })  # fmt: skip

    def connect(self) -> socket.socket:
        self.sock = socket.create_connection(("127.0.0.1", PORT), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.buffer.clear()
        return self.sock

    def request(self) -> bytes:
        """The next order, signed now, as the bytes of its HTTP request."""
        key, secret = self.keys[self.turn % len(self.keys)]
        params = self.orders[self.turn % len(self.orders)]
        self.turn += 1
        query = f"{params}&timestamp={int(time.time() * 1000)}&recvWindow=60000"
        signature = hmac.new(secret, query.encode(), hashlib.sha256).hexdigest()
        body = f"{query}&signature={signature}"
        return REQUEST.format(port=PORT, key=key, length=len(body), body=body).encode()

    def answer(self) -> tuple[int, bytes] | None:
        """The answer read so far, whole: (status, body), or None while it is not."""
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(self.buffer[:end]).split(b"\r\n")
        length = None
        for line in head[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:  # the API always sends it (api/lane.py); anything else is a bug
            raise ValueError(f"an answer without Content-Length: {head[0]!r}")
        if len(self.buffer) < end + 4 + length:
            return None
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        return int(head[0].split()[1]), body


def checked(status: int, payload: bytes) -> int:
    """The answer's status; refusals other than an insufficient balance are reported."""
    if status == 400:
        code = json.loads(payload).get("code")
        if code not in (-2010,):  # insufficient balance can happen; anything else is a bug
            sys.stderr.write(f"bench: refused: {payload[:200]!r}\n")
    elif status != 200:
        sys.stderr.write(f"bench: HTTP {status}: {payload[:200]!r}\n")
    return status


def run_connections(traders: list[Trader], schedule: Schedule) -> tuple[list[float], float, int]:
    """Drive the traders' connections from this process's one thread, with a selector: while a
    connection is idle and an order of the `schedule` is due, send it there; once the schedule
    is over, stop when the orders in flight are answered. An order the server hangs up on, or
    leaves unanswered `ANSWER_TIMEOUT_S`, is lost (not counted); its connection is opened again,
    as is an idle one the server closed (uvicorn's keep-alive timeout). Idle connections take
    the orders in turn, so that each connection's keys stay within the API's order rate limit.
    Returns the latencies of the orders placed (answered 200), each from when it was due, this
    process's CPU seconds, and the orders lost."""
    cpu = time.process_time()
    latencies: list[float] = []
    selector = selectors.DefaultSelector()
    for trader in traders:
        selector.register(trader.connect(), selectors.EVENT_READ, trader)
    idle, in_flight, lost = deque(traders), set(), 0

    def lose(trader: Trader) -> None:  # its order: on a connection opened again, it is idle
        nonlocal lost
        reconnect(selector, trader)
        in_flight.discard(trader)
        idle.append(trader)
        lost += 1

    while True:
        now = time.time()
        while idle and (due := schedule.next_due(now)) is not None and due <= now:
            trader = idle.popleft()
            trader.due, trader.sent = schedule.take(), now
            try:
                trader.sock.sendall(trader.request())
                in_flight.add(trader)
            except OSError:
                lose(trader)
        for trader in [t for t in in_flight if now - t.sent > ANSWER_TIMEOUT_S]:
            lose(trader)
        due = schedule.next_due(now)
        if due is None and not in_flight:
            break
        wait = 0.5 if due is None or not idle else max(0.0, due - now)
        for key, _ in selector.select(wait):
            trader = key.data
            try:
                chunk = trader.sock.recv(1 << 16)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:  # the server hung up (an idle connection: its keep-alive timeout)
                if trader in in_flight:
                    lose(trader)
                else:
                    reconnect(selector, trader)
                continue
            trader.buffer += chunk
            if trader in in_flight and (answer := trader.answer()) is not None:
                if checked(*answer) == 200:
                    latencies.append(time.time() - trader.due)
                in_flight.discard(trader)
                idle.append(trader)
    for trader in traders:
        selector.unregister(trader.sock)
        trader.sock.close()
    selector.close()
    return latencies, time.process_time() - cpu, lost


class Schedule:
    """When a process's orders are due. Closed loop (`rate` None): each as soon as a connection
    is free, until `start + seconds`. Open loop: orders n = first, first + step, ... of a
    schedule in which order n is due at start + n / rate, until `give_up`."""

    def __init__(self, start: float, seconds: float, rate: float | None = None,
                 first: int = 0, step: int = 1, give_up: float | None = None) -> None:  # fmt: skip
        self.start, self.seconds, self.rate = start, seconds, rate
        self.n, self.step = first, step
        self.total = None if rate is None else int(rate * seconds)
        self.give_up = give_up

    def next_due(self, now: float) -> float | None:
        """When the next order is due (perhaps already), or None if there are no more."""
        if self.rate is None:
            return now if now < self.start + self.seconds else None
        if self.n >= self.total or now > self.give_up:
            return None  # those still unsent are dropped, and not counted as achieved
        return self.start + self.n / self.rate

    def take(self) -> float:
        """The next order's due time (it goes now)."""
        if self.rate is None:
            return time.time()
        due = self.start + self.n / self.rate
        self.n += self.step
        return due


def reconnect(selector: selectors.BaseSelector, trader: Trader) -> None:
    """The trader's connection, opened again; a server that refuses connections for 5 s ends
    the run (it is down)."""
    selector.unregister(trader.sock)
    trader.sock.close()
    deadline = time.monotonic() + 5
    while True:
        try:
            selector.register(trader.connect(), selectors.EVENT_READ, trader)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("bench: the server refuses connections") from None
            time.sleep(0.05)


def closed_loop(job: tuple) -> tuple[list[float], float]:
    """A load-generator process: its connections send the next order as each answer arrives."""
    shares, seconds = job
    traders = [Trader(keys, seed) for seed, keys in shares]
    return run_connections(traders, Schedule(time.time(), seconds))


def open_loop(job: tuple) -> tuple[list[float], float]:
    """A load-generator process sending its orders of an open-loop schedule (`Schedule`);
    latency counts from when each was due. An order that finds every connection busy waits for
    the first one free (the wait is counted)."""
    shares, start, rate, seconds, first, step = job
    traders = [Trader(keys, seed) for seed, keys in shares]
    schedule = Schedule(start, seconds, rate, first, step, give_up=start + seconds + GRACE)
    return run_connections(traders, schedule)


def shares(keys: list[tuple[str, str]], connections: int, processes: int) -> list[list]:
    """The keys dealt to `connections` connections, grouped by load-generator process."""
    dealt = [(seed, keys[seed::connections]) for seed in range(connections)]
    return [dealt[p::processes] for p in range(processes)]


def drive(pool, jobs: list[tuple], loop) -> tuple[list[float], float, int]:
    """Run a phase on the load-generator processes: latencies, their CPU, orders lost."""
    results = pool.map(loop, jobs)
    latencies = [x for latencies, _, _ in results for x in latencies]
    return latencies, sum(cpu for _, cpu, _ in results), sum(lost for _, _, lost in results)


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


def measure(
    pool, servers, jobs, loop, *, redis: bool, desk: bool
) -> tuple[list[float], int, dict, float | None]:
    """Run a phase; returns latencies, the orders lost (`run_connections`), CPU seconds used by
    each side (Redis's too when the server uses it; and, of the server's, the order desk
    process's alone, when it runs), and the seconds the desk's loop waited for a CPU (None
    without a desk)."""
    sides = {"server": lambda: server_pids(servers), "postgres": lambda: pids_named("postgres")}
    if desk:  # the first server (start_servers)
        sides["desk"] = lambda: [servers[0].pid]
    if redis:
        sides["redis"] = lambda: pids_named("redis-server")
    before = {side: cpu_seconds(pids()) for side, pids in sides.items()}
    queued = run_queue_seconds(servers[0].pid) if desk else 0.0
    latencies, client_cpu, lost = drive(pool, jobs, loop)
    cpu = {side: cpu_seconds(pids()) - before[side] for side, pids in sides.items()}
    cpu["client"] = client_cpu
    queued = run_queue_seconds(servers[0].pid) - queued if desk else None
    return latencies, lost, cpu, queued


def run_queue_seconds(pid: int) -> float:
    """Seconds the process's main thread (the order desk's loop) has spent ready to run but
    waiting for a CPU, from the scheduler's count (/proc/<pid>/schedstat); 0 where it cannot be
    read."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def print_cpu(prefix: str, cpu: dict[str, float], queued: float | None, orders: int) -> None:
    for side, seconds in cpu.items():
        print(f"{prefix}_{side}_cpu_per_order: {seconds / max(orders, 1) * 1000:.2f} ms")
    if queued is not None:
        print(f"{prefix}_desk_queued_per_order: {queued / max(orders, 1) * 1000:.2f} ms")


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
            latencies, lost, cpu, queued = measure(
                pool, servers, closed, closed_loop, redis=bool(args.redis), desk=not args.no_desk
            )
            print(f"api_max_orders_per_s: {len(latencies) / args.seconds:.0f} orders/s")
            print(f"api_max_lost_orders: {lost} orders")
            print(f"api_max_p50_ms: {percentile(latencies, 0.5) * 1000:.1f} ms")
            print_cpu("api_max", cpu, queued, len(latencies))
            start = time.time() + 0.5
            opened = [
                (s, start, args.rate, args.seconds, n, args.clients)
                for n, s in enumerate(shares(keys, OPEN_CONNECTIONS, args.clients))
            ]
            latencies, lost, cpu, queued = measure(
                pool, servers, opened, open_loop, redis=bool(args.redis), desk=not args.no_desk
            )
            elapsed = time.time() - start
        print(f"api_offered_orders_per_s: {args.rate:.0f} orders/s")
        print(f"api_sustained_orders_per_s: {len(latencies) / elapsed:.0f} orders/s")
        print(f"api_lost_orders: {lost} orders")
        print(f"api_p50_ms: {percentile(latencies, 0.5) * 1000:.1f} ms")
        print(f"api_p99_ms: {percentile(latencies, 0.99) * 1000:.1f} ms")
        print_cpu("api", cpu, queued, len(latencies))
    finally:
        for server in reversed(servers):
            os.killpg(server.pid, signal.SIGTERM)
            said, _ = server.communicate(timeout=30)
            counts = re.search(
                r"(\d+) orders placed or refused in (\d+) rounds, busy ([\d.]+) s, placing "
                r"([\d.]+)",
                said or "",
            )
            if counts:
                placed, rounds = int(counts[1]), int(counts[2])
                busy, placing = float(counts[3]), float(counts[4])
                print(f"api_desk_orders_per_round: {placed / max(rounds, 1):.1f} orders")
                print(f"api_desk_busy_per_order: {busy / max(placed, 1) * 1000:.2f} ms")
                print(f"api_desk_placing_per_order: {placing / max(placed, 1) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
