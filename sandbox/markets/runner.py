"""One tick of a scenario run: advance the prices, fire due events, let every bot trade.

A tick takes a lease on its run first (an UPDATE that succeeds for one caller only), so a second
tick that arrives while the first is still working is skipped, never queued behind it. Ticks are
numbered; a tick's randomness and its bots' client order ids come from (seed, tick), so a tick
that is run again after a crash places nothing twice (the exchange refuses a repeated client
order id) and a replay of the same seed and clock makes the same orders.

Bots trade through the exchange's own services from their house accounts, so every trade is
settled and posted exactly as a student's is; they never create money.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sandbox.exchange.api import (
    ExchangeError,
    Market,
    OrderRequest,
    market_by_symbol,
    place_orders,
    set_market_status,
)
from sandbox.exchange.selectors import now_ms
from sandbox.exchange.streams import announcements_group, publish_on_commit
from sandbox.markets.bots import CancelAll, Holdings, MarketView, Place, decide
from sandbox.markets.house import house_bot_user, house_funding, withdraw_bots, withdraw_quotes
from sandbox.markets.models import Announcement, ScenarioRun
from sandbox.markets.pricemodels import Replay, tick_random, to_tick, with_changes
from sandbox.markets.scenario import Event, Scenario, load_scenario
from sandbox.wallet.api import set_withdrawals_halted, user_accounts

LEASE = timedelta(seconds=30)
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


def tick(run_id: int, *, now: datetime | None = None) -> TickReport:
    """Run the next tick of a running scenario if one is due at `now`."""
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
        report = _run_tick(run, scenario, elapsed)
        if ScenarioRun.objects.filter(pk=run_id, status=ScenarioRun.Status.STOPPED).exists():
            # stopped while this tick traded: what it placed after stop_run withdrew the bots
            # must not stay in the books
            withdraw_bots(offering_id=run.offering_id, scenario=scenario)
            return report
        if elapsed >= scenario.duration:
            _finish(run, scenario, now)
            report.outcome = "finished"
        return report
    finally:
        ScenarioRun.objects.filter(pk=run_id).update(lease_until=None)


def _take_lease(run_id: int, now: datetime) -> bool:
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return bool(ScenarioRun.objects.filter(free, pk=run_id).update(lease_until=now + LEASE))


def _run_tick(run: ScenarioRun, scenario: Scenario, elapsed: float) -> TickReport:
    number = run.ticks + 1
    state = run.state or {}
    due = [e for e in scenario.events[run.events_done :] if e.at <= elapsed]
    for event in due:
        _apply_event(run, scenario, event, state)
    _advance_prices(run, scenario, state, number, elapsed)
    report = TickReport("ticked", tick=number)
    markets = {m.symbol: m for m in Market.objects.filter(offering_id=run.offering_id)}
    for slot, bot in enumerate(scenario.bots):
        _trade(run, markets[bot.market], state, slot, bot, number, report)
    state["at"] = elapsed
    with transaction.atomic():
        ScenarioRun.objects.filter(pk=run.pk).update(
            ticks=number, state=state, events_done=run.events_done + len(due)
        )
    run.ticks, run.state, run.events_done = number, state, run.events_done + len(due)
    return report


def _advance_prices(run, scenario: Scenario, state: dict, number: int, elapsed: float) -> None:
    prices, history = state.setdefault("prices", {}), state.setdefault("history", {})
    changes = state.setdefault("models", {})
    dt = elapsed - state.get("at", 0.0)
    replayed = state.get("replay", {})
    for symbol, script in scenario.markets.items():
        model = with_changes(script.model, **changes.get(symbol, {}))
        if symbol in replayed:  # an instructor's uploaded series instead of the script's model
            model = Replay(points=tuple(tuple(point) for point in replayed[symbol]))
        price = prices.get(symbol, float(script.start))
        if isinstance(model, Replay):
            price = model.price_at(elapsed)
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
            run=run, offering_id=run.offering_id, at=event.at, text=event.announce
        )
        if not created:
            return
        news = {"e": "announcements", "E": now_ms(), "s": "", "t": made.text, "at": made.at}
        publish_on_commit([(announcements_group(run.offering_id), news)])


def _trade(run, market, state, slot, bot, number, report: TickReport) -> None:
    """A bot's intents for this tick, in order: a cancel-all withdraws its quotes; the orders
    between cancels go to the exchange together (one transaction, one market lock)."""
    if market.status != market.Status.TRADING:
        return
    owner = house_bot_user(offering_id=run.offering_id, slot=slot)
    view = _view(market, state, bot.market)
    holdings = _holdings(run.offering_id, owner.pk, market, slot)
    rng = tick_random(run.seed, f"bot{slot}", number)
    pending: list[OrderRequest] = []
    for n, intent in enumerate(decide(bot, view, holdings, rng)):
        if isinstance(intent, CancelAll):
            _place(owner.pk, market, pending, report)
            pending = []
            withdraw_quotes(owner_id=owner.pk, market=market)
        else:
            pending.append(_request(intent, run, number, slot, n))
    _place(owner.pk, market, pending, report)


def _place(owner_id: int, market, requests: list[OrderRequest], report: TickReport) -> None:
    if not requests:
        return
    for result in place_orders(owner_id=owner_id, market=market, requests=requests):
        if isinstance(result, ExchangeError):
            report.refused += 1  # e.g. out of balance, or a repeat of a tick run before
        else:
            report.placed += 1


def _view(market, state: dict, symbol: str) -> MarketView:
    history = state["history"][symbol]
    return MarketView(
        symbol=symbol,
        reference=to_tick(state["prices"][symbol], market.tick_size),
        tick_size=market.tick_size,
        lot_size=market.lot_size,
        min_qty=market.min_qty,
        min_notional=market.min_notional,
        history=tuple(to_tick(p, market.tick_size) for p in history[:-1]),
    )


def _holdings(offering_id: int, owner_id: int, market, slot: int) -> Holdings:
    accounts = user_accounts(
        offering_id=offering_id, owner_id=owner_id, asset_codes=[market.base_id, market.quote_id]
    )
    base, quote = accounts[market.base_id], accounts[market.quote_id]
    start = house_funding().get(market.base_id, Decimal(0))
    return Holdings(
        inventory=base.available + base.locked - start,
        base_available=base.available,
        quote_available=quote.available,
    )


def _request(intent: Place, run: ScenarioRun, number: int, slot: int, n: int) -> OrderRequest:
    return OrderRequest(
        side=intent.side,
        type=intent.type,
        quantity=intent.quantity,
        price=intent.price,
        time_in_force="GTC" if intent.type == "LIMIT" else None,
        client_order_id=f"s{run.pk}t{number}b{slot}n{n}",
    )


def _finish(run: ScenarioRun, scenario: Scenario, now: datetime) -> None:
    """The end: bots take their quotes out of the books; the run keeps its record."""
    withdraw_bots(offering_id=run.offering_id, scenario=scenario)
    ScenarioRun.objects.filter(pk=run.pk).update(
        status=ScenarioRun.Status.FINISHED, elapsed=scenario.duration, clock_at=now, ended_at=now
    )
