"""The per-second stream beat: `@ticker` and every `@kline_<interval>` of markets that traded.

    python bench/stream_beat.py [--markets 5] [--trades-per-s 20] [--history 20000] [--beats 20]

Builds a scratch database (BENCH_STREAM_BEAT_DATABASE_URL, default blockcampus_bench_stream_beat)
with `--markets` markets, each with `--history` trades spread over the last day (then ANALYZEd, as
autovacuum would have done on a running site), then runs the beat task `--beats` times, adding
`--trades-per-s` trades per market before each, as a busy classroom would. The channel layer is the in-memory one (the publish cost is Redis' and is the same
either way). For comparison it also times reading every interval's current candle from the trades
(`selectors.klines`, what the beat did per interval before it folded new trades in) and reading each
market's day of trades for its ticker (what the beat did before it kept minute buckets), and the
beat with no market trading. `stream_beat_candles_p50_ms` is the share of a beat that reads and
folds the new trades into the candles and the tickers' minute buckets (the rest is building the
events, the best bid and ask, and publishing). Prints a machine line, then `name: value unit` lines.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import machine_line  # noqa: E402
from bench.scratch import bench_offering  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/blockcampus_bench_stream_beat"
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
EXTRA = [("ETHBTC", "ETH", "BTC"), ("BTCKUSD", "BTC", "KUSD"), ("ETHKUSD", "ETH", "KUSD")]


def markets_of(offering, count: int) -> list:
    from sandbox.exchange.markets import create_market
    from sandbox.exchange.models import Market

    for symbol, base, quote in EXTRA:
        if Market.objects.filter(offering=offering).count() >= count:
            break
        create_market(
            offering_id=offering.pk,
            symbol=symbol,
            base=base,
            quote=quote,
            tick_size=Decimal("1"),
            lot_size=Decimal("0.01"),
            min_notional=Decimal("1"),
        )
    return list(Market.objects.filter(offering=offering).order_by("pk")[:count])


def add_trades(markets: list, per_market: int, *, spread: timedelta) -> None:
    """`per_market` trades in each market, evenly over the last `spread` (bench data only: the
    orders behind them are stand-ins, not placed through the exchange)."""
    from django.db import connection
    from django.utils import timezone

    from campus.models import User
    from sandbox.exchange.models import Order, Trade

    buyer, _ = User.objects.get_or_create(username="bench-buyer")
    seller, _ = User.objects.get_or_create(username="bench-seller")
    now = timezone.now()
    for market in markets:
        orders = [
            Order.objects.create(
                market=market,
                owner=owner,
                client_order_id=f"bench-{owner.pk}-{now.timestamp()}",
                side=side,
                type="LIMIT",
                status="FILLED",
            )
            for owner, side in ((buyer, "BUY"), (seller, "SELL"))
        ]
        first = Trade.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        Trade.objects.bulk_create(
            Trade(
                market=market,
                price=Decimal(1000 + i % 50),
                qty=Decimal("0.5"),
                quote_qty=Decimal(1000 + i % 50) / 2,
                buyer_order=orders[0],
                seller_order=orders[1],
                buyer=buyer,
                seller=seller,
                is_buyer_maker=bool(i % 2),
                buyer_fee=Decimal(0),
                seller_fee=Decimal(0),
            )
            for i in range(per_market)
        )
        step_us = int(spread / timedelta(microseconds=1)) // max(per_market, 1)
        with connection.cursor() as cursor:  # spread them over the window, in id order
            cursor.execute(
                "UPDATE exchange_trade SET created_at = %s - make_interval(secs => "
                "(%s - (id - %s)) * %s / 1e6) WHERE market_id = %s AND id > %s",
                [now, per_market, first, step_us, market.pk, first],
            )


def analyze_trades() -> None:
    """Give the planner the statistics autovacuum keeps on a running site: straight after a bulk
    load it has none, guesses that a third of the trades match any range, and scans them all."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE exchange_trade")


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


def rebuild_every_interval(markets: list) -> None:
    from sandbox.exchange import selectors
    from sandbox.exchange.selectors import KLINE_INTERVALS, now_ms

    at = now_ms()
    for market in markets:
        for interval in KLINE_INTERVALS:
            selectors.klines(market, interval=interval, now_ms=at, limit=1)


def reread_day_tickers(markets: list) -> None:
    """What the beat's tickers did before they were kept by the minute: a day of trades each."""
    from sandbox.exchange import selectors
    from sandbox.exchange.selectors import from_epoch_ms, now_ms
    from sandbox.exchange.stream_ticker import DAY_MS

    since = from_epoch_ms(now_ms() - DAY_MS)
    for market in markets:
        selectors.trade_window(market, since=since)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--markets", type=int, default=5)
    parser.add_argument("--trades-per-s", type=int, default=20)
    parser.add_argument("--history", type=int, default=20_000)
    parser.add_argument("--beats", type=int, default=20)
    args = parser.parse_args()
    url = os.environ.get("BENCH_STREAM_BEAT_DATABASE_URL", DEFAULT_DB)
    redis = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    offering = bench_offering(url, REDIS_URL=redis)
    from django.core.cache import cache

    from sandbox.exchange.selectors import KLINE_INTERVALS, now_ms
    from sandbox.exchange.stream_candles import candles_of
    from sandbox.exchange.tasks import publish_tickers_and_candles

    markets = markets_of(offering, args.markets)
    add_trades(markets, args.history, spread=timedelta(hours=23))
    analyze_trades()
    cache.clear()
    add_trades(markets, args.trades_per_s, spread=timedelta(seconds=1))
    first = timed(publish_tickers_and_candles)  # reads each market's candles from its trades
    beats, folds, rebuilds, tickers = [], [], [], []
    for _ in range(args.beats):
        add_trades(markets, args.trades_per_s, spread=timedelta(seconds=1))
        # the beat's candle part on its own (the beat then finds them folded), and the rest
        folds.append(timed(lambda: candles_of(markets, at_ms=now_ms())))
        beats.append(folds[-1] + timed(publish_tickers_and_candles))
        rebuilds.append(timed(lambda: rebuild_every_interval(markets)))
        tickers.append(timed(lambda: reread_day_tickers(markets)))
    time.sleep(2.5)  # nothing traded in the beat's window
    idle = statistics.median(timed(publish_tickers_and_candles) for _ in range(5))
    print(machine_line())
    print(f"stream_beat_markets: {len(markets)} markets")
    print(f"stream_beat_intervals: {len(KLINE_INTERVALS)} intervals")
    print(f"stream_beat_first_ms: {first:.1f} ms")  # candles read from a day of trades
    print(f"stream_beat_p50_ms: {statistics.median(beats):.1f} ms")
    print(f"stream_beat_max_ms: {max(beats):.1f} ms")
    print(f"stream_beat_candles_p50_ms: {statistics.median(folds):.1f} ms")
    print(f"stream_beat_idle_ms: {idle:.1f} ms")
    print(f"stream_klines_reread_p50_ms: {statistics.median(rebuilds):.1f} ms")
    print(f"stream_tickers_reread_p50_ms: {statistics.median(tickers):.1f} ms")


if __name__ == "__main__":
    main()
