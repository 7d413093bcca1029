"""Partial book depth (`<symbol>@depth5|10|20[@100ms]`), built by each web process from its diffs.

A partial depth event is the top N levels of a side as they are now. Reading them where the book
changes would cost the matching path a query per change, for streams nobody may be watching. So
the first socket in a web process that asks for a market's partial book makes the process keep a
mirror of that book: a snapshot read once, then the market's `@depth` diffs, which reach the
process through the one channel-layer subscription it holds per group (fanout.py), applied in
update-id order. Each socket's flush (every 100 ms) sends the top N when the book changed since
its last send; the text of (levels, version) is encoded once per process, whoever asks. A market
nobody in a process watches costs that process nothing; a book that did not change sends nothing.

Diffs come one per book version with no gaps (announce.py), but publishers in different
processes can deliver them out of order: a gap waits, and one that lasts `RESYNC_AFTER_MS` reads
a fresh snapshot.
"""

from __future__ import annotations

import asyncio
import heapq
import json
from decimal import Decimal

from channels.db import database_sync_to_async

from sandbox.exchange import selectors
from sandbox.exchange.fanout import fanout
from sandbox.exchange.formats import amount
from sandbox.exchange.models import Market
from sandbox.exchange.selectors import now_ms
from sandbox.exchange.streams import Stream, market_group

RESYNC_AFTER_MS = 3000
SNAPSHOT_LEVELS = 5000  # as deep as REST /api/v3/depth goes: levels below the top 20 move up
Level = tuple[str, str]  # price and quantity, as the streams spell them


class BookMirror:
    """One market's book as this process last heard it: `version` is its book version (None until
    the snapshot is in)."""

    def __init__(self, offering_id: int, symbol: str) -> None:
        self.offering_id, self.symbol = offering_id, symbol
        self.group = market_group(offering_id, symbol, "depth")
        self.version: int | None = None
        self.sides: dict[str, dict[Decimal, Level]] = {"b": {}, "a": {}}
        self.pending: list[dict] = []
        self.gap_since: int | None = None
        self.watchers = 0
        self.loading: asyncio.Task | None = None
        self._texts: dict[int, tuple[int, str]] = {}  # levels -> (version, JSON text)

    async def stream_message(self, group: str, message: dict) -> None:
        """A diff from the fan-out (the mirror listens as a socket would)."""
        if "payload" in message:
            self.pending.append(message["payload"])
            self.apply_pending(now_ms())

    def load(self, version: int, bids: list[Level], asks: list[Level]) -> None:
        """Start (again) from a snapshot; diffs it already contains are dropped."""
        self.version = version
        self.sides = {"b": self._levels(bids), "a": self._levels(asks)}
        self.gap_since = None
        self.apply_pending(now_ms())

    def apply_pending(self, at_ms: int) -> None:
        """Apply the diffs that follow the book's version, in order; stop at a gap."""
        if self.version is None:
            return
        self.pending.sort(key=lambda event: event["U"])
        while self.pending:
            event = self.pending[0]
            if event["u"] <= self.version:
                self.pending.pop(0)
                continue
            if event["U"] > self.version + 1:
                self.gap_since = self.gap_since or at_ms
                return
            self.pending.pop(0)
            for side in ("b", "a"):
                levels = self.sides[side]
                for price, quantity in event[side]:
                    if Decimal(quantity):
                        levels[Decimal(price)] = (price, quantity)
                    else:  # quantity 0: the level is gone
                        levels.pop(Decimal(price), None)
            self.version = event["u"]
        self.gap_since = None

    def needs_snapshot(self, at_ms: int) -> bool:
        return self.gap_since is not None and at_ms - self.gap_since >= RESYNC_AFTER_MS

    def text(self, levels: int) -> str:
        """`{"lastUpdateId": N, "bids": [...], "asks": [...]}`, the top `levels` of each side,
        encoded once per version."""
        cached = self._texts.get(levels)
        if cached is not None and cached[0] == self.version:
            return cached[1]
        bids = heapq.nlargest(levels, self.sides["b"])
        asks = heapq.nsmallest(levels, self.sides["a"])
        payload = {
            "lastUpdateId": self.version,
            "bids": [list(self.sides["b"][price]) for price in bids],
            "asks": [list(self.sides["a"][price]) for price in asks],
        }
        text = json.dumps(payload, separators=(",", ":"))
        self._texts[levels] = (self.version, text)
        return text

    @staticmethod
    def _levels(levels) -> dict[Decimal, Level]:
        return {Decimal(price): (price, quantity) for price, quantity in levels}


