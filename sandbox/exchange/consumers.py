"""The WebSocket side of the streams, served as Binance serves them:

    /o/<offering>/ws/<stream>[/<stream>...]     raw: each message is the event itself
    /o/<offering>/stream?streams=<a>/<b>        combined: {"stream": name, "data": event}
    /ws/<listenKey>                             the user data stream of the key's owner

and, on any of them, Binance's live requests: {"method": "SUBSCRIBE" | "UNSUBSCRIBE" |
"LIST_SUBSCRIPTIONS", "params": [...], "id": n}.

Depth diffs are collected and sent every 1000 ms (`@depth`) or 100 ms (`@depth@100ms`), merged in
update-id order. Diffs published by different processes can arrive out of order; a diff after a
gap waits one more interval for the missing one, so a client sees `U` = previous `u` + 1.
Partial books (`@depth5`, `@depth10`, `@depth20`) are read from this process's mirror of the book
(stream_books.py) at their speed, and sent when it changed since the socket's last one.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from sandbox.exchange import listenkeys
from sandbox.exchange.fanout import fanout
from sandbox.exchange.selectors import now_ms
from sandbox.exchange.stream_books import PartialBook, book_mirrors
from sandbox.exchange.streams import Stream, parse_stream, user_group

MAX_STREAMS = 200
FLUSH_EVERY_S = 0.1


class StreamConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        route = self.scope["url_route"]["kwargs"]
        self.combined = route.get("combined", False)
        self.subscribed: dict[str, Stream] = {}
        self.stream_of_group: dict[str, str] = {}  # combined streams' names, by group
        self.groups_joined: set[str] = set()
        self.depth = DepthBuffers()
        self.partials: dict[str, PartialBook] = {}
        self.flusher: asyncio.Task | None = None
        self.offering_id, self.symbols = None, set()
        names = self._requested_names(route)
        if "slug" in route:
            found = await _offering_markets(route["slug"])
            if found is None:
                await self.close(code=4404)
                return
            self.offering_id, self.symbols = found
        elif names and (owner := await _listen_key_owner(names[0])):
            self.offering_id, owner_id = owner
            await self.accept()
            await self._join(user_group(offering_id=self.offering_id, owner_id=owner_id))
            return
        else:
            await self.close(code=4404)
            return
        await self.accept()
        for name in names:
            await self._subscribe(name)
        self.flusher = asyncio.create_task(self._flush_depth_forever())

    async def disconnect(self, code: int) -> None:
        if getattr(self, "flusher", None) is not None:
            self.flusher.cancel()
        for group in getattr(self, "groups_joined", set()):
            await fanout().leave(group, self)
        for partial in getattr(self, "partials", {}).values():
            await book_mirrors().unwatch(self.offering_id, partial.stream.symbol)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            request = json.loads(text_data or "")
            method, params, request_id = request["method"], request.get("params", []), request["id"]
        except (ValueError, KeyError, TypeError):
            await self._send(
                {
                    "error": {
                        "code": 2,
                        "msg": "Invalid request: expected JSON with method and id.",
                    },
                    "id": None,
                }
            )
            return
        if method == "LIST_SUBSCRIPTIONS":
            await self._send({"result": list(self.subscribed), "id": request_id})
        elif method in ("SUBSCRIBE", "UNSUBSCRIBE") and isinstance(params, list):
            problems = [
                await (self._subscribe if method == "SUBSCRIBE" else self._unsubscribe)(str(p))
                for p in params
            ]
            problem = next((p for p in problems if p), None)
            if problem:
                await self._send({"error": {"code": 2, "msg": problem}, "id": request_id})
            else:
                await self._send({"result": None, "id": request_id})
        else:
            await self._send(
                {
                    "error": {"code": 2, "msg": f"Invalid request: unknown method {method}."},
                    "id": request_id,
                }
            )

    async def stream_message(self, group: str, message: dict) -> None:
        """From this process's fan-out (see fanout.py): one of our groups' messages."""
        if "payload" in message:  # a depth diff, sent with the next merged update
            self.depth.add(message["payload"])
            return
        await self.send(
            text_data=self._wrapped(self.stream_of_group.get(group, ""), message["text"])
        )

    # --- inside ---------------------------------------------------------------------------------
    def _requested_names(self, route: dict) -> list[str]:
        if self.combined:
            query = parse_qs(self.scope.get("query_string", b"").decode())
            raw = (query.get("streams") or [""])[0]
        else:
            raw = route.get("streams", "")
        return [name for name in raw.split("/") if name]

    async def _subscribe(self, name: str) -> str | None:
        stream = parse_stream(name)
        if stream is None or (stream.symbol not in self.symbols and stream.kind != "announcements"):
            return f"Invalid request: unknown stream {name}."
        if len(self.subscribed) >= MAX_STREAMS and name not in self.subscribed:
            return f"Invalid request: at most {MAX_STREAMS} streams per connection."
        if stream.kind == "depth_partial":
            if name not in self.partials:
                await book_mirrors().watch(self.offering_id, stream.symbol)
                self.partials[name] = PartialBook(stream, now_ms() + stream.every_ms)
            self.subscribed[name] = stream
            return None
        self.subscribed[name] = stream
        self.stream_of_group[stream.group(self.offering_id)] = name
        if stream.kind == "depth":
            self.depth.watch(stream)
        await self._join(stream.group(self.offering_id))
        return None

    async def _unsubscribe(self, name: str) -> str | None:
        stream = self.subscribed.pop(name, None)
        if stream is None:
            return None
        if self.partials.pop(name, None) is not None:
            await book_mirrors().unwatch(self.offering_id, stream.symbol)
            return None
        self.depth.unwatch(stream)
        group = stream.group(self.offering_id)
        if not any(
            s.group(self.offering_id) == group and s.kind != "depth_partial"
            for s in self.subscribed.values()
        ):
            self.groups_joined.discard(group)
            self.stream_of_group.pop(group, None)
            await fanout().leave(group, self)
        return None

    async def _join(self, group: str) -> None:
        if group not in self.groups_joined:
            self.groups_joined.add(group)
            await fanout().join(group, self)

    async def _flush_depth_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY_S)
            at = now_ms()
            for stream, event in self.depth.due(at):
                await self._deliver(stream.name, event)
            for name, partial in list(self.partials.items()):
                text = partial.due(self.offering_id, at)
                if text is not None:
                    await self.send(text_data=self._wrapped(name, text))

    def _wrapped(self, stream: str, text: str) -> str:
        return f'{{"stream":"{stream}","data":{text}}}' if self.combined else text

    async def _deliver(self, stream: str | None, payload: dict) -> None:
        if self.combined and stream:
            await self._send({"stream": stream, "data": payload})
        else:
            await self._send(payload)

    async def _send(self, body: dict) -> None:
        await self.send(text_data=json.dumps(body, separators=(",", ":")))


class DepthBuffers:
    """Depth diffs waiting for their stream's next send, merged in update-id order."""

    def __init__(self) -> None:
        self.pending: dict[str, list[dict]] = {}  # symbol -> diffs not yet sent to every stream
        self.cursor: dict[str, int] = {}  # stream name -> last u sent
        self.next_at: dict[str, int] = {}
        self.streams: dict[str, Stream] = {}

    def watch(self, stream: Stream) -> None:
        self.streams[stream.name] = stream
        self.next_at.setdefault(stream.name, now_ms() + stream.every_ms)

    def unwatch(self, stream: Stream) -> None:
        for table in (self.streams, self.cursor, self.next_at):
            table.pop(stream.name, None)

    def add(self, event: dict) -> None:
        self.pending.setdefault(event["s"], []).append(event)

    def due(self, at_ms: int) -> list[tuple[Stream, dict]]:
        ready = []
        for name, stream in list(self.streams.items()):
            if at_ms < self.next_at[name]:
                continue
            self.next_at[name] = at_ms + stream.every_ms
            merged = self._merge(name, self.pending.get(stream.symbol, []), at_ms)
            if merged is not None:
                ready.append((stream, merged))
        self._forget_sent()
        return ready

    def _merge(self, name: str, events: list[dict], at_ms: int) -> dict | None:
        """Diffs after this stream's cursor, contiguous from it, merged into one event."""
        after = sorted(
            (e for e in events if e["u"] > self.cursor.get(name, 0)), key=lambda e: e["U"]
        )
        run: list[dict] = []
        for event in after:
            expected = run[-1]["u"] + 1 if run else self.cursor.get(name, event["U"] - 1) + 1
            if event["U"] > expected and (
                run or at_ms - event["E"] < 2 * self.streams[name].every_ms
            ):
                break  # a gap: wait for the missing diff (at most one more interval)
            run.append(event)
        if not run:
            return None
        self.cursor[name] = run[-1]["u"]
        bids, asks = {}, {}
        for event in run:
            bids.update(dict((p, q) for p, q in event["b"]))
            asks.update(dict((p, q) for p, q in event["a"]))
        return {
            "e": "depthUpdate",
            "E": at_ms,
            "s": run[0]["s"],
            "U": run[0]["U"],
            "u": run[-1]["u"],
            "b": [[p, q] for p, q in bids.items()],
            "a": [[p, q] for p, q in asks.items()],
        }

    def _forget_sent(self) -> None:
        for symbol, events in self.pending.items():
            cursors = [self.cursor.get(n, 0) for n, s in self.streams.items() if s.symbol == symbol]
            floor = min(cursors) if cursors else float("inf")
            self.pending[symbol] = [e for e in events if e["u"] > floor]


@database_sync_to_async
def _offering_markets(slug: str) -> tuple[int, set[str]] | None:
    from courses.api import Offering
    from sandbox.exchange.models import Market

    offering = Offering.objects.filter(slug=slug).only("pk").first()
    if offering is None:
        return None
    return offering.pk, set(
        Market.objects.filter(offering=offering).values_list("symbol", flat=True)
    )


@database_sync_to_async
def _listen_key_owner(key: str) -> tuple[int, int] | None:
    return listenkeys.owner_of(key)
