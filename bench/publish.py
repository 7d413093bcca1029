"""What publishing an order desk round's stream events costs the publisher, on Redis.

    python bench/publish.py [--rounds 300]

A round of the order desk announces to about fifteen groups: an executionReport or position for
each of a dozen owners, and a depth diff for each of three markets. This publishes such a round
with `streams.publish_many` on the Redis pub/sub channel layer (BENCH_REDIS_URL, default
redis://127.0.0.1:6379/9), as the desk does: one pipeline of PUBLISH commands per shard. For
comparison it also sends the same messages with the layer's `group_send`, one after another (how
they went before). The two take turns, and each figure is the median over the turns of this
process's CPU and wall time per round (the sending happens on the process's sidecar loop; here
the caller waits for it, to time it, where the desk does not: `publish_many(wait=False)`).
Prints a machine line, then `name: value unit` lines.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import machine_line  # noqa: E402

GROUPS = [f"ud.1.{owner}" for owner in range(12)] + [
    f"md.1.{symbol}.depth" for symbol in ("BTCKRW", "ETHKRW", "KUSDKRW")
]
TURNS = 6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300, help="rounds published per turn")
    args = parser.parse_args()
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campus.settings")
    import django

    django.setup()
    from channels.layers import get_channel_layer

    from campus import sidecar
    from sandbox.exchange import streams

    print(machine_line(), flush=True)
    layer = get_channel_layer()
    messages = [
        (group, {"e": "depthUpdate", "s": "BTCKRW", "U": 1, "u": 2, "b": [], "a": []})
        if group.startswith("md.")
        else (group, {"e": "executionReport", "s": "BTCKRW", "x": "NEW", "q": "0.00020000"})
        for group in GROUPS
    ]

    async def one_by_one(prepared):
        for group, message in prepared:
            await layer.group_send(group, message)

    def pipelined() -> None:
        streams.publish_many(messages)

    def group_sends() -> None:
        prepared = [(group, streams._message(group, payload)) for group, payload in messages]
        sidecar.run(one_by_one(prepared))

    ways = {"pipelined": pipelined, "one_by_one": group_sends}
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    for publish in ways.values():  # warm: connections opened
        for _ in range(20):
            publish()
    for _ in range(TURNS):
        for name, publish in ways.items():
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(args.rounds):
                publish()
            figures[name].append(
                (
                    (time.process_time() - cpu) * 1000 / args.rounds,
                    (time.perf_counter() - wall) * 1000 / args.rounds,
                )
            )
    for name, rows in figures.items():
        cpu, wall = (statistics.median(column) for column in zip(*rows, strict=True))
        print(f"publish_round_{name}_cpu: {cpu:.2f} ms")
        print(f"publish_round_{name}_wall: {wall:.2f} ms")
    print(f"publish_round_groups: {len(GROUPS)} groups")


if __name__ == "__main__":
    main()