class BookMirrors:
    """This process's mirrors, one per watched market, kept while a socket watches it."""

    def __init__(self) -> None:
        self.mirrors: dict[tuple[int, str], BookMirror] = {}

    def get(self, offering_id: int, symbol: str) -> BookMirror | None:
        return self.mirrors.get((offering_id, symbol))

    async def watch(self, offering_id: int, symbol: str) -> BookMirror:
        mirror = self.mirrors.get((offering_id, symbol))
        if mirror is None:
            mirror = self.mirrors[(offering_id, symbol)] = BookMirror(offering_id, symbol)
            # subscribe first, so no diff after the snapshot is missed
            await fanout().join(mirror.group, mirror)
            resync(mirror)
        mirror.watchers += 1
        return mirror

    async def unwatch(self, offering_id: int, symbol: str) -> None:
        mirror = self.mirrors.get((offering_id, symbol))
        if mirror is None:
            return
        mirror.watchers -= 1
        if mirror.watchers <= 0:
            del self.mirrors[(offering_id, symbol)]
            if mirror.loading is not None:
                mirror.loading.cancel()
            await fanout().leave(mirror.group, mirror)


def resync(mirror: BookMirror) -> None:
    """Read a snapshot in the background (unless one is being read)."""
    if mirror.loading is None or mirror.loading.done():
        mirror.loading = asyncio.create_task(_load(mirror))


async def _load(mirror: BookMirror) -> None:
    while True:
        snapshot = await _read_book(mirror.offering_id, mirror.symbol)
        if snapshot is not None:
            mirror.load(*snapshot)
            return
        await asyncio.sleep(0.2)  # the book kept changing under the read: try again shortly


@database_sync_to_async
def _read_book(offering_id: int, symbol: str) -> tuple[int, list, list] | None:
    """The book and its version, or None if it changed during the read: the version before and
    after the levels must agree, else the levels may be of a later version than their label."""
    market = selectors.market_by_symbol(offering_id=offering_id, symbol=symbol)
    book = selectors.depth(market, limit=SNAPSHOT_LEVELS)
    after = Market.objects.filter(pk=market.pk).values_list("book_version", flat=True).get()
    if after != market.book_version:
        return None
    return (
        market.book_version,
        [(amount(p), amount(q)) for p, q in book["bids"]],
        [(amount(p), amount(q)) for p, q in book["asks"]],
    )


class PartialBook:
    """One socket's partial depth stream: when it is next due, and the book version it last sent."""

    def __init__(self, stream: Stream, next_at: int) -> None:
        self.stream, self.next_at, self.sent = stream, next_at, None

    def due(self, offering_id: int, at_ms: int) -> str | None:
        """The text to send now, if the stream is due and the book changed since its last send."""
        if at_ms < self.next_at:
            return None
        self.next_at = at_ms + self.stream.every_ms
        mirror = book_mirrors().get(offering_id, self.stream.symbol)
        if mirror is None or mirror.version is None:
            return None
        if mirror.needs_snapshot(at_ms):
            resync(mirror)
        if mirror.version == self.sent:
            return None
        self.sent = mirror.version
        return mirror.text(self.stream.levels)


_registries: dict[asyncio.AbstractEventLoop, BookMirrors] = {}


def book_mirrors() -> BookMirrors:
    """This event loop's mirrors (one set per process in an ASGI server)."""
    loop = asyncio.get_running_loop()
    found = _registries.get(loop)
    if found is None:
        found = _registries[loop] = BookMirrors()
    return found
