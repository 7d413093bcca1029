"""Beat's task through a real Celery worker (a separate process on the real broker): running
scenarios tick, and a worker killed mid-run loses no money; the next worker carries on."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings

from sandbox.markets.models import ScenarioRun
from sandbox.markets.services import start_scenario
from sandbox.markets.tasks import tick_running_scenarios
from sandbox.wallet.checks import find_ledger_breaks

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker():
    if not settings.REDIS_URL:
        pytest.skip("needs Redis as the broker: set REDIS_URL=redis://... (CI does)")


def worker() -> subprocess.Popen:
    """`celery worker` on this test's database and the configured broker."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    command = [sys.executable, "-m", "celery", "-A", "campus", "worker", "--pool=solo"]
    command += ["--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"]
    return subprocess.Popen(
        command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def beat_until(run: ScenarioRun, ticks: int, timeout: float = 60) -> int:
    """Send beat's task once a second until the run has done `ticks` ticks."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tick_running_scenarios.delay()
        time.sleep(1.0)
        run.refresh_from_db()
        if run.ticks >= ticks:
            return run.ticks
    raise AssertionError(f"the run did {run.ticks} ticks in {timeout} s, not {ticks}")


def stop(process: subprocess.Popen, how: int = signal.SIGTERM) -> None:
    process.send_signal(how)
    process.wait(timeout=30)


def test_a_real_worker_ticks_a_running_scenario_and_a_killed_one_loses_nothing(
    on_postgres, broker, exchange
):
    run = start_scenario(
        offering_id=exchange.offering.pk,
        scenario="flash-crash",
        started_by_id=None,
        seed=4,
        speed=5,
    )
    first = worker()
    try:
        beat_until(run, ticks=2)
    finally:
        stop(first, signal.SIGKILL)  # mid-run, perhaps mid-tick
    second = worker()
    try:
        done = beat_until(run, ticks=run.ticks + 2)
    finally:
        stop(second)

    assert done >= 4
    assert find_ledger_breaks() == []
