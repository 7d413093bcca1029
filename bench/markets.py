"""Bots keeping up with a busy classroom: a scenario's ticks on five markets, once a second.

    python bench/markets.py [--seconds 30] [--noise 10] [--levels 4]

Builds a scratch database (BENCH_MARKETS_DATABASE_URL, default blockcampus_bench_markets), lists
five markets in one offering, and runs a scenario whose market makers re-quote `--levels` levels
each side and whose noise traders send `--noise` orders per market per tick. Ticks are driven on
the wall clock once a second, as Celery beat drives them, through the same runner a worker uses.
A tick that takes longer than its second is late: the bots fell behind. Ends with the ledger
check. Prints a machine line, then `name: value unit` lines.
"""

from __future__ import annotations

import argparse
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


def drive(run_id: int, seconds: float) -> tuple[list[float], int, int]:
    from django.utils import timezone

    from sandbox.markets import runner

    durations, placed, refused = [], 0, 0
    started = time.monotonic()
    for n in range(1, int(seconds) + 1):
        time.sleep(max(0.0, started + n - time.monotonic()))  # beat's next second
        began = time.perf_counter()
        report = runner.tick(run_id, now=timezone.now())
        durations.append(time.perf_counter() - began)
        placed, refused = placed + report.placed, refused + report.refused
    return durations, placed, refused


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--noise", type=int, default=10)
    parser.add_argument("--levels", type=int, default=4)
    args = parser.parse_args()
    print(machine_line(), flush=True)
    database_url = os.environ.get("BENCH_MARKETS_DATABASE_URL", DEFAULT_DB)
    run_id = seed(database_url, args.levels, args.noise)
    durations, placed, refused = drive(run_id, args.seconds)
    from django.core.management import call_command

    call_command("ledger_check", verbosity=0)  # exits 1 on any break
    durations.sort()
    late = sum(1 for d in durations if d > 1.0)
    print(f"bots_markets: {len(SIZES)} markets")
    print(f"bots_orders_per_s: {placed / args.seconds:.0f} orders/s")
    print(f"bots_refused_orders: {refused} orders")
    print(f"bots_tick_p50_ms: {statistics.median(durations) * 1000:.0f} ms")
    print(f"bots_tick_p99_ms: {durations[int(len(durations) * 0.99) - 1] * 1000:.0f} ms")
    print(f"bots_tick_max_ms: {durations[-1] * 1000:.0f} ms")
    print(f"bots_ticks_late: {late} of {len(durations)} ticks")


if __name__ == "__main__":
    main()
