"""What the benchmarks that need a site share: a scratch PostgreSQL database, migrated; Django set
up against it in this process; an offering to work in; the environment its servers run with."""

from __future__ import annotations

import contextlib
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


HISTORY = 100_000  # orders a benchmark's exchange has seen before it starts (exchange_history)


def exchange_history(offering, owner_ids: list[int], orders: int = HISTORY) -> None:
    """An exchange that has served a course for some weeks, rather than one created a second
    ago: `orders` orders placed and cancelled by `owner_ids` over the offering's markets, and
    twice as many journals in the ledger (holds and releases, each moving one unit of one of
    their accounts between its buckets, and back); then the database vacuumed, analyzed and
    checkpointed, as a live one is kept. On tables nearly empty PostgreSQL plans the hot
    statements (and the foreign-key checks) for that, and a connection keeps the plans it made
    while the tables grow, until autovacuum's next analyze: a benchmark of a minute would
    measure that first minute of a new database. Nothing moves money: every account's postings
    sum to zero, and so do every journal's."""
    from django.db import DatabaseError, connection

    from sandbox.exchange.models import Market, Order
    from sandbox.wallet.models import Account, Journal, Posting

    markets = list(Market.objects.filter(offering=offering).values_list("pk", flat=True))
    accounts = list(
        Account.objects.filter(offering=offering, owner_id__in=owner_ids)
        .order_by("pk")
        .values_list("pk", "asset_id")
    )
    order_fields = _columns(
        Order,
        "market", "owner", "client_order_id", "side", "type", "time_in_force", "price",
        "orig_qty", "executed_qty", "cummulative_quote_qty", "status",
        "self_trade_prevention_mode", "held", "stop_triggered", "book_version", "created_at",
        "updated_at",
    )  # fmt: skip
    journal_fields = _columns(Journal, "offering", "kind", "reference", "memo", "created_at")
    posting_fields = _columns(Posting, "journal", "account", "asset", "bucket", "amount")
    past = "now() - interval '30 days'"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Order._meta.db_table} ({order_fields})"
            " SELECT (%s::bigint[])[1 + n %% %s], (%s::bigint[])[1 + n %% %s],"
            " 'history-' || n, CASE WHEN n %% 2 = 0 THEN 'BUY' ELSE 'SELL' END, 'LIMIT', 'GTC',"
            f" 1000, 1, 0, 0, 'CANCELED', 'EXPIRE_MAKER', 0, false, 0, {past}, {past}"
            " FROM generate_series(1, %s) AS n",
            [markets, len(markets), owner_ids, len(owner_ids), orders],
        )
        cursor.execute(  # journal 2k-1 holds one unit of account k, journal 2k releases it
            f"WITH j AS (INSERT INTO {Journal._meta.db_table} ({journal_fields})"
            " SELECT %s, CASE WHEN n %% 2 = 1 THEN 'hold' ELSE 'release' END,"
            f" 'history-' || (n + 1) / 2, '', {past} FROM generate_series(1, %s) AS n"
            " RETURNING id, kind, reference)"
            f" INSERT INTO {Posting._meta.db_table} ({posting_fields})"
            " SELECT j.id, (%s::bigint[])[1 + k %% %s], (%s::text[])[1 + k %% %s], b.bucket,"
            " CASE WHEN (j.kind = 'hold') = (b.bucket = 'locked') THEN 1 ELSE -1 END"
            " FROM j CROSS JOIN (VALUES ('available'), ('locked')) AS b (bucket),"
            " LATERAL (SELECT split_part(j.reference, '-', 2)::bigint AS k) AS pair",
            [
                offering.pk, 2 * orders,
                [pk for pk, _ in accounts], len(accounts),
                [asset for _, asset in accounts], len(accounts),
            ],
        )  # fmt: skip
        cursor.execute("VACUUM ANALYZE")  # else autovacuum would, during the benchmark
        # and the checkpointer would write it all out meanwhile (a role without the right to,
        # pg_checkpoint, lets it)
        with contextlib.suppress(DatabaseError):
            cursor.execute("CHECKPOINT")


def _columns(model, *names: str) -> str:
    from django.db import connection

    return ", ".join(
        connection.ops.quote_name(model._meta.get_field(name).column) for name in names
    )
