"""Benchmark the matching engine on a mixed, seeded stream of orders, on one core.

    python bench/engine.py [--orders N] [--seed S] [--marketable-share F]

The stream is generated once by driving a scratch engine (so every cancel names an order that is
still open), then replayed on fresh engines: once untimed per call for throughput, once with
each call timed for latency. Orders are built before the clock starts; building one costs what
``engine_order_build_us`` says, on top. Prints a line naming the machine, then one figure a line
as ``name: value unit``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.machine import machine_line  # after sys.path gains the repository
from sandbox.exchange.engine import (
    MatchingEngine,
    Order,
    OrderKind,
    Side,
    TimeInForce,
)

ACCOUNTS = 200
TARGET_OPEN_ORDERS = 2_000
CANCEL_SHARE = 0.40  # raised to 0.6 while the book holds more than TARGET_OPEN_ORDERS
MARKETABLE_SHARE = 0.15  # half MARKET, half limits priced through the touch (GTC or IOC)


class StreamMaker:
    """A seeded mix shaped like an exchange's order flow, where adds and cancels outnumber
    trades: resting limit adds around a drifting mid, cancels of open orders (``CANCEL_SHARE``,
    more when the book is fuller than ``TARGET_OPEN_ORDERS``) and marketable orders
    (``MARKETABLE_SHARE``), each taking one to thirty lots."""

    def __init__(self, seed: int, marketable_share: float = MARKETABLE_SHARE) -> None:
        self.rng = random.Random(seed)
        self.marketable_share = marketable_share
        self.engine = MatchingEngine()
        self.mid = 10_000
        self.next_id = 1
        self.live: list[int] = []

    def make(self, count: int) -> list[Order | int]:
        return [self._next() for _ in range(count)]

    def _next(self) -> Order | int:
        rng = self.rng
        if rng.random() < 0.05:
            self.mid += rng.choice((-1, 1))
        cancel_weight = CANCEL_SHARE if len(self.live) < TARGET_OPEN_ORDERS else 0.6
        roll = rng.random()
        if roll < cancel_weight and self.live:
            return self._cancel()
        if roll < cancel_weight + self.marketable_share / 2:
            return self._submit(self._market())
        if roll < cancel_weight + self.marketable_share:
            return self._submit(self._marketable_limit())
        return self._submit(self._resting_limit())

    def _order(self, **fields: object) -> Order:
        order_id, self.next_id = self.next_id, self.next_id + 1
        account = self.rng.randrange(ACCOUNTS)
        return Order(order_id=order_id, account=account, **fields)  # type: ignore[arg-type]

    def _resting_limit(self) -> Order:
        side = self.rng.choice((Side.BUY, Side.SELL))
        offset = 1 + int(self.rng.expovariate(0.15))
        price = self.mid - offset if side is Side.BUY else self.mid + offset
        return self._order(side=side, price=price, quantity=self.rng.randint(1, 20))

    def _marketable_limit(self) -> Order:
        side = self.rng.choice((Side.BUY, Side.SELL))
        price = self.mid + 3 if side is Side.BUY else self.mid - 3
        tif = self.rng.choice((TimeInForce.GTC, TimeInForce.IOC))
        quantity = self.rng.randint(1, 30)
        return self._order(side=side, price=price, quantity=quantity, time_in_force=tif)

    def _market(self) -> Order:
        side = self.rng.choice((Side.BUY, Side.SELL))
        quantity = self.rng.randint(1, 30)
        return self._order(side=side, kind=OrderKind.MARKET, quantity=quantity)

    def _submit(self, order: Order) -> Order:
        if self.engine.submit(order).on_book:
            self.live.append(order.order_id)
        return order

    def _cancel(self) -> int:
        while True:
            index = self.rng.randrange(len(self.live))
            self.live[index], self.live[-1] = self.live[-1], self.live[index]
            order_id = self.live.pop()
            if self.engine.get_order(order_id) is not None:
                self.engine.cancel(order_id)
                return order_id
            if not self.live:
                return self._submit(self._resting_limit())  # type: ignore[return-value]


def run_throughput(stream: list[Order | int]) -> float:
    engine = MatchingEngine()
    submit, cancel = engine.submit, engine.cancel
    started = time.perf_counter()
    for item in stream:
        if type(item) is int:
            cancel(item)
        else:
            submit(item)  # type: ignore[arg-type]
    return time.perf_counter() - started


def run_latency(stream: list[Order | int]) -> list[int]:
    engine = MatchingEngine()
    submit, clock = engine.submit, time.perf_counter_ns
    latencies = []
    for item in stream:
        if type(item) is int:
            engine.cancel(item)
            continue
        started = clock()
        submit(item)  # type: ignore[arg-type]
        latencies.append(clock() - started)
    latencies.sort()
    return latencies


def order_build_us(samples: int = 50_000) -> float:
    started = time.perf_counter()
    for order_id in range(1, samples + 1):
        Order(order_id=order_id, account=1, side=Side.BUY, price=100, quantity=1)
    return (time.perf_counter() - started) / samples * 1e6


def count_trades(stream: list[Order | int]) -> int:
    engine = MatchingEngine()
    trades = 0
    for item in stream:
        if type(item) is int:
            engine.cancel(item)
        else:
            result = engine.submit(item)  # type: ignore[arg-type]
            trades += len(result.trades) + sum(len(r.trades) for r in result.triggered)
    return trades


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--marketable-share", type=float, default=MARKETABLE_SHARE)
    args = parser.parse_args()
    stream = StreamMaker(args.seed, args.marketable_share).make(args.orders)
    elapsed = min(run_throughput(stream) for _ in range(3))
    latencies = run_latency(stream)
    cancels = sum(1 for item in stream if type(item) is int)
    print(machine_line())
    print(f"engine_orders_per_s: {len(stream) / elapsed:.0f} orders/s")
    print(f"engine_p50_submit_us: {latencies[len(latencies) // 2] / 1000:.1f} us")
    print(f"engine_p99_submit_us: {latencies[int(len(latencies) * 0.99)] / 1000:.1f} us")
    print(f"engine_stream_orders: {len(stream)} orders")
    print(f"engine_stream_cancels: {cancels} orders")
    print(f"engine_stream_trades: {count_trades(stream)} trades")
    print(f"engine_order_build_us: {order_build_us():.2f} us")


if __name__ == "__main__":
    main()
