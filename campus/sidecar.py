"""One event loop per process, on a thread of its own, for synchronous code that must await.

Services announce what they did to the channel layer after commit, from synchronous code.
`async_to_sync` there, outside any event loop, starts a new thread with a new event loop for every
call, and the Redis channel layer opens a connection per loop: each order placed paid for a
thread, a loop and a Redis connection to send one message. The sidecar loop lives as long as the
process, so its connections are kept.

Work runs there one piece at a time, in the order it was handed over, whichever way it was:
- `run(...)`: the caller waits for the result, so a message is in the layer when `run` returns
  (tests rely on that); it waits behind what was posted before it, which is short unless the
  layer is slow, and then its timeout says so;
- `post(...)`: the caller does not wait (the order desk, which would otherwise hold the next
  batch of orders back while its messages go out); what fails is logged.

So what a process publishes goes out in the order it was published (a socket sees a market's
events as they happened). After a fork (Celery's prefork pool) the child starts its own loop on
first use. Calling `run` from the sidecar's own thread would wait for itself, so it is refused.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
import time
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")
TIMEOUT_S = 10.0
MAX_POSTED = 10_000  # waiting to run; past this a post is dropped (and logged), not queued
log = logging.getLogger(__name__)


class _Sidecar:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.queue: asyncio.Queue | None = None  # made on the loop
        self.waiting = 0  # posted and not yet run (read and written under _lock)
        started = threading.Event()
        threading.Thread(
            target=self._serve, args=(started,), name="sidecar-loop", daemon=True
        ).start()
        started.wait()

    def _serve(self, started: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.queue = asyncio.Queue()
        self.loop.create_task(self._work())
        self.loop.call_soon(started.set)
        self.loop.run_forever()

    async def _work(self) -> None:
        while True:
            awaitable, future, deadline = await self.queue.get()
            if future is None:
                with _lock:
                    self.waiting -= 1
                deadline = time.monotonic() + TIMEOUT_S  # a post's time runs from its start
            elif not future.set_running_or_notify_cancel():  # its caller gave up waiting
                _close(awaitable)
                continue
            try:  # never past the caller's deadline: it cannot finish after the caller gave up
                result = await asyncio.wait_for(awaitable, max(0.0, deadline - time.monotonic()))
            except BaseException as error:  # whatever it raised, the next one still runs
                if asyncio.current_task().cancelling():  # the loop itself is going away
                    raise
                if future is None:
                    log.warning("a task posted to the sidecar loop failed", exc_info=error)
                else:
                    future.set_exception(error)
            else:
                if future is not None:
                    future.set_result(result)


def run(awaitable: Awaitable[T], *, timeout: float = TIMEOUT_S) -> T:
    """Await `awaitable` on the process's sidecar loop, after what was handed to it before, and
    return its result (or raise). `timeout` counts from now, time in the queue included; past
    it, it is cancelled (or never started), so it cannot finish later."""
    sidecar = _sidecar()
    if _current_loop() is sidecar.loop:
        _close(awaitable)
        raise RuntimeError("sidecar.run() called from the sidecar loop itself")
    future: concurrent.futures.Future = concurrent.futures.Future()
    deadline = time.monotonic() + timeout
    sidecar.loop.call_soon_threadsafe(sidecar.queue.put_nowait, (awaitable, future, deadline))
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError:
        future.cancel()  # if it has not started, it never will; if it has, its deadline ends it
        raise TimeoutError(f"the sidecar loop did not finish within {timeout} s") from None


def post(awaitable: Awaitable[object]) -> None:
    """Run `awaitable` on the sidecar loop after what was handed to it before, without waiting
    for it (at most TIMEOUT_S; a failure is logged). Past MAX_POSTED waiting, it is dropped."""
    sidecar = _sidecar()
    with _lock:
        full = sidecar.waiting >= MAX_POSTED
        if not full:
            sidecar.waiting += 1
    if full:
        _close(awaitable)
        log.warning("the sidecar loop has %d tasks waiting: one more was dropped", MAX_POSTED)
        return
    sidecar.loop.call_soon_threadsafe(sidecar.queue.put_nowait, (awaitable, None, None))


def _close(awaitable) -> None:
    if asyncio.iscoroutine(awaitable):
        awaitable.close()


def _current_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


_lock = threading.Lock()
_instance: _Sidecar | None = None


def _sidecar() -> _Sidecar:
    global _instance
    with _lock:
        if _instance is None:
            _instance = _Sidecar()
        return _instance


def _forget_after_fork() -> None:
    """In a forked child the loop's thread does not exist: start afresh on first use."""
    global _instance, _lock
    _instance = None
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
