import os

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


@pytest.fixture(autouse=True)
def _no_order_desk_process(settings):
    """Orders are placed in the test's process unless a test starts an order desk: one named in
    the environment (a `make run` beside the tests) serves another database."""
    settings.EXCHANGE_ORDER_DESK_SOCKET = ""


@pytest.fixture
def on_postgres():
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)")


@pytest.fixture
def site(transactional_db):
    """The whole site on a loopback port for one test (see `tests.servers.serving_the_site`)."""
    from django.db import connections

    from tests.servers import serving_the_site

    with serving_the_site() as served:
        yield served
    connections.close_all()  # so the test database can be dropped
