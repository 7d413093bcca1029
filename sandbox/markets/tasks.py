"""Celery: beat calls `tick_running_scenarios` every second; each run ticks in its own task, and
each market of a tick trades in a task of its own, so the worker's processes (one a core) trade
different markets at the same time.

All expire after a few seconds unstarted, so a slow or stopped worker never finds a pile of old
ticks waiting; a tick, or a market's share of one, that is still running when the next one
arrives skips it (their leases).
"""

from celery import shared_task
from django.utils import timezone

from sandbox.exchange.api import Market
from sandbox.markets import leaderboard, runner, trading
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
    """The tick's shared part here; its markets' bots as one task each."""
    report = runner.begin_tick(run_id)
    for symbol in report.markets:
        trade_market.apply_async((run_id, report.tick, symbol), expires=TICK_EXPIRES_S)
    return report.outcome


@shared_task(ignore_result=True)
def trade_market(run_id: int, tick: int, symbol: str) -> str:
    return trading.trade_market(run_id, tick=tick, symbol=symbol).outcome


@shared_task(ignore_result=True)
def snapshot_portfolios() -> int:
    """Every minute: each offering's students' portfolio values, then freeze ended competitions."""
    now = timezone.now()
    # .order_by(): the default ordering would join in and DISTINCT on course, term and symbol
    offerings = Market.objects.order_by().values_list("offering_id", flat=True).distinct()
    taken = sum(leaderboard.take_snapshots(offering_id=o, at=now) for o in offerings)
    leaderboard.freeze_ended_competitions(now=now)
    return taken
