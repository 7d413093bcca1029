"""Beat's tick task does the tick's shared part and hands each market's bots to a task of its
own, so the worker's processes trade different markets at the same time."""

import pytest

from sandbox.exchange.models import Order
from sandbox.markets import tasks
from sandbox.markets.models import ScenarioRun
from sandbox.markets.services import start_scenario


@pytest.fixture
def sent(monkeypatch):
    """The market tasks the tick task queues, as (args, options), instead of queueing them."""
    queued: list[tuple[tuple, dict]] = []
    monkeypatch.setattr(
        tasks.trade_market, "apply_async", lambda args, **options: queued.append((args, options))
    )
    return queued


@pytest.mark.django_db
def test_a_tick_task_queues_one_expiring_trade_task_per_market(exchange, sent):
    run = start_scenario(
        offering_id=exchange.offering.pk, scenario="calm-markets", started_by_id=None, seed=1
    )
    ScenarioRun.objects.filter(pk=run.pk).update(elapsed=5)  # a tick is due now

    outcome = tasks.tick_scenario(run.pk)

    assert outcome == "ticked"
    assert [args for args, _ in sent] == [
        (run.pk, 1, "BTCKRW"),
        (run.pk, 1, "ETHKRW"),
        (run.pk, 1, "KUSDKRW"),
    ]
    assert all(options["expires"] == tasks.TICK_EXPIRES_S for _, options in sent)
    assert not Order.objects.exists()  # the bots trade in those tasks, not in this one


@pytest.mark.django_db
def test_a_tick_task_that_is_not_due_queues_nothing(exchange, sent):
    run = start_scenario(
        offering_id=exchange.offering.pk, scenario="calm-markets", started_by_id=None, seed=1
    )

    outcome = tasks.tick_scenario(run.pk)  # at the very start: no simulated time has passed

    assert outcome == "not_due" and sent == []


@pytest.mark.django_db
def test_a_trade_task_trades_its_market_of_the_tick(exchange, sent):
    run = start_scenario(
        offering_id=exchange.offering.pk, scenario="calm-markets", started_by_id=None, seed=1
    )
    ScenarioRun.objects.filter(pk=run.pk).update(elapsed=5)
    tasks.tick_scenario(run.pk)

    outcome = tasks.trade_market(run.pk, 1, "ETHKRW")

    assert outcome == "traded"
    assert set(Order.objects.values_list("market__symbol", flat=True)) == {"ETHKRW"}
