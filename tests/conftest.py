import os

import pytest
from django.conf import settings

REQUIRE_SERVICES = os.environ.get("BLOCKCAMPUS_REQUIRE_SERVICES") == "1"


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
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def on_postgres():
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)")
