"""The demo campus's live markets: the calm-markets scenario runs in each demo offering, so there
is flow to trade against as soon as `make run` serves (Celery beat ticks it)."""

from campus.api import SeedContext
from courses.api import demo_offerings
from sandbox.markets.models import ScenarioRun
from sandbox.markets.services import start_scenario

DEMO_SCENARIO = "calm-markets"
DEMO_SEED = 2026


def seed(ctx: SeedContext) -> None:
    for offering in demo_offerings():
        active = ScenarioRun.objects.filter(
            offering=offering, status__in=[ScenarioRun.Status.RUNNING, ScenarioRun.Status.PAUSED]
        )
        if not active.exists():
            start_scenario(
                offering_id=offering.pk, scenario=DEMO_SCENARIO, started_by_id=None, seed=DEMO_SEED
            )
            ctx.count(True)
