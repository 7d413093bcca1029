"""Scenario runs end to end: ticks drive prices, events and bots through the real exchange."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from campus.errors import ServiceError
from sandbox.exchange.api import OrderRequest, place_order
from sandbox.exchange.errors import MarketClosed
from sandbox.exchange.models import Market, Order, Trade
from sandbox.markets import runner, trading
from sandbox.markets.models import Announcement, ScenarioRun
from sandbox.markets.services import pause_run, resume_run, start_scenario, stop_run
from sandbox.wallet.models import Account
from tests.factories import OfferingFactory


def drive(run: ScenarioRun, seconds: int, *, step: float = 1.0) -> list[runner.TickReport]:
    """Tick the run at wall times clock_at + step, + 2 step, ... (as beat would, exactly)."""
    start = ScenarioRun.objects.get(pk=run.pk).clock_at
    return [
        runner.tick(run.pk, now=start + timedelta(seconds=step * n))
        for n in range(1, int(seconds / step) + 1)
    ]


def trade_tape(offering) -> list[tuple]:
    return list(
        Trade.objects.filter(market__offering=offering)
        .order_by("pk")
        .values_list("market__symbol", "price", "qty")
    )


def ledger_is_whole() -> None:
    call_command("ledger_check")  # raises SystemExit(1) on any break
    assert not Account.objects.filter(kind="user", available__lt=0).exists()


@pytest.mark.django_db
def test_a_scenario_runs_to_its_end_with_announcements_halts_and_a_whole_ledger(exchange):
    run = start_scenario(
        offering_id=exchange.offering.pk,
        scenario="flash-crash",
        started_by_id=None,
        seed=5,
        speed=20,
    )

    reports = drive(run, 31)

    run.refresh_from_db()
    assert run.status == "finished"
    assert [r.outcome for r in reports].count("finished") == 1
    assert sum(r.placed for r in reports) > 50
    assert Trade.objects.filter(market=exchange.btc).exists()
    texts = list(Announcement.objects.filter(run=run).order_by("at").values_list("text", flat=True))
    assert len(texts) == 5 and texts[2].startswith("Circuit breaker")
    assert Market.objects.get(pk=exchange.btc.pk).status == "TRADING"  # halted, then resumed
    assert not Order.objects.filter(
        owner__house_bot__isnull=False, status__in=["NEW", "PARTIALLY_FILLED"]
    ).exists()  # the bots took their quotes out at the end
    ledger_is_whole()


@pytest.mark.django_db
def test_the_same_seed_and_clock_replay_the_same_trades(assets):
    tapes = []
    for _ in range(2):
        offering = OfferingFactory()
        from sandbox.exchange.markets import list_default_markets

        list_default_markets(offering_id=offering.pk)
        run = start_scenario(
            offering_id=offering.pk,
            scenario="stablecoin-depeg",
            started_by_id=None,
            seed=42,
            speed=30,
        )
        drive(run, 12)
        tapes.append([(s, p, q) for s, p, q in trade_tape(offering)])

    assert tapes[0] and tapes[0] == tapes[1]


@pytest.mark.django_db
def test_a_halted_market_refuses_orders_with_a_clear_code(exchange):
    run = start_scenario(
        offering_id=exchange.offering.pk,
        scenario="flash-crash",
        started_by_id=None,
        seed=1,
        speed=100,
    )
    start = run.clock_at
    runner.tick(run.pk, now=start + timedelta(seconds=2.2))  # 220 s: the circuit breaker is on

    with pytest.raises(MarketClosed) as refused:
        place_order(
            owner_id=exchange.alice.pk,
            market=exchange.btc,
            request=OrderRequest(
                side="BUY",
                type="LIMIT",
                quantity=Decimal("0.001"),
                price=Decimal("100000000"),
                time_in_force="GTC",
            ),
        )

    assert refused.value.binance_code == -2010
    assert "halted" in refused.value.msg.lower() or "closed" in refused.value.msg.lower()


@pytest.mark.django_db
def test_a_tick_arriving_while_another_runs_is_skipped(exchange):
    run = start_scenario(
        offering_id=exchange.offering.pk, scenario="flash-crash", started_by_id=None, seed=1
    )
    now = run.clock_at + timedelta(seconds=3)
    ScenarioRun.objects.filter(pk=run.pk).update(lease_until=now + timedelta(seconds=10))

    assert runner.tick(run.pk, now=now).outcome == "busy"
    assert ScenarioRun.objects.get(pk=run.pk).ticks == 0


@pytest.mark.django_db
def test_a_tick_run_again_after_a_crash_places_nothing_twice(exchange):
    run = start_scenario(
        offering_id=exchange.offering.pk, scenario="flash-crash", started_by_id=None, seed=3
    )
    before = ScenarioRun.objects.get(pk=run.pk)
    first = runner.tick(run.pk, now=run.clock_at + timedelta(seconds=1))
    orders = Order.objects.count()
    # the worker "crashed" before recording the tick: put the run back as it was
    ScenarioRun.objects.filter(pk=run.pk).update(
        ticks=before.ticks, state=before.state, events_done=0
    )

    again = runner.tick(run.pk, now=run.clock_at + timedelta(seconds=1))

    assert first.placed > 0 and again.placed == 0
    assert Order.objects.count() == orders
    ledger_is_whole()


@pytest.mark.django_db
def test_a_paused_run_stands_still_and_resumes_where_it_was(exchange):
    run = start_scenario(
        offering_id=exchange.offering.pk, scenario="flash-crash", started_by_id=None, seed=2
    )
    pause_run(run_id=run.pk)

    report = runner.tick(run.pk, now=timezone.now() + timedelta(seconds=30))
    resumed = resume_run(run_id=run.pk)

    assert report.outcome == "idle"
    assert resumed.status == "running" and resumed.elapsed < 5


@pytest.mark.django_db
def test_one_scenario_at_a_time_and_stopping_takes_the_bots_out(exchange):
    run = start_scenario(
        offering_id=exchange.offering.pk, scenario="flash-crash", started_by_id=None, seed=2
    )
    drive(run, 2)

    with pytest.raises(ServiceError) as refused:
        start_scenario(
            offering_id=exchange.offering.pk, scenario="exchange-run", started_by_id=None
        )
    stop_run(run_id=run.pk)

    assert refused.value.code == "scenario_running"
    assert not Order.objects.filter(owner__house_bot__isnull=False, status="NEW").exists()
    start_scenario(offering_id=exchange.offering.pk, scenario="exchange-run", started_by_id=None)


@pytest.mark.django_db
def test_a_scenario_needs_the_markets_it_drives(assets):
    with pytest.raises(ServiceError) as refused:
        start_scenario(offering_id=OfferingFactory().pk, scenario="flash-crash", started_by_id=None)

    assert refused.value.code == "missing_market"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "scenario", ["calm-markets", "stablecoin-depeg", "exchange-run", "flash-crash"]
)
def test_every_shipped_scenarios_bots_trade_from_the_first_ticks(exchange, scenario):
    run = start_scenario(
        offering_id=exchange.offering.pk, scenario=scenario, started_by_id=None, seed=11
    )

    reports = drive(run, 3)

    assert sum(r.placed for r in reports) > 10
    assert sum(r.refused for r in reports) == 0  # sizes and prices pass every market's filters
    ledger_is_whole()


@pytest.mark.django_db
def test_a_run_stopped_while_its_tick_trades_leaves_no_bot_orders_behind(exchange, monkeypatch):
    run = start_scenario(
        offering_id=exchange.offering.pk, scenario="flash-crash", started_by_id=None, seed=6
    )
    trade_then_be_stopped = trading._trade_bots

    def bots_during_whose_trading_the_instructor_stops(run_, *args):
        trade_then_be_stopped(run_, *args)
        ScenarioRun.objects.filter(pk=run_.pk).update(status="stopped")  # stop_run, meanwhile

    monkeypatch.setattr(trading, "_trade_bots", bots_during_whose_trading_the_instructor_stops)

    report = runner.tick(run.pk, now=run.clock_at + timedelta(seconds=1))

    assert report.placed > 0
    assert not Order.objects.filter(
        owner__house_bot__isnull=False, status__in=["NEW", "PARTIALLY_FILLED"]
    ).exists()


@pytest.mark.django_db
def test_a_house_bot_whose_creation_was_cut_short_is_funded_on_its_next_use(exchange):
    from sandbox.markets.house import house_bot_user
    from sandbox.markets.models import HouseBot
    from sandbox.wallet.models import Wallet
    from tests.factories import UserFactory

    orphan = UserFactory(username="house-cut-short")
    HouseBot.objects.create(offering=exchange.offering, slot=0, user=orphan)  # no wallet yet

    user = house_bot_user(offering_id=exchange.offering.pk, slot=0)

    assert user == orphan
    assert Wallet.objects.filter(offering=exchange.offering, owner=orphan).exists()


@pytest.mark.django_db
def test_a_tick_run_again_after_a_crash_announces_its_events_once(exchange):
    run = start_scenario(
        offering_id=exchange.offering.pk,
        scenario="flash-crash",
        started_by_id=None,
        seed=5,
        speed=20,
    )
    drive(run, 31)
    announced = Announcement.objects.filter(run=run).count()
    # a worker that died after announcing but before recording its progress
    ScenarioRun.objects.filter(pk=run.pk).update(status="running", events_done=0)

    drive(run, 2)

    assert Announcement.objects.filter(run=run).count() == announced
