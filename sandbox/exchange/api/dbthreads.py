"""Long-lived threads, each keeping its database connection, for the API's work under ASGI.

Under ASGI, Django runs every synchronous request in a thread of its own, made for that request
(asgiref's ThreadSensitiveContext), and Django's connections belong to threads: each API call
opened a new PostgreSQL connection, which forks a backend, authenticates and warms its caches.
Measured on the order-placement benchmark, that was a fifth of the machine's CPU and a new server
process per order. Running the call's work on one of a few long-lived threads lets each keep its
connection, as a WSGI server's worker threads do, and bounds how many calls of one process touch
the database at once.

A connection kept here is closed when it has failed (so the next call reconnects) or has lived
`MAX_CONNECTION_AGE` seconds. Requests that do not come through ASGI (WSGI, the test client)
run inline, in the caller's thread and transaction, exactly as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import HttpRequest

T = TypeVar("T")
THREADS = 12  # most of them wait at the order desk (desk.py); each keeps one of the pool's 20
MAX_CONNECTION_AGE = 600.0

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_opened_at = threading.local()
_on_pool = threading.local()


def run(request: HttpRequest, work: Callable[[], T]) -> T:
    """`work()`, on a long-lived thread if `request` came through ASGI, else right here (also
    when already on one: the API's lane, `lane.py`, calls views there)."""
    if not isinstance(request, ASGIRequest) or getattr(_on_pool, "value", False):
        return work()
    return executor().submit(kept, work).result()


def executor() -> ThreadPoolExecutor:
    """The pool of long-lived threads (made on first use, sized by EXCHANGE_API_DB_THREADS)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            threads = getattr(settings, "EXCHANGE_API_DB_THREADS", THREADS)
            _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="exchange-api-db")
        return _pool


def kept(work: Callable[[], T]) -> T:
    """Run `work()` on this pool thread, then keep or close its connection (see below)."""
    _on_pool.value = True
    try:
        return work()
    finally:
        _tend_connection()


def _tend_connection() -> None:
    """Close this thread's connection if it failed or is old; otherwise keep it for the next
    call. (Django's own `close_if_unusable_or_obsolete` would close it every time here, since
    it goes by CONN_MAX_AGE, which is 0 for the short-lived request threads.)"""
    if connection.connection is None:
        _opened_at.value = None
        return
    if getattr(_opened_at, "value", None) is None:
        _opened_at.value = time.monotonic()
    failed = connection.errors_occurred and not connection.is_usable()
    too_old = time.monotonic() - _opened_at.value > MAX_CONNECTION_AGE
    if failed or too_old or connection.in_atomic_block:
        connection.close()
        _opened_at.value = None
    connection.errors_occurred = False


def close_kept_connections() -> None:
    """Close every connection the threads keep (tests, before their database is dropped; a
    server shutting down): one job per thread, each held at a barrier until all have one."""
    with _pool_lock:
        pool = _pool
    if pool is None:
        return
    barrier = threading.Barrier(pool._max_workers, timeout=5)

    def close() -> None:
        barrier.wait()
        connection.close()

    for job in [pool.submit(close) for _ in range(pool._max_workers)]:
        job.result()
