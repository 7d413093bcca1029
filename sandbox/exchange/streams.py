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

import json
import re
import time
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

# Candles streamed every second. Longer ones would mean aggregating hours of trades each second;
# a client builds them from these (or reads /api/v3/klines).
STREAMED_KLINE_INTERVALS = ("1m", "3m", "5m", "15m")
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
        suffix = f"kline.{self.interval}" if self.kind == "kline" else self.kind
        return f"md.{offering_id}.{self.symbol}.{suffix}"


def parse_stream(name: str) -> Stream | None:
    """A stream name as Binance spells it, or None if it is not one we serve."""
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


def market_group(offering_id: int, symbol: str, kind: str) -> str:
    return f"md.{offering_id}.{symbol}.{kind}"


def publish_on_commit(group: str, payload: dict) -> None:
    """Send `payload` to the group's sockets once the current transaction commits."""
    transaction.on_commit(lambda: publish(group, payload))


def publish(group: str, payload: dict) -> None:
    """Send to every socket in the group. Depth diffs go as data (sockets merge them); other
    events go as JSON text encoded once here, so a thousand sockets do not encode it again."""
    layer = get_channel_layer()
    if layer is None:
        return
    if payload.get("e") == "depthUpdate":
        message = {"type": "stream.event", "group": group, "payload": payload}
    else:
        interval = payload["k"]["i"] if payload.get("e") == "kline" else ""
        text = json.dumps(payload, separators=(",", ":"))
        message = {
            "type": "stream.event",
            "group": group,
            "text": text,
            "key": [payload.get("e"), payload.get("s"), interval],
        }
    async_to_sync(layer.group_send)(group, message)


def now_ms() -> int:
    return int(time.time() * 1000)
