"""Server time of the student's two busiest pages, and the JavaScript the trading screen loads.

    python bench/pages.py [--requests 200] [--students 500] [--profile]

Builds a scratch database (BENCH_PAGES_DATABASE_URL, default blockcampus_bench_pages), seeds the
demo campus (`seed_demo`: the course, two offerings, markets, the house maker, a running scenario)
and ticks the scenario for a simulated minute; then enrols --students more students in the first
demo offering, each with a wallet, a resting bid and an attempt at three exercises, a fifth of
them with a trade against the house. The measured student is one of them, with a chain.

Pages are served in this process by Django's test Client (the WSGI handler, every middleware,
DEBUG off, static files through the manifest storage as in production; no network, so this is
server time), logged in as that student, after warm-up requests. Prints a machine line, then
`name: value unit` lines: p50 and p95 of --requests requests each of the dashboard
(/offerings/<slug>/) and the trading screen (/offerings/<slug>/trade/BTCKRW/), and the bytes of
the trading screen's <script src> files, raw and gzipped. --profile prints where each page's
time goes (cProfile, cumulative) after its figures.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import io
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import percentile  # noqa: E402
from bench.machine import machine_line  # noqa: E402
from bench.scratch import recreate_database, server_env  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/blockcampus_bench_pages"
WARM_UP = 20
SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", re.IGNORECASE)


def set_up(database_url: str, static_root: Path) -> None:
    """A migrated scratch database; Django set up against it with DEBUG off and static files
    collected into `static_root` (not the tree's var/staticfiles, which others share)."""
    recreate_database(database_url)
    os.environ.update(server_env(database_url))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campus.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.STATIC_ROOT = static_root
    call_command("collectstatic", interactive=False, verbosity=0)


def seed_demo_campus() -> object:
    """`seed_demo`, then a simulated minute of the calm-markets scenario in the first demo
    offering (its bots quote and trade, its news is announced). Returns that offering."""
    from django.core.management import call_command
    from django.utils import timezone

    from courses.demo import demo_offerings
    from sandbox.markets import runner
    from sandbox.markets.models import ScenarioRun

    call_command("seed_demo", stdout=io.StringIO())
    offering = demo_offerings()[0]
    run = ScenarioRun.objects.get(offering=offering, status="running")
    start = timezone.now()
    for second in range(1, 61):
        runner.tick(run.pk, now=start + timedelta(seconds=second))
    return offering


def enrol_class(offering, count: int):
    """`count` students with wallets, a resting bid each, attempts, a fifth with a trade.
    Returns the one whose pages are measured (with a chain opened)."""
    from django.utils import timezone

    from campus.models import User
    from courses.models import Attempt, Enrollment, Exercise
    from sandbox.chain.services import open_chain
    from sandbox.exchange.api import OrderRequest, market_by_symbol, place_order
    from sandbox.wallet.services import open_wallet

    users = User.objects.bulk_create(
        User(username=f"bench{n:03d}", display_name=f"Bench {n}") for n in range(count)
    )
    Enrollment.objects.bulk_create(
        Enrollment(offering=offering, user=user, role="student") for user in users
    )
    btc = market_by_symbol(offering_id=offering.pk, symbol="BTCKRW")
    for n, user in enumerate(users):
        open_wallet(offering_id=offering.pk, owner_id=user.pk)
        bid = OrderRequest(
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            price=Decimal(140_000_000 - n * 1000),
            quantity=Decimal("0.001"),
        )
        place_order(owner_id=user.pk, market=btc, request=bid)
        if n % 5 == 0:
            buy = OrderRequest(side="BUY", type="MARKET", quantity=Decimal("0.001"))
            place_order(owner_id=user.pk, market=btc, request=buy)
    exercises = list(Exercise.objects.filter(course=offering.course).order_by("pk")[:3])
    now = timezone.now()
    Attempt.objects.bulk_create(
        Attempt(
            offering=offering,
            exercise=exercise,
            user=user,
            number=1,
            status="passed" if (n + k) % 3 else "failed",
            score=Decimal(1) if (n + k) % 3 else Decimal("0.5"),
            submitted_at=now,
        )
        for n, user in enumerate(users)
        for k, exercise in enumerate(exercises)
    )
    student = users[0]
    open_chain(offering_id=offering.pk, owner_id=student.pk)
    return student


def timed(client, url: str, requests: int) -> list[float]:
    """Milliseconds each of `requests` GETs took, after the warm-up."""
    for _ in range(WARM_UP):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, url
    return times


def script_bytes(html: str, static_root: Path) -> tuple[int, int, list[str]]:
    """The <script src> files a page loads, summed raw and gzipped (level 9, as whitenoise
    serves its .gz; a file whitenoise left uncompressed is counted compressed here too)."""
    from django.conf import settings

    raw = packed = 0
    names = []
    for src in SCRIPT_SRC.findall(html):
        path = src.split("?", 1)[0].removeprefix("/" + settings.STATIC_URL.strip("/") + "/")
        body = (static_root / path).read_bytes()
        raw += len(body)
        packed += len(gzip.compress(body, compresslevel=9))
        names.append(path)
    return raw, packed, names


def profile(client, url: str, requests: int = 50) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(url)
    profiler.disable()
    print(f"# profile of {requests} GET {url}", file=sys.stderr)
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    print(machine_line(), flush=True)
    database_url = os.environ.get("BENCH_PAGES_DATABASE_URL", DEFAULT_DB)
    with tempfile.TemporaryDirectory(prefix="bench-pages-static-") as static_root:
        set_up(database_url, Path(static_root))
        offering = seed_demo_campus()
        student = enrol_class(offering, args.students)
        from django.conf import settings
        from django.test import Client
        from django.urls import reverse

        client = Client()
        client.force_login(student)
        pages = {
            "dashboard": reverse("offering-detail", args=[offering.slug]),
            "trading": reverse("sandbox-trade", args=[offering.slug, "BTCKRW"]),
        }
        cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
        print(
            f"# Django test Client in this process (WSGI handler, DEBUG off, {cache}), "
            f"{args.students} more students in {offering.slug}, {args.requests} requests a page"
        )
        for name, url in pages.items():
            times = timed(client, url, args.requests)
            print(f"{name}_server_p50_ms: {statistics.median(times):.1f} ms")
            print(f"{name}_server_p95_ms: {percentile(times, 0.95):.1f} ms")
            if args.profile:
                profile(client, url)
        html = client.get(pages["trading"]).content.decode()
        raw, packed, names = script_bytes(html, Path(static_root))
        print(f"# trading screen scripts: {', '.join(names)}")
        print(f"trading_js_bytes: {raw} bytes")
        print(f"trading_js_gzip_bytes: {packed} bytes")


if __name__ == "__main__":
    main()
