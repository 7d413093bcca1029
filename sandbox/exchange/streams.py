"""Live market data and user data in the shape of Binance's WebSocket streams.

Stream names are Binance's: `btckrw@trade`, `btckrw@depth` (diffs every 1000 ms),
`btckrw@depth@100ms`, the partial book `btckrw@depth5` / `@depth10` / `@depth20` (each optionally
`@100ms`), `btckrw@ticker`, `btckrw@kline_<interval>` for every interval /api/v3/klines accepts,
and a listen key for the user data stream. Each maps to a Channels group per offering (a partial
book to its market's diff group: each web process builds it from the diffs, see stream_books.py).
Publishers call `publish_on_commit` inside the transaction that made the change, so nothing
rolled back is ever announced; with Redis the layer is channels_redis' pub/sub layer, which
publishes a message once and lets every web process fan it out to its own sockets.

Depth diffs carry Binance's update ids: `U` and `u` are the market's book versions before and
after the change (`Market.book_version`, which REST /api/v3/depth returns as `lastUpdateId`), so
a client syncs exactly as Binance documents: take a snapshot, drop events with `u` <= its
lastUpdateId, and apply the rest in order.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import re
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.db import transaction

from campus import sidecar
from sandbox.exchange.selectors import KLINE_INTERVALS

# Candles streamed every second: every interval /api/v3/klines serves. The beat folds each
# second's new trades into all of them at once (stream_candles.py), so more intervals cost only
# their encoding, and only for markets that traded.
STREAMED_KLINE_INTERVALS = KLINE_INTERVALS
log = logging.getLogger(__name__)
ANNOUNCEMENTS = "announcements"
STREAM = re.compile(
    r"^(?P<symbol>[a-z0-9]{2,20})@(?:(?P<kind>trade|ticker)"
    r"|depth(?P<levels>5|10|20)?(?P<speed>@100ms|@1000ms)?|kline_(?P<interval>[0-9]+[smhdwM]))$"
)


@dataclass(frozen=True)
class Stream:
    name: str
    symbol: str  # upper case, as markets spell it
    kind: str  # trade, depth (diffs), depth_partial (top levels), ticker, kline
    interval: str = ""  # klines
    every_ms: int = 0  # depth, depth_partial: how often they are sent
    levels: int = 0  # depth_partial: how many levels a side

    def group(self, offering_id: int) -> str:
        if self.kind == ANNOUNCEMENTS:
            return announcements_group(offering_id)
        # a partial book is built from the market's diffs: its group is theirs
        suffix = {"kline": f"kline.{self.interval}", "depth_partial": "depth"}.get(
            self.kind, self.kind
        )
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
    every_ms = 100 if match["speed"] == "@100ms" else 1000
    if match["levels"]:
        return Stream(name, symbol, "depth_partial", every_ms=every_ms, levels=int(match["levels"]))
    return Stream(name, symbol, "depth", every_ms=every_ms)


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
        transaction.on_commit(lambda: publish_many(messages), robust=True)


def publish(group: str, payload: dict) -> None:
    publish_many([(group, payload)])


_handed = threading.local()


@contextmanager
def handed_to(publisher: Callable[[list[tuple[str, dict]]], None]) -> Iterator[None]:
    """Within this block, on this thread, `publish_many` hands its messages to `publisher`
    instead of sending them: the order desk holds a round's events back until it has answered
    the round's orders (deskprocess.py), then publishes them together (each group's in the
    order they came)."""
    outer = getattr(_handed, "publisher", None)
    _handed.publisher = publisher
    try:
        yield
    finally:
        _handed.publisher = outer


def publish_many(messages: list[tuple[str, dict]], *, wait: bool = True) -> None:
    """Depth diffs go as data (sockets merge them); other events go as JSON text encoded once
    here, so a thousand sockets do not encode it again. A group's several events go as one
    layer message (`stream.events`, which the fan-out hands on one by one, in order): with
    Redis each message sent costs round trips, and a batch of orders announces a few events to
    each owner's group. Best effort, as campus.live is: a layer that is down or slow is logged,
    and never turns a committed order into an error.

    Without `wait` it returns once the messages are on their way, not yet in the layer: the
    order desk publishes a round's events so, and places its next round while Redis answers
    (waiting for that answer took a tenth of its time). They still go out after everything this
    process published before them this way, one sending after another (`_send_in_turn`). Past
    `MAX_BEHIND` sendings on their way it waits for the oldest: a layer that is down slows the
    caller rather than filling its memory. `flush` waits for them all. Not waiting is for one
    thread of a process (the order desk's loop): the sendings are chained in a list of its own."""
    publisher = getattr(_handed, "publisher", None)
    if publisher is not None:
        publisher(messages)
        return
    if not messages:
        return
    try:
        if wait:
            _send_to_layer(messages)
        else:
            _send_behind(messages)
    except Exception:  # best effort: what was committed stands; a client resyncs from REST
        log.warning("could not publish %d stream messages", len(messages), exc_info=True)


MAX_BEHIND = 32  # sendings `publish_many(wait=False)` may have on their way at once
_behind: deque[concurrent.futures.Future] = deque()


def flush(timeout: float = sidecar.TIMEOUT_S) -> None:
    """Wait until what `publish_many(wait=False)` sent is in the layer, or has failed (logged),
    at most `timeout` seconds for each: before a process stops, say."""
    while _behind:
        _wait_for(_behind.popleft(), timeout)


def _send_behind(messages: list[tuple[str, dict]]) -> None:
    prepared = _prepared(messages)
    if prepared is None:
        return
    layer, groups = prepared
    sending = sidecar.submit(_send_in_turn(_behind[-1] if _behind else None, layer, groups))
    sending.add_done_callback(_log_failure)
    _behind.append(sending)
    while _behind and (_behind[0].done() or len(_behind) > MAX_BEHIND):
        _wait_for(_behind.popleft(), sidecar.TIMEOUT_S)


async def _send_in_turn(before: concurrent.futures.Future | None, layer, messages) -> None:
    """`_send_all`, once the sending `before` it has ended (however: its own callback logs a
    failure): each group's messages then reach the layer in the order they were published,
    whatever shard each group is on."""
    if before is not None and not before.done():
        await asyncio.wait([asyncio.wrap_future(before)])
    await _send_all(layer, messages)


def _wait_for(sending: concurrent.futures.Future, timeout: float) -> None:
    if not concurrent.futures.wait([sending], timeout=timeout).done:
        sending.cancel()  # as sidecar.run gives up: so it cannot go out after what follows
        log.warning("gave up publishing stream messages after %.0f s", timeout)


def _log_failure(sent: concurrent.futures.Future) -> None:
    if not sent.cancelled() and sent.exception() is not None:
        log.warning("could not publish stream messages", exc_info=sent.exception())


def _send_to_layer(messages: list[tuple[str, dict]]) -> None:
    prepared = _prepared(messages)
    if prepared is not None:
        sidecar.run(_send_all(*prepared))  # a process-wide loop: its connections are kept


def _prepared(messages: list[tuple[str, dict]]) -> tuple[object, list[tuple[str, dict]]] | None:
    """The layer, and one message per group (each group's events merged in order); None if
    there is no layer."""
    layer = get_channel_layer()
    if layer is None:
        return None
    by_group: dict[str, list[dict]] = {}
    for group, payload in messages:
        by_group.setdefault(group, []).append(_message(group, payload))
    return layer, [
        (group, events[0] if len(events) == 1 else _batch(group, events))
        for group, events in by_group.items()
    ]


async def _send_all(layer, messages: list[tuple[str, dict]]) -> None:
    """One message per group (`publish_many` merged each group's events, in the order they
    happened). With channels_redis's pub/sub layer (production) they go as one pipeline of
    PUBLISH commands per Redis shard: a round of the order desk announces to a dozen groups or
    more, and `group_send`, one command at a time, cost each its own round trip and about a
    tenth of a millisecond of CPU (`bench/publish.py`). Any other layer: `group_send`, one
    message after another."""
    if isinstance(layer, RedisPubSubChannelLayer):
        await _publish_in_pipelines(layer, messages)
        return
    for group, message in messages:
        await layer.group_send(group, message)


async def _publish_in_pipelines(layer: RedisPubSubChannelLayer, messages) -> None:
    """What `group_send` does for each message in channels_redis 4.3 (pinned): PUBLISH it,
    serialized by the layer, to its group's channel, on that channel's shard, holding the
    shard's lock; here each shard's PUBLISHes go out together. Subscribers get the same
    messages (tests/sandbox/exchange/test_stream_publishing.py receives them through the
    layer). As with `group_send`, a connection error may make redis-py send them again."""
    loop_layer = layer._get_layer()  # this event loop's, as group_send would take
    by_shard: dict = {}
    for group, message in messages:
        channel = loop_layer._get_group_channel_name(group)
        shard = loop_layer._get_shard(channel)
        by_shard.setdefault(shard, []).append((channel, layer.serialize(message)))
    for shard, published in by_shard.items():
        async with shard._lock:
            shard._ensure_redis()
            pipe = shard._redis.pipeline(transaction=False)
            for channel, data in published:
                pipe.publish(channel, data)
            await pipe.execute()


def _batch(group: str, events: list[dict]) -> dict:
    return {"type": "stream.events", "group": group, "events": events}


def _message(group: str, payload: dict) -> dict:
    if payload.get("e") == "depthUpdate":
        return {"type": "stream.event", "group": group, "payload": payload}
    return {
        "type": "stream.event",
        "group": group,
        "text": json.dumps(payload, separators=(",", ":")),
    }
