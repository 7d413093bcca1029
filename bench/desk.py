"""The order desk's batches in one process on PostgreSQL, without HTTP: what a batch costs.

    python bench/desk.py [--rounds 5]

`bench/api.py` measures the whole path through the API, and on a busy 2-core machine its figures
move by a tenth or more from run to run. This one times only `services.place_batches`, as the
desk calls it (markets busy elsewhere skipped), on a scratch database (BENCH_DATABASE_URL,
default blockcampus_bench_desk on the local server, with a history of orders:
`scratch.exchange_history`), for batches of 1, 4 and 16 limit orders spread over three markets
(around a reference price, a quarter of them crossing the spread, as in bench/api.py). Sizes
take turns, round after round, and each figure is the median over the rounds, so that a stall
of a shared machine does not count. Runs minutes apart can still differ by a fifth there:
compare two versions in turn, several times. Per batch size: this thread's CPU, PostgreSQL's
(all its processes), wall time, and the statements sent.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api import funded_traders, pids_named, random_limit  # noqa: E402
from bench.machine import machine_line  # noqa: E402
from bench.scratch import bench_offering, exchange_history  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/blockcampus_bench_desk"
TRADERS = 40
SIZES = (1, 4, 16)
ORDERS_PER_ROUND = 64  # each size places this many orders a round, in batches of its size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(machine_line(), flush=True)
    offering = bench_offering(os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    desk = Desk(offering)
    for size in SIZES:  # warm: engines built, statements prepared
        desk.round(size, 16)
    figures: dict[int, list[tuple[float, float, float, float]]] = {size: [] for size in SIZES}
    for _ in range(args.rounds):
        for size in SIZES:
            figures[size].append(desk.round(size, ORDERS_PER_ROUND // size))
    for size in SIZES:
        cpu, postgres, wall, statements = (
            statistics.median(column) for column in zip(*figures[size], strict=True)
        )
        print(f"desk_batch_of_{size}_cpu: {cpu:.2f} ms")
        print(f"desk_batch_of_{size}_postgres_cpu: {postgres:.2f} ms")
        print(f"desk_batch_of_{size}_wall: {wall:.2f} ms")
        print(f"desk_batch_of_{size}_statements: {statements:.1f} statements")
        print(f"desk_batch_of_{size}_cpu_per_order: {(cpu + postgres) / size:.2f} ms")


class Desk:
    """Funded traders in the offering's markets, placing seeded random batches."""

    def __init__(self, offering) -> None:
        from sandbox.exchange.models import Market

        self.owners = [user.pk for user in funded_traders(offering, TRADERS, "desk")]
        exchange_history(offering, self.owners)
        self.markets = {m.symbol: m for m in Market.objects.filter(offering=offering)}
        self.rng = random.Random(1)

    def request(self):
        from sandbox.exchange.filters import OrderRequest

        symbol, side, price, quantity = random_limit(self.rng)
        request = OrderRequest(
            side=side, type="LIMIT", time_in_force="GTC", price=price, quantity=quantity
        )
        return self.markets[symbol], request

    def round(self, size: int, batches: int) -> tuple[float, float, float, float]:
        """Place `batches` batches of `size` orders; per batch: (CPU ms, PostgreSQL CPU ms,
        wall ms, statements)."""
        from django.db import connection

        from sandbox.exchange import services

        statements = 0

        def count(execute, sql, params, many, context):
            nonlocal statements
            statements += 1
            return execute(sql, params, many, context)

        cpu = wall = 0.0
        postgres = postgres_cpu()
        for _ in range(batches):
            groups: dict = {}
            for _ in range(size):
                market, request = self.request()
                groups.setdefault(market, []).append((self.rng.choice(self.owners), request))
            started, started_cpu = time.perf_counter(), time.thread_time()
            with connection.execute_wrapper(count):
                services.place_batches(list(groups.items()), skip_busy=True)
            cpu += time.thread_time() - started_cpu
            wall += time.perf_counter() - started
        postgres = postgres_cpu() - postgres
        return (
            cpu * 1000 / batches,
            postgres * 1000 / batches,
            wall * 1000 / batches,
            statements / batches,
        )


def postgres_cpu() -> float:
    """CPU seconds used so far by PostgreSQL's running processes, to the nanosecond (the
    scheduler's count in /proc/<pid>/schedstat: /proc/<pid>/stat counts in hundredths of a
    second, too coarse for a round of a few batches). The desk's connection stays open, so its
    backend is among them throughout."""
    total = 0
    for pid in pids_named("postgres"):
        try:
            total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


if __name__ == "__main__":
    main()
