"""Bots keeping up with a busy classroom: a scenario's ticks on five markets, once a second.

    python bench/markets.py [--seconds 30] [--noise 10] [--levels 4] [--workers N]

Builds a scratch database (BENCH_MARKETS_DATABASE_URL, default blockcampus_bench_markets), lists
five markets in one offering, and runs a scenario whose market makers re-quote `--levels` levels
each side and whose noise traders send `--noise` orders per market per tick. Ticks are driven on
the wall clock once a second, as Celery beat drives them, the way the worker runs them: this
process does a tick's shared part (`runner.begin_tick`, the `tick_scenario` task) and a pool of
`--workers` processes (default: one a core, as the worker's prefork pool) trades its markets, one
`trading.trade_market` call (the `trade_market` task) each. `--workers 0` runs every market in
this process, one after the other (`runner.tick`, the design before the fan-out). A tick is done
when its last market is; one that takes longer than its second is late: the bots fell behind.
The run's first tick, which opens the house bots' wallets, is a warm-up outside the figures
(`bots_first_tick_ms` shows it). Ends with the ledger check. Prints a machine line, then
`name: value unit` lines, with the load average before and after (other work on the machine
slows the ticks).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import machine_line  # noqa: E402
from bench.scratch import bench_offering  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/blockcampus_bench_markets"
EXTRA_MARKETS = [  # symbol, base, quote, tick, lot, minimum notional, start price
    ("ETHBTC", "ETH", "BTC", "0.00001", "0.001", "0.0001", "0.033"),
    ("BTCKUSD", "BTC", "KUSD", "1000", "0.00001", "5", "107000"),
]
STARTS = {"BTCKRW": "150000000", "ETHKRW": "5000000", "KUSDKRW": "1400"}
SIZES = {
    "BTCKRW": "0.02",
    "ETHKRW": "0.5",
    "KUSDKRW": "2000",
    "ETHBTC": "0.5",
    "BTCKUSD": "0.02",
}


def script(levels: int, noise: int) -> str:
    starts = {**STARTS, **{m[0]: m[6] for m in EXTRA_MARKETS}}
    lines = ["title: Bench", "duration: 86400", "markets:"]
    lines += [f"  {s}: {{model: gbm, start: {p}, volatility: 0.5}}" for s, p in starts.items()]
    lines.append("bots:")
    for symbol, size in SIZES.items():
        noise_size = str(Decimal(size) / 5)
        lines.append(
            f"  - {{kind: market_maker, market: {symbol}, spread_bps: 10, levels: {levels},"
            f' size: "{size}", inventory_limit: "{Decimal(size) * 100}"}}'
        )
        lines.append(
            f'  - {{kind: noise, market: {symbol}, orders_per_tick: {noise}, size: "{noise_size}"}}'
        )
    lines.append("events: []")
    return "\n".join(lines)


def seed(database_url: str, levels: int, noise: int) -> int:
    offering = bench_offering(database_url)
    from sandbox.exchange.markets import create_market
    from sandbox.markets.models import ScenarioRun
    from sandbox.markets.scenario import load_scenario

    for symbol, base, quote, tick, lot, notional, _ in EXTRA_MARKETS:
        create_market(
            offering_id=offering.pk,
            symbol=symbol,
            base=base,
            quote=quote,
            tick_size=Decimal(tick),
            lot_size=Decimal(lot),
            min_notional=Decimal(notional),
        )
    text = script(levels, noise)
    scenario = load_scenario(text)
    run = ScenarioRun.objects.create(
        offering=offering,
        scenario="bench",
        title="Bench",
        script=text,
        seed=1,
        state={"at": 0.0, "prices": {s: float(m.start) for s, m in scenario.markets.items()}},
    )
    return run.pk


def warm_up(run_id: int, pool) -> float:
    """The run's first tick, untimed in the figures: it opens and funds the house bots' wallets
    and the pool's processes make their first connections (once a run, once a worker)."""
    from django.utils import timezone

    time.sleep(1.0)  # a second of the run's clock, so that its first tick is due
    began = time.perf_counter()
    tick(run_id, timezone.now(), pool)
    return time.perf_counter() - began


def drive(run_id: int, seconds: float, pool) -> tuple[list[float], int, int]:
    from django.utils import timezone

    durations, placed, refused = [], 0, 0
    started = time.monotonic()
    for n in range(1, int(seconds) + 1):
        time.sleep(max(0.0, started + n - time.monotonic()))  # beat's next second
        began = time.perf_counter()
        done, refusals = tick(run_id, timezone.now(), pool)
        durations.append(time.perf_counter() - began)
        placed, refused = placed + done, refused + refusals
    return durations, placed, refused


def tick(run_id: int, now, pool) -> tuple[int, int]:
    """One tick as the worker runs it; (orders placed, refused)."""
    from sandbox.markets import runner

    if pool is None:
        report = runner.tick(run_id, now=now)
        return report.placed, report.refused
    report = runner.begin_tick(run_id, now=now)
    jobs = [(run_id, report.tick, symbol) for symbol in report.markets]
    results = pool.starmap(trade_market, jobs, chunksize=1)
    return sum(r[0] for r in results), sum(r[1] for r in results)


def trade_market(run_id: int, tick: int, symbol: str) -> tuple[int, int]:
    """In a pool process: what the `trade_market` task does."""
    from sandbox.markets import trading

    report = trading.trade_market(run_id, tick=tick, symbol=symbol)
    return report.placed, report.refused


def worker_pool(workers: int):
    """Processes standing in for the worker's prefork pool, each with Django set up against the
    scratch database and its own connections. Spawned, not forked: a fork would inherit this
    process's connections and the channel layer's event-loop threads mid-use."""
    if workers == 0:
        return None
    return multiprocessing.get_context("spawn").Pool(workers, initializer=set_up_django)


def set_up_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campus.settings")
    django.setup()
    import sandbox.markets.trading  # noqa: F401  (imported once at start, as a worker does)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--noise", type=int, default=10)
    parser.add_argument("--levels", type=int, default=4)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(machine_line(), flush=True)
    database_url = os.environ.get("BENCH_MARKETS_DATABASE_URL", DEFAULT_DB)
    run_id = seed(database_url, args.levels, args.noise)
    pool = worker_pool(args.workers)
    try:
        first = warm_up(run_id, pool)
        load_before = load_average()
        durations, placed, refused = drive(run_id, args.seconds, pool)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    load_after = load_average()
    from django.core.management import call_command

    call_command("ledger_check", verbosity=0)  # exits 1 on any break
    durations.sort()
    late = sum(1 for d in durations if d > 1.0)
    print(f"bots_markets: {len(SIZES)} markets")
    print(f"bots_workers: {args.workers} processes")
    print(f"bots_load_average_before: {load_before} (1, 5, 15 min)")
    print(f"bots_load_average_after: {load_after} (1, 5, 15 min)")
    print(f"bots_orders_per_s: {placed / args.seconds:.0f} orders/s")
    print(f"bots_refused_orders: {refused} orders")
    print(f"bots_tick_p50_ms: {statistics.median(durations) * 1000:.0f} ms")
    print(f"bots_tick_p99_ms: {durations[int(len(durations) * 0.99) - 1] * 1000:.0f} ms")
    print(f"bots_tick_max_ms: {durations[-1] * 1000:.0f} ms")
    print(f"bots_first_tick_ms: {first * 1000:.0f} ms (untimed warm-up: house bots opened)")
    print(f"bots_ticks_late: {late} of {len(durations)} ticks")


if __name__ == "__main__":
    main()
