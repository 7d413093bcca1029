"""Instructors' controls over an offering's simulated markets: start, pause, resume, speed up and
stop a scenario; halt and resume a market. Each is one transaction on the run's row."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campus.errors import ServiceError
from courses.api import active_students
from sandbox.exchange.api import ExchangeError, Market, market_by_symbol, set_market_status
from sandbox.markets.catalogue import shipped_scenarios
from sandbox.markets.house import withdraw_bots, withdraw_quotes
from sandbox.markets.models import PriceSeries, ScenarioRun
from sandbox.markets.scenario import load_scenario
from sandbox.markets.series import first_price, replay_cursor
from sandbox.wallet.api import reset_wallet

MAX_SPEED = 100.0


def start_scenario(
    *,
    offering_id: int,
    scenario: str,
    started_by_id: int | None,
    seed: int | None = None,
    speed: float = 1.0,
    replay: tuple[str, int] | None = None,
) -> ScenarioRun:
    """Start a shipped scenario on the offering's markets (it must have every market the script
    drives). One scenario runs per offering at a time. The same seed replays the same session.
    `replay` = (market, price series id): that market follows the uploaded series instead of
    the script's model (its prices in the market's quote currency)."""
    found = shipped_scenarios().get(scenario)
    if found is None:
        raise ServiceError("unknown_scenario", _("There is no scenario called %s.") % scenario)
    script, text = found
    for symbol in script.markets:
        _market(offering_id, symbol)
    _check_speed(speed)
    state = {"at": 0.0, "prices": {s: float(m.start) for s, m in script.markets.items()}}
    if replay is not None:
        symbol, series = _replayed(offering_id, script, *replay)
        state["replay"] = {symbol: replay_cursor(series)}  # a cursor: the points stay rows
        state["prices"][symbol] = first_price(series)
    try:
        with transaction.atomic(durable=True):
            return ScenarioRun.objects.create(
                offering_id=offering_id,
                scenario=scenario,
                title=script.title,
                script=text,
                seed=seed if seed is not None else secrets.randbelow(2**31),
                speed=speed,
                started_by_id=started_by_id,
                state=state,
            )
    except IntegrityError:
        raise ServiceError(
            "scenario_running",
            _("A scenario is already running in this offering: stop it before starting another."),
        ) from None


def pause_run(*, run_id: int) -> ScenarioRun:
    return _change(run_id, ScenarioRun.Status.RUNNING, status=ScenarioRun.Status.PAUSED)


def resume_run(*, run_id: int) -> ScenarioRun:
    return _change(run_id, ScenarioRun.Status.PAUSED, status=ScenarioRun.Status.RUNNING)


def set_speed(*, run_id: int, speed: float) -> ScenarioRun:
    _check_speed(speed)
    return _change(run_id, None, speed=speed)


def stop_run(*, run_id: int) -> ScenarioRun:
    """End the run now: bots take their orders out, markets the script halted trade again.
    A new run (with the same seed, to replay it) starts from the beginning."""
    run = _change(run_id, None, status=ScenarioRun.Status.STOPPED, ended_at=timezone.now())
    script = load_scenario(run.script)
    withdraw_bots(offering_id=run.offering_id, scenario=script)
    for symbol in script.markets:
        set_market_status(market_id=_market(run.offering_id, symbol).pk, trading=True)
    return run


def set_market_trading(*, offering_id: int, symbol: str, trading: bool) -> None:
    """Halt or resume one of the offering's markets by hand."""
    set_market_status(market_id=_market(offering_id, symbol).pk, trading=trading)


def _change(run_id: int, expected: str | None, **fields) -> ScenarioRun:
    """Stop the clock at now (so the simulated time so far is kept), then change the run."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        run = ScenarioRun.objects.select_for_update().get(pk=run_id)
        if run.status not in (expected or run.status,) or run.status in ("finished", "stopped"):
            raise ServiceError(
                "run_not_" + (expected or "active"),
                _("This scenario run is %s; that cannot be done now.") % run.get_status_display(),
            )
        run.elapsed, run.clock_at = run.elapsed_at(now), now
        for name, value in fields.items():
            setattr(run, name, value)
        run.save()
    return run


def _replayed(offering_id: int, script, symbol: str, series_id: int) -> tuple[str, PriceSeries]:
    series = PriceSeries.objects.filter(offering_id=offering_id, pk=series_id).first()
    if series is None:
        raise ServiceError("unknown_series", _("This offering has no such price series."))
    if symbol not in script.markets:
        raise ServiceError(
            "market_not_in_scenario",
            _("A series can replace the price of one of this scenario's markets: %s.")
            % ", ".join(script.markets),
        )
    return symbol, series


def _check_speed(speed: float) -> None:
    if not 0 < speed <= MAX_SPEED:
        raise ServiceError("bad_speed", _("Speed must be above 0 and at most %d.") % MAX_SPEED)


def _market(offering_id: int, symbol: str):
    try:
        return market_by_symbol(offering_id=offering_id, symbol=symbol)
    except ExchangeError:
        raise ServiceError(
            "missing_market",
            _("This offering has no %s market, which the scenario needs.") % symbol,
        ) from None


def reset_cohort_wallets(*, offering_id: int) -> tuple[int, list[str]]:
    """Every active student's wallet back to the starting grant: their open orders in the
    offering's markets are cancelled (holds released), then each wallet is reset in its own
    transaction. Returns how many were reset and, per student who could not be, why (an order
    placed in between, say); nobody is left half reset."""
    markets = list(Market.objects.filter(offering_id=offering_id).order_by("pk"))
    students = active_students(offering_id).select_related("user")
    done, problems = 0, []
    for enrollment in students:
        for market in markets:
            withdraw_quotes(owner_id=enrollment.user_id, market=market)
        try:
            done += reset_wallet(offering_id=offering_id, owner_id=enrollment.user_id)
        except ServiceError as error:
            problems.append(f"{enrollment.user}: {error.message}")
    return done, problems
