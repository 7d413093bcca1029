import os
import socket
import threading
import time
from types import SimpleNamespace

import pytest
from django.conf import settings

REQUIRE_SERVICES = os.environ.get("BLOCKCAMPUS_REQUIRE_SERVICES") == "1"

# Fixtures more than one folder uses: the chain host and students' chains (chain and browser tests).
pytest_plugins = ["tests.sandbox.chain.fixtures"]


def pytest_sessionstart(session):
    """In CI the suite must run on the real PostgreSQL and Redis: refuse to fall back silently."""
    if not REQUIRE_SERVICES:
        return
    engine = settings.DATABASES["default"]["ENGINE"]
    problems = []
    if "postgresql" not in engine:
        problems.append(f"DATABASE_URL must point at PostgreSQL in CI (engine is {engine})")
    if not settings.REDIS_URL:
        problems.append("REDIS_URL must be set in CI")
    if problems:
        pytest.exit("; ".join(problems), returncode=3)


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language: a request in Korean leaves Korean active
    in its thread (LocaleMiddleware activates, nothing deactivates), and services called after it
    would speak Korean to the next test."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def on_postgres():
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)")


@pytest.fixture
def site(transactional_db):
    """The whole ASGI site (campus.asgi: pages, API, WebSockets, the chain RPC proxy) on a
    loopback port, served by uvicorn in a thread, static files from the finders as runserver
    serves them. `url` and `ws` are its http:// and ws:// bases."""
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
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}", ws=f"ws://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(timeout=10)
    close_kept_connections()  # so the test database can be dropped
    connections.close_all()
