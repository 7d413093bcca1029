"""Live market data and user data in the shape of Binance's WebSocket streams.

Stream names are Binance's: `btckrw@trade`, `btckrw@depth` (diffs every 1000 ms),
`btckrw@depth@100ms`, `btckrw@ticker`, `btckrw@kline_1m`, and a listen key for the user data
stream. Each maps to a Channels group per offering. Publishers call `publish_on_commit` inside the
transaction that made the change, so nothing rolled back is ever announced; with Redis the layer is
channels_redis' pub/sub layer, which publishes a message once and lets every web process fan it
out to its own sockets.

Depth diffs carry Binance's update ids: `U` and `u` are the market's book versions before and
after the change (`Market.book_version`, which REST /api/v3/depth returns as `lastUpdateId`), so
a client syncs exactly as Binance documents: take a snapshot, drop events with `u` <= its
lastUpdateId, and apply the rest in order.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

# Candles streamed every second. Longer ones would mean aggregating hours of trades each second;
# a client builds them from these (or reads /api/v3/klines).
STREAMED_KLINE_INTERVALS = ("1m", "3m", "5m", "15m")
ANNOUNCEMENTS = "announcements"
STREAM = re.compile(
    r"^(?P<symbol>[a-z0-9]{2,20})@(?:(?P<kind>trade|ticker)"
    r"|depth(?P<speed>@100ms|@1000ms)?|kline_(?P<interval>[0-9]+[smhdwM]))$"
)


@dataclass(frozen=True)
class Stream:
    name: str
    symbol: str  # upper case, as markets spell it
    kind: str  # trade, depth, ticker, kline
    interval: str = ""  # klines
    every_ms: int = 0  # depth: how often diffs are sent

    def group(self, offering_id: int) -> str:
        if self.kind == ANNOUNCEMENTS:
            return announcements_group(offering_id)
        suffix = f"kline.{self.interval}" if self.kind == "kline" else self.kind
        return market_group(offering_id, self.symbol, suffix)


def parse_stream(name: str) -> Stream | None:
    """A stream name as Binance spells it, or None if it is not one we serve. One of our own:
    `announcements`, the offering's market news from running scenarios."""
    if name == ANNOUNCEMENTS:
        return Stream(name, "", ANNOUNCEMENTS)
    match = STREAM.match(name)
    if match is None:
        return None
    symbol = match["symbol"].upper()
    if match["interval"]:
        if match["interval"] not in STREAMED_KLINE_INTERVALS:
            return None
        return Stream(name, symbol, "kline", interval=match["interval"])
    if match["kind"]:
        return Stream(name, symbol, match["kind"])
    return Stream(name, symbol, "depth", every_ms=100 if match["speed"] == "@100ms" else 1000)


def user_group(*, offering_id: int, owner_id: int) -> str:
    return f"ud.{offering_id}.{owner_id}"


def announcements_group(offering_id: int) -> str:
    return f"md.{offering_id}.announcements"


def market_group(offering_id: int, symbol: str, kind: str) -> str:
    return f"md.{offering_id}.{symbol}.{kind}"


def publish_on_commit(messages: list[tuple[str, dict]]) -> None:
    """Send each (group, payload) once the current transaction commits, all in one hop to the
    channel layer (nothing is sent if it rolls back)."""
    if messages:
        transaction.on_commit(lambda: publish_many(messages))


def publish(group: str, payload: dict) -> None:
    publish_many([(group, payload)])


def publish_many(messages: list[tuple[str, dict]]) -> None:
    """Depth diffs go as data (sockets merge them); other events go as JSON text encoded once
    here, so a thousand sockets do not encode it again."""
    layer = get_channel_layer()
    if layer is None:
        return
    send = async_to_sync(_send_all)
    prepared = [(group, _message(group, p)) for group, p in messages]
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # plain synchronous code: the usual case
        send(layer, prepared)
        return
    # Synchronous code under a running event loop (a sync helper called from async code, a test
    # driving a browser): async_to_sync cannot run here, so send from a thread of its own.
    worker = threading.Thread(target=send, args=(layer, prepared))
    worker.start()
    worker.join()


async def _send_all(layer, messages: list[tuple[str, dict]]) -> None:
    for group, message in messages:  # in order: a socket sees a market's events as they happened
        await layer.group_send(group, message)


def _message(group: str, payload: dict) -> dict:
    if payload.get("e") == "depthUpdate":
        return {"type": "stream.event", "group": group, "payload": payload}
    return {
        "type": "stream.event",
        "group": group,
        "text": json.dumps(payload, separators=(",", ":")),
    }
