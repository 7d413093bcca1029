"""One event loop per process, on a thread of its own, for synchronous code that must await.

Services announce what they did to the channel layer after commit, from synchronous code.
`async_to_sync` there, outside any event loop, starts a new thread with a new event loop for every
call, and the Redis channel layer opens a connection per loop: each order placed paid for a
thread, a loop and a Redis connection to send one message. `run(...)` sends the coroutine to a
loop that lives as long as the process, so its connections are kept.

The caller of `run` waits for the result, so a message is in the layer when `run` returns (tests
and the order of a market's events rely on that). `submit` starts the coroutine and returns its
future without waiting (the order desk publishes its rounds' events so). After a fork (Celery's
prefork pool) the child starts its own loop on first use. Calling `run` from the sidecar's own
thread would wait for itself, so it is refused.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")
TIMEOUT_S = 10.0

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def run(awaitable: Awaitable[T], *, timeout: float = TIMEOUT_S) -> T:
    """Await `awaitable` on the process's sidecar loop and return its result (or raise)."""
    if _current_loop() is _running_loop():  # it would wait for itself
        raise RuntimeError("sidecar.run() called from the sidecar loop itself")
    future = submit(awaitable)
    try:
        return future.result(timeout)
    except TimeoutError:
        future.cancel()  # so it cannot finish later, out of order with what follows
        raise


def submit(awaitable: Awaitable[T]) -> concurrent.futures.Future[T]:
    """Start `awaitable` on the process's sidecar loop without waiting for it; the future
    returned says how it ended. The loop starts what one thread submits in the order it was
    submitted (and after what it `run` before). From the loop itself, await instead."""
    loop = _running_loop()
    if _current_loop() is loop:
        raise RuntimeError("sidecar.submit() called from the sidecar loop itself")
    return asyncio.run_coroutine_threadsafe(_wrap(awaitable), loop)


async def _wrap(awaitable: Awaitable[T]) -> T:
    return await awaitable


def _current_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _running_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            started = threading.Event()
            threading.Thread(
                target=_serve, args=(_loop, started), name="sidecar-loop", daemon=True
            ).start()
            started.wait()
        return _loop


def _serve(loop: asyncio.AbstractEventLoop, started: threading.Event) -> None:
    asyncio.set_event_loop(loop)
    loop.call_soon(started.set)
    loop.run_forever()


def _forget_after_fork() -> None:
    """In a forked child the loop's thread does not exist: start afresh on first use."""
    global _loop, _lock
    _loop = None
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
