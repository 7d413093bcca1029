"""What a server process does once, after its startup and before it serves.

Python's cyclic garbage collector walks, in each collection of its oldest generation, every
object still alive. A server process holds some 200,000 objects from its startup (modules,
Django's app registry and URL patterns, DRF, web3), and a full collection over them, which comes
every few seconds under load, paused a web worker for 130-150 ms in the middle of serving and
the order desk for 60 ms: every request and order in hand waited that long, which set the p99
latency of bench/api.py. Those objects live as long as the process, so `settle_startup_heap`
freezes them (`gc.freeze`): later collections skip them and walk only what was made since.

`ServerStartup` does it in each web process when the ASGI server starts it (the lifespan
protocol, which uvicorn speaks), after importing the views, so that they are frozen too rather
than imported by the first request; only where the server is the process, its event loop on the
main thread: a test serving the site from a thread leaves the test process's heap as it is. The
order desk does it before it listens.
"""

from __future__ import annotations

import gc
import threading


def settle_startup_heap() -> None:
    """Collect what startup left as garbage, then freeze everything still alive."""
    gc.collect()
    gc.freeze()


def prepare_to_serve() -> None:
    """Import every view (Django would on the first request), then `settle_startup_heap`."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports the URL conf and its views)
    settle_startup_heap()


class ServerStartup:
    """ASGI middleware, outermost: `prepare_to_serve` when the server says it starts the
    application (lifespan.startup) on the process's main thread, before `inner` sees that
    message."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "lifespan":
            await self.inner(scope, receive, send)
            return

        async def receive_prepared():
            message = await receive()
            if message["type"] == "lifespan.startup" and _serving_process():
                prepare_to_serve()
            return message

        await self.inner(scope, receive_prepared, send)


def _serving_process() -> bool:
    return threading.current_thread() is threading.main_thread()
