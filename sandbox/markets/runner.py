"""One tick of a scenario run: advance the prices, fire due events, let every bot trade.

A tick has a shared part and a part per market. The shared part (`begin_tick`) takes a lease on
its run first (an UPDATE that succeeds for one caller only), so a second tick that arrives while
the first is still in it is skipped, never queued behind it; it fires the due events, advances
every price and records the tick. Then the bots of each market trade it (`trading.py`), each
market under its own lease: the worker runs the markets as separate tasks on its processes, and
`tick` runs them one after the other in this process.

Ticks are numbered; a tick's randomness and its bots' client order ids come from (seed, tick),
so a tick that is run again after a crash places nothing twice (each market remembers the last
tick it traded, and the exchange refuses a repeated client order id) and a replay of the same
seed and clock makes the same orders. Bots trade through the exchange's own services from their
house accounts, so every trade is settled and posted exactly as a student's is; they never
create money.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sandbox.exchange.api import market_by_symbol, set_market_status
from sandbox.exchange.selectors import now_ms
from sandbox.exchange.streams import announcements_group, publish_on_commit
from sandbox.markets.house import withdraw_bots
from sandbox.markets.models import Announcement, ScenarioRun
from sandbox.markets.pricemodels import tick_random, with_changes
from sandbox.markets.scenario import Event, Scenario, load_scenario
from sandbox.markets.series import replayed_price
from sandbox.markets.trading import LEASE, open_markets, trade_market
from sandbox.wallet.api import set_withdrawals_halted

# Simulated seconds between ticks at least. Beat calls every second, give or take its jitter:
# half a second keeps a tick that comes a little early from being skipped.
MIN_TICK_SPACING = 0.5
HISTORY = 120


@dataclass
class TickReport:
    outcome: str  # ticked, busy, not_due, idle, finished
    tick: int = 0
    placed: int = 0
    refused: int = 0
    markets: list[str] = field(default_factory=list)  # whose bots trade this tick


def tick(run_id: int, *, now: datetime | None = None) -> TickReport:
    """Run the next tick of a running scenario if one is due at `now`, every market's bots in
    this process, one market after the other (tests, replays, a site without a worker). The
    worker runs the same steps with the markets in parallel (`tasks.tick_scenario`)."""
    now = now or timezone.now()
    report = begin_tick(run_id, now=now)
    for symbol in report.markets:
        traded = trade_market(run_id, tick=report.tick, symbol=symbol, now=now)
        report.placed, report.refused = (
            report.placed + traded.placed,
            report.refused + traded.refused,
        )
    return report


def begin_tick(run_id: int, *, now: datetime | None = None) -> TickReport:
    """The tick's shared part, once: fire due events, advance the prices, record the tick. The
    report names the markets whose bots then trade it (`trading.trade_market`, one job each).
    The last tick trades nothing: the run finishes and the bots take their quotes out."""
    now = now or timezone.now()
    if not _take_lease(run_id, now):
        return TickReport("busy")
    try:
        run = ScenarioRun.objects.select_related("offering").get(pk=run_id)
        if run.status != ScenarioRun.Status.RUNNING:
            return TickReport("idle")
        scenario = load_scenario(run.script)
        elapsed = min(run.elapsed_at(now), scenario.duration)
        if elapsed - run.state.get("at", 0.0) < MIN_TICK_SPACING and elapsed < scenario.duration:
            return TickReport("not_due")
        report = _begin(run, scenario, elapsed)
        if elapsed >= scenario.duration:
            _finish(run, scenario, now)
            report.outcome, report.markets = "finished", []
        return report
    finally:
        ScenarioRun.objects.filter(pk=run_id).update(lease_until=None)


def _take_lease(run_id: int, now: datetime) -> bool:
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return bool(ScenarioRun.objects.filter(free, pk=run_id).update(lease_until=now + LEASE))


def _begin(run: ScenarioRun, scenario: Scenario, elapsed: float) -> TickReport:
    number = run.ticks + 1
    state = run.state or {}
    due = [e for e in scenario.events[run.events_done :] if e.at <= elapsed]
    for event in due:
        _apply_event(run, scenario, event, state)
    _advance_prices(run, scenario, state, number, elapsed)
    state["at"] = elapsed
    symbols = list(dict.fromkeys(bot.market for bot in scenario.bots))
    open_markets(run, symbols)
    with transaction.atomic():
        ScenarioRun.objects.filter(pk=run.pk).update(
            ticks=number, state=state, events_done=run.events_done + len(due)
        )
    run.ticks, run.state, run.events_done = number, state, run.events_done + len(due)
    return TickReport("ticked", tick=number, markets=symbols)


def _advance_prices(run, scenario: Scenario, state: dict, number: int, elapsed: float) -> None:
    prices, history = state.setdefault("prices", {}), state.setdefault("history", {})
    changes = state.setdefault("models", {})
    dt = elapsed - state.get("at", 0.0)
    replayed = state.get("replay", {})
    for symbol, script in scenario.markets.items():
        model = with_changes(script.model, **changes.get(symbol, {}))
        price = prices.get(symbol, float(script.start))
        if symbol in replayed:  # an instructor's uploaded series instead of the script's model
            price = replayed_price(replayed[symbol], elapsed, price)  # moves its cursor
        elif dt > 0:
            price = model.step(price, dt, tick_random(run.seed, symbol, number))
        prices[symbol] = price
        history[symbol] = [*history.get(symbol, []), price][-HISTORY:]


def _apply_event(run: ScenarioRun, scenario: Scenario, event: Event, state: dict) -> None:
    changes = state.setdefault("models", {})
    for symbol, change in event.model.items():
        changes[symbol] = {**changes.get(symbol, {}), **change}
    for symbol, trading in [*((s, False) for s in event.halt), *((s, True) for s in event.resume)]:
        market = market_by_symbol(offering_id=run.offering_id, symbol=symbol)
        set_market_status(market_id=market.pk, trading=trading)
    if event.withdrawals is not None:
        # the wallet's desk is the truth withdrawals obey; the run keeps its own record
        run.withdrawals_halted = event.withdrawals == "halted"
        set_withdrawals_halted(
            offering_id=run.offering_id, halted=run.withdrawals_halted, reason=event.announce
        )
        ScenarioRun.objects.filter(pk=run.pk).update(withdrawals_halted=run.withdrawals_halted)
    if event.announce:
        # a tick run again after a crash applies its events again: announce each once (the
        # run's lease makes this tick the only writer)
        made, created = Announcement.objects.get_or_create(
            run=run,
            offering_id=run.offering_id,
            at=event.at,
            text=event.announce,
            defaults={"translations": event.announce_in},
        )
        if not created:
            return
        news = {"e": "announcements", "E": now_ms(), "s": "", "t": made.text, "at": made.at}
        if made.translations:
            news["tr"] = made.translations  # the page shows its reader's language
        publish_on_commit([(announcements_group(run.offering_id), news)])


def _finish(run: ScenarioRun, scenario: Scenario, now: datetime) -> None:
    """The end: bots take their quotes out of the books; the run keeps its record."""
    withdraw_bots(offering_id=run.offering_id, scenario=scenario)
    ScenarioRun.objects.filter(pk=run.pk).update(
        status=ScenarioRun.Status.FINISHED, elapsed=scenario.duration, clock_at=now, ended_at=now
    )
