"""The data structures under the matching engine: price levels, their queues and pending stops.

Kept apart from ``engine.py`` so that the engine reads as matching rules and this module as
bookkeeping. Nothing here knows about sides, kinds or statuses; the engine decides what a fill, a
cancel or a trigger means. Standard library only.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Hashable, Iterator
from heapq import heappop, heappush
from itertools import islice
from operator import attrgetter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.exchange.engine import Order

_order_id = attrgetter("order_id")


class RestingOrder:
    """The working state of an order on the book or waiting as a stop.

    ``remaining`` drops to 0 when the order leaves the book; an entry with nothing remaining
    that is still in a level's queue is a cancelled one, cleared lazily when it reaches the front.
    """

    __slots__ = (
        "account",
        "executed_notional",
        "executed_quantity",
        "order",
        "order_id",
        "price",
        "remaining",
        "stop_triggered",
    )

    def __init__(
        self,
        order: Order,
        remaining: int,
        executed_quantity: int = 0,
        executed_notional: int = 0,
        stop_triggered: bool = False,
    ) -> None:
        self.order = order
        self.order_id: int = order.order_id
        self.account: Hashable = order.account
        self.price: int = order.price  # type: ignore[assignment]  # resting orders are priced
        self.remaining = remaining
        self.executed_quantity = executed_quantity
        self.executed_notional = executed_notional
        self.stop_triggered = stop_triggered


class Level:
    """All resting orders at one price, in time priority (order_id), and their live quantity."""

    __slots__ = ("price", "quantity", "queue")

    def __init__(self, price: int) -> None:
        self.price = price
        self.quantity = 0
        self.queue: deque[RestingOrder] = deque()


class BookSide:
    """One side of the book. Levels are keyed by ``price * sign`` (bids +1, asks -1), so the best
    level always has the largest key: ``keys`` is ascending and the best level is ``keys[-1]``.
    """

    __slots__ = ("keys", "levels", "sign")

    def __init__(self, sign: int) -> None:
        self.sign = sign
        self.keys: list[int] = []
        self.levels: dict[int, Level] = {}

    @property
    def best_price(self) -> int | None:
        return self.keys[-1] * self.sign if self.keys else None

    def add(self, entry: RestingOrder) -> None:
        """Queue an order at its price; an order older than the level's newest (a triggered stop)
        is slotted in by order_id, so that time priority is always order_id priority."""
        key = entry.price * self.sign
        level = self.levels.get(key)
        if level is None:
            level = self.levels[key] = Level(entry.price)
            insort(self.keys, key)
        queue = level.queue
        if queue and queue[-1].order_id > entry.order_id:
            queue.insert(bisect_left(queue, entry.order_id, key=_order_id), entry)
        else:
            queue.append(entry)
        level.quantity += entry.remaining

    def withdraw(self, entry: RestingOrder) -> None:
        """Take an order off the book; its queue slot is cleared lazily."""
        key = entry.price * self.sign
        level = self.levels[key]
        level.quantity -= entry.remaining
        entry.remaining = 0
        if not level.quantity:
            del self.levels[key]
            del self.keys[bisect_left(self.keys, key)]

    def drop_best(self) -> None:
        """Remove the best level, which the caller has emptied."""
        del self.levels[self.keys.pop()]

    def levels_from_best(self) -> Iterator[Level]:
        levels = self.levels
        for key in reversed(self.keys):
            yield levels[key]

    def depth(self, limit: int) -> tuple[tuple[int, int], ...]:
        return tuple((lvl.price, lvl.quantity) for lvl in islice(self.levels_from_best(), limit))

    def entries(self) -> Iterator[RestingOrder]:
        for level in self.levels.values():
            for entry in level.queue:
                if entry.remaining:
                    yield entry


class PendingStops:
    """Stop orders waiting for a trade price, indexed by the direction that triggers them.

    A stop "on fall" triggers when a trade prints at or below its stop price, one "on rise" at or
    above it. Cancelled stops are dropped from ``entries`` at once and from the heaps lazily.
    """

    __slots__ = ("_on_fall", "_on_rise", "entries")

    def __init__(self) -> None:
        self.entries: dict[int, RestingOrder] = {}
        self._on_fall: list[tuple[int, int]] = []  # (-stop_price, order_id): highest stop first
        self._on_rise: list[tuple[int, int]] = []  # (stop_price, order_id): lowest stop first

    def __bool__(self) -> bool:
        return bool(self.entries)

    def add(self, entry: RestingOrder, stop_price: int, on_fall: bool) -> None:
        self.entries[entry.order_id] = entry
        if on_fall:
            heappush(self._on_fall, (-stop_price, entry.order_id))
        else:
            heappush(self._on_rise, (stop_price, entry.order_id))

    def remove(self, order_id: int) -> RestingOrder | None:
        return self.entries.pop(order_id, None)

    def pop_triggered(self, low: int, high: int) -> list[RestingOrder]:
        """Remove and return the stops that trades printed between ``low`` and ``high`` trigger."""
        fired: list[RestingOrder] = []
        on_fall, on_rise, entries = self._on_fall, self._on_rise, self.entries
        while on_fall and -on_fall[0][0] >= low:
            entry = entries.pop(heappop(on_fall)[1], None)
            if entry is not None:
                fired.append(entry)
        while on_rise and on_rise[0][0] <= high:
            entry = entries.pop(heappop(on_rise)[1], None)
            if entry is not None:
                fired.append(entry)
        return fired
