"""Celery: beat calls `tick_running_scenarios` every second; each run ticks in its own task.

Both expire after a few seconds unstarted, so a slow or stopped worker never finds a pile of old
ticks waiting; a tick that is still running when the next one arrives skips it (its lease).
"""

from celery import shared_task
from django.utils import timezone

from sandbox.exchange.api import Market
from sandbox.markets import leaderboard, runner
from sandbox.markets.models import ScenarioRun

TICK_EXPIRES_S = 5


@shared_task(ignore_result=True)
def tick_running_scenarios() -> int:
    runs = list(
        ScenarioRun.objects.filter(status=ScenarioRun.Status.RUNNING).values_list("pk", flat=True)
    )
    for run_id in runs:
        tick_scenario.apply_async((run_id,), expires=TICK_EXPIRES_S)
    return len(runs)


@shared_task(ignore_result=True)
def tick_scenario(run_id: int) -> str:
    return runner.tick(run_id).outcome


@shared_task(ignore_result=True)
def snapshot_portfolios() -> int:
    """Every minute: each offering's students' portfolio values, then freeze ended competitions."""
    now = timezone.now()
    # .order_by(): the default ordering would join in and DISTINCT on course, term and symbol
    offerings = Market.objects.order_by().values_list("offering_id", flat=True).distinct()
    taken = sum(leaderboard.take_snapshots(offering_id=o, at=now) for o in offerings)
    leaderboard.freeze_ended_competitions(now=now)
    return taken
