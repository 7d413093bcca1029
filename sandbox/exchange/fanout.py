"""One channel-layer subscription per process and group, fanned out to that process's sockets.

Channels' own groups give every socket its own channel: a message to a group of a thousand
sockets is received, decoded and dispatched a thousand times. Market data is the same bytes for
everyone, so each process joins a group once, through one channel of its own (`Fanout`), decodes
each message once, and hands it to its local sockets directly. The layer is still the channel
layer (Redis pub/sub in production): processes scale out as before.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from channels.layers import get_channel_layer

log = logging.getLogger(__name__)


class Listener(Protocol):
    async def stream_message(self, group: str, message: dict) -> None: ...


class Fanout:
    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.channel: str | None = None
        self.listeners: dict[str, set[Listener]] = {}
        self.receiving: asyncio.Task | None = None
        self.lock = asyncio.Lock()

    async def join(self, group: str, listener: Listener) -> None:
        async with self.lock:
            if self.channel is None:
                self.channel = await self.layer.new_channel("fanout.")
                self.receiving = asyncio.create_task(self._receive_forever())
            members = self.listeners.setdefault(group, set())
            if not members:
                await self.layer.group_add(group, self.channel)
            members.add(listener)

    async def leave(self, group: str, listener: Listener) -> None:
        async with self.lock:
            members = self.listeners.get(group)
            if not members or listener not in members:
                return
            members.discard(listener)
            if not members:
                del self.listeners[group]
                await self.layer.group_discard(group, self.channel)

    async def _receive_forever(self) -> None:
        while True:
            message = await self.layer.receive(self.channel)
            group = message.get("group", "")
            # a group's events of one publish come as one message (streams.publish_many)
            for event in message.get("events", (message,)):
                for listener in list(self.listeners.get(group, ())):
                    try:
                        await listener.stream_message(group, event)
                    except Exception:  # one broken socket must not stop the others' stream
                        log.exception("stream delivery to one socket failed")


_fanouts: dict[asyncio.AbstractEventLoop, Fanout] = {}


def fanout() -> Fanout:
    """This event loop's fan-out (one per process in an ASGI server)."""
    loop = asyncio.get_running_loop()
    found = _fanouts.get(loop)
    if found is None:
        found = _fanouts[loop] = Fanout()
    return found
