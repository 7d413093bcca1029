"""What the benchmarks that need a site share: a scratch PostgreSQL database, migrated; Django set
up against it in this process; an offering to work in; the environment its servers run with."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + "k" * 40 + "0123456789abcdefghij",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "ERROR",
        **extra,
    }


def recreate_database(database_url: str) -> None:
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env=server_env(database_url),
        check=True,
    )


def bench_offering(database_url: str, **extra_env: str):
    """A fresh, migrated database with one offering (slug `bench`) and its default markets;
    Django is set up against it in this process. Returns the offering."""
    recreate_database(database_url)
    os.environ.update(server_env(database_url, **extra_env))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campus.settings")
    import django

    django.setup()
    from campus.models import University
    from courses.models import Course, Offering
    from sandbox.exchange.markets import list_default_markets
    from sandbox.wallet.assets import ensure_standard_assets

    ensure_standard_assets()
    university = University.objects.create(name="Bench University", slug="bench")
    course = Course.objects.create(slug="bench", title="Bench")
    offering = Offering.objects.create(
        course=course, university=university, slug="bench", term="now"
    )
    list_default_markets(offering_id=offering.pk)
    return offering


def start(command: list[str], env: dict, ready_url: str) -> subprocess.Popen:
    """Start a server process (in its own session, so its children stop with it) and wait until
    `ready_url` answers."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(ready_url, timeout=2).read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"bench: {command[1]} did not answer {ready_url} within 60 s")
