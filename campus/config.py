"""Reading BlockCampus configuration from the environment.

Every knob comes from an environment variable (a `.env` file in the project root is read first if present).
A bad value stops start-up with a `ConfigError` whose message names the setting and what is wrong;
`manage.py` prints that one line instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import environ

SUPPORTED_DATABASE_SCHEMES = {
    "sqlite": "django.db.backends.sqlite3",
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "pgsql": "django.db.backends.postgresql",
}


class ConfigError(Exception):
    """A setting from the environment is missing or malformed. Deliberately not ImproperlyConfigured:
    Django's command runner swallows that one and prints something unrelated."""


def read_env(base_dir: Path) -> environ.Env:
    env = environ.Env()
    env_file = base_dir / ".env"
    if env_file.exists():
        environ.Env.read_env(str(env_file))
    return env


def env_bool(env: environ.Env, name: str, default: bool) -> bool:
    raw = env.str(name, default="")
    if raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean: use 1 or 0")


# psycopg prepares a statement after this many runs on a connection; Django turns that off. The
# hot path's few fixed statements ask for it (campus/sqlrows.py `prepared`), nothing else does.
PREPARE_WHEN_ASKED = 2**31 - 1
# ... and each of them runs on its generic plan, made at its first run (and again only when
# DDL or ANALYZE makes it stale): by default PostgreSQL plans a prepared statement again for its
# values at every run until it trusts a generic plan, and the statements an order's placing sends
# (arrays of ids, rows to insert) were planned again every time: a tenth of PostgreSQL's CPU for
# a round of the order desk (bench/desk.py, batches of 16, alternated: 8.25 against 7.13 ms,
# 10.07 against 9.16 ms). Only prepared statements (and the ledger's trigger, whose plan
# PL/pgSQL keeps) use a plan cache; Django's own queries are planned as before. A startup option,
# sent only where statements are prepared and `generic_plans` is on: PgBouncer refuses a `-c`
# setting it does not track (DATABASE_GENERIC_PLANS=0 behind it). A plan_cache_mode already in the
# URL's options is kept.
GENERIC_PLANS = "-c plan_cache_mode=force_generic_plan"


def database_config(
    url: str, *, pool_size: int = 0, prepared: bool = True, generic_plans: bool = True
) -> dict:
    """Parse DATABASE_URL, refusing anything we would not run on with a message that names the problem."""
    scheme = urlsplit(url).scheme
    if scheme not in SUPPORTED_DATABASE_SCHEMES:
        shown = scheme or "(none)"
        raise ConfigError(
            f"DATABASE_URL has scheme {shown!r}; expected sqlite:///path or "
            "postgres://user@host:port/name"
        )
    try:
        config = environ.Env.db_url_config(url)
    except (ValueError, KeyError) as error:
        raise ConfigError(f"DATABASE_URL could not be parsed: {error}") from None
    if not config.get("NAME"):
        raise ConfigError("DATABASE_URL names no database (add /name to the URL)")
    if scheme == "sqlite":
        # Writers take the lock when their transaction begins, so read-modify-write is safe.
        config.setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    elif pool_size > 0:
        # Each process keeps up to `pool_size` connections open and lends them to requests:
        # under ASGI every request runs on a thread of its own, and a new PostgreSQL connection
        # per request (a backend forked, authenticated, warmed) cost more than most requests.
        # A database that is down is reported after `timeout` seconds, not psycopg's 30.
        pool = {"min_size": 1, "max_size": pool_size, "timeout": 10}
        config.setdefault("OPTIONS", {})["pool"] = pool
    if scheme != "sqlite" and prepared:
        options = config.setdefault("OPTIONS", {})
        options["prepare_threshold"] = PREPARE_WHEN_ASKED
        given = options.get("options", "")
        if generic_plans and "plan_cache_mode" not in given:
            options["options"] = " ".join(filter(None, [given, GENERIC_PLANS]))
    return config


def redis_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss"} or not parts.hostname:
        raise ConfigError(f"REDIS_URL={url!r} is not a redis://host:port/db URL")
    try:
        _ = parts.port
    except ValueError:
        raise ConfigError(f"REDIS_URL={url!r} has an invalid port") from None
    return url
