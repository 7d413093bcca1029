"""One market's share of a tick: the bots of that market decide and place their orders.

A tick (`runner.py`) advances the prices and applies the events once; then the bots of each
market trade as a job of their own, so a worker's processes trade different markets at the same
time (each bot trades one market, and the exchange serialises matching per market anyway).

A job takes its market's lease first (`RunMarket`: an UPDATE that succeeds for one caller only,
and only for a tick newer than the last one the market traded). A job that arrives while the
market's previous tick is still trading is skipped, never queued behind it; a tick the market has
traded is never traded again (a redelivered task, a tick run again after a crash). A job that
died holding the lease frees it after `LEASE`. Money is safe however a job ends: every order is
placed through the exchange's own transactions, from the bot's house account.

A job trades with the prices of its own tick only: if a newer tick has started meanwhile, the
job is stale and skipped (that tick's own job quotes around the newer prices).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from sandbox.exchange.api import ExchangeError, OrderRequest, market_by_symbol, place_orders
from sandbox.markets.bots import CancelAll, Holdings, MarketView, Place, decide
from sandbox.markets.house import house_bots, house_funding, withdraw_quotes
from sandbox.markets.models import RunMarket, ScenarioRun
from sandbox.markets.pricemodels import tick_random, to_tick
from sandbox.markets.scenario import load_scenario
from sandbox.wallet.api import user_accounts

LEASE = timedelta(seconds=30)
ENDED = (ScenarioRun.Status.STOPPED, ScenarioRun.Status.FINISHED)


@dataclass
class MarketReport:
    outcome: str  # traded, busy (previous tick still trading), done, stale, idle
    placed: int = 0
    refused: int = 0


def open_markets(run: ScenarioRun, symbols: list[str]) -> None:
    """Make sure each market the run's bots trade has its progress row (one INSERT a tick)."""
    RunMarket.objects.bulk_create(
        [RunMarket(run=run, symbol=symbol) for symbol in symbols], ignore_conflicts=True
    )


def trade_market(
    run_id: int, *, tick: int, symbol: str, now: datetime | None = None
) -> MarketReport:
    """The bots of market `symbol` trade tick `tick` of the run, unless it is not theirs to trade
    now (see the module's docstring for when a job is skipped and why)."""
    now = now or timezone.now()
    if not _take_lease(run_id, symbol, tick, now):
        done = RunMarket.objects.filter(run_id=run_id, symbol=symbol, ticks__gte=tick).exists()
        return MarketReport("done" if done else "busy")
    try:
        return _trade_market(run_id, tick, symbol)
    finally:
        # the tick counts as traded even if it failed half way: its client order ids are taken
        RunMarket.objects.filter(run_id=run_id, symbol=symbol).update(
            ticks=Greatest(F("ticks"), tick), lease_until=None
        )


def _take_lease(run_id: int, symbol: str, tick: int, now: datetime) -> bool:
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    claim = RunMarket.objects.filter(free, run_id=run_id, symbol=symbol, ticks__lt=tick)
    return bool(claim.update(lease_until=now + LEASE))


def _trade_market(run_id: int, tick: int, symbol: str) -> MarketReport:
    run = ScenarioRun.objects.get(pk=run_id)
    if run.status != ScenarioRun.Status.RUNNING:
        return MarketReport("idle")
    if run.ticks != tick:
        return MarketReport("stale")
    scenario = load_scenario(run.script)
    market = market_by_symbol(offering_id=run.offering_id, symbol=symbol)
    report = MarketReport("traded")
    bots = [(slot, bot) for slot, bot in enumerate(scenario.bots) if bot.market == symbol]
    owners = house_bots(offering_id=run.offering_id, slots=[slot for slot, _bot in bots])
    view = _view(market, run.state, symbol)
    _trade_bots(run, market, view, [(slot, owners[slot], bot) for slot, bot in bots], report)
    if ScenarioRun.objects.filter(pk=run_id, status__in=ENDED).exists():
        # stopped or finished while this job traded: what it placed after the bots were
        # withdrawn must not stay in the books
        for owner_id in owners.values():
            withdraw_quotes(owner_id=owner_id, market=market)
    return report


def _trade_bots(run, market, view: MarketView, bots: list, report: MarketReport) -> None:
    """`bots`: (slot, house user id, script) of each bot trading this market."""
    if market.status != market.Status.TRADING:
        return
    for slot, owner_id, bot in bots:
        _trade(run, market, view, (slot, owner_id, bot), report)


def _trade(run, market, view: MarketView, bot_of: tuple, report: MarketReport) -> None:
    """A bot's intents for this tick, in order: a cancel-all withdraws its quotes; the orders
    between cancels go to the exchange together (one transaction, one market lock)."""
    slot, owner_id, bot = bot_of
    holdings = _holdings(run.offering_id, owner_id, market)
    rng = tick_random(run.seed, f"bot{slot}", run.ticks)
    pending: list[OrderRequest] = []
    for n, intent in enumerate(decide(bot, view, holdings, rng)):
        if isinstance(intent, CancelAll):
            _place(owner_id, market, pending, report)
            pending = []
            withdraw_quotes(owner_id=owner_id, market=market)
        else:
            pending.append(_request(intent, run, slot, n))
    _place(owner_id, market, pending, report)


def _place(owner_id: int, market, requests: list[OrderRequest], report: MarketReport) -> None:
    if not requests:
        return
    for result in place_orders(owner_id=owner_id, market=market, requests=requests):
        if isinstance(result, ExchangeError):
            report.refused += 1  # e.g. out of balance
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


def _holdings(offering_id: int, owner_id: int, market) -> Holdings:
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


def _request(intent: Place, run: ScenarioRun, slot: int, n: int) -> OrderRequest:
    """Client order ids come from (run, tick, bot, intent): a repeat is refused by the exchange."""
    return OrderRequest(
        side=intent.side,
        type=intent.type,
        quantity=intent.quantity,
        price=intent.price,
        time_in_force="GTC" if intent.type == "LIMIT" else None,
        client_order_id=f"s{run.pk}t{run.ticks}b{slot}n{n}",
    )
