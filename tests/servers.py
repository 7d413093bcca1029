"""Serving the whole site for tests that need real HTTP and WebSockets."""

import socket
import threading
import time
from contextlib import contextmanager
from types import SimpleNamespace


@contextmanager
def serving_the_site():
    """The whole ASGI site (campus.asgi: pages, API, WebSockets, the chain RPC proxy) on a
    loopback port, served by uvicorn in a thread, static files from the finders as runserver
    serves them. Yields `url` and `ws`, its http:// and ws:// bases."""
    import uvicorn
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from django.db import connections

    from campus.asgi import application
    from sandbox.exchange.api.dbthreads import close_kept_connections

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        ASGIStaticFilesHandler(application),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start within 10 s"
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{port}", ws=f"ws://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        close_kept_connections()  # so the test database can be dropped
        connections.close_all()
