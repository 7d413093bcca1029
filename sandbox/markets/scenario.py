"""Scenario scripts: YAML an instructor runs on an offering's markets.

    title: A stablecoin loses its peg
    summary: one paragraph for the instructor's list
    teaching_notes: |            # Markdown, shown to the instructor
      ...
    duration: 900                # seconds at speed 1
    markets:                     # the reference price model of each market it drives
      KUSDKRW: {model: mean_reverting, start: 1400, target: 1400, speed: 2000, volatility: 0.02}
    bots:
      - {kind: market_maker, market: KUSDKRW, spread_bps: 20, levels: 3, size: "500", inventory_limit: "20000"}
      - {kind: noise, market: KUSDKRW, orders_per_tick: 1, size: "50"}
      - {kind: momentum, market: KUSDKRW, lookback: 10, threshold_bps: 50, size: "200"}
    events:                      # at: seconds from the start, in order
      - {at: 0, announce: "Trading opens."}
      - {at: 60, announce: {en: "Trading opens.", ko: "거래가 시작됩니다."}}  # in each language
      - {at: 300, model: {KUSDKRW: {target: 1100, volatility: 0.4}}, announce: "..."}
      - {at: 420, halt: [KUSDKRW]}
      - {at: 480, resume: [KUSDKRW]}
      - {at: 500, withdrawals: halted}

`load_scenario` validates everything and reports every problem with its place in the file
(`events[3].model.KUSDKRW`), changing nothing. Pure: no Django. An announcement is a text, or a
text per language code with English (`en`) among them; students read it in their own language
when it has one, in English otherwise.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from sandbox.markets.pricemodels import (
    GeometricBrownian,
    JumpDiffusion,
    MeanReverting,
    PriceModel,
    with_changes,
)

MODELS = {
    "gbm": GeometricBrownian,
    "jump_diffusion": JumpDiffusion,
    "mean_reverting": MeanReverting,
}
BOT_KINDS = {
    "market_maker": {"spread_bps": int, "levels": int, "size": Decimal, "inventory_limit": Decimal},
    "noise": {"orders_per_tick": int, "size": Decimal},
    "momentum": {"lookback": int, "threshold_bps": int, "size": Decimal},
}
MAX_BYTES = 64 * 1024


class ScenarioError(ValueError):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{where}: {message}" for where, message in problems))
        self.problems = problems


@dataclass(frozen=True)
class MarketScript:
    symbol: str
    start: Decimal
    model: PriceModel


@dataclass(frozen=True)
class BotScript:
    kind: str
    market: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Event:
    at: float
    announce: str = ""  # in English
    announce_in: dict[str, str] = field(default_factory=dict)  # {language code: text}, others
    model: dict[str, dict[str, float]] = field(default_factory=dict)
    halt: tuple[str, ...] = ()
    resume: tuple[str, ...] = ()
    withdrawals: str | None = None  # "halted" or "open"


@dataclass(frozen=True)
class Scenario:
    title: str
    summary: str
    teaching_notes: str
    duration: float
    markets: dict[str, MarketScript]
    bots: tuple[BotScript, ...]
    events: tuple[Event, ...]


@functools.lru_cache(maxsize=64)
def load_scenario(text: str) -> Scenario:
    """The scenario a script describes; refused with every problem listed. Cached by text (every
    tick of a run loads the same script): callers share the result and must not change it."""
    if len(text.encode()) > MAX_BYTES:
        raise ScenarioError([("file", f"larger than {MAX_BYTES // 1024} KB")])
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        raise ScenarioError(
            [(where, f"not valid YAML: {getattr(error, 'problem', error)}")]
        ) from None
    if not isinstance(document, dict):
        raise ScenarioError([("file", "expected a mapping with title, markets, bots and events")])
    problems: list[tuple[str, str]] = []
    scenario = _scenario(document, problems)
    if problems:
        raise ScenarioError(problems)
    return scenario


def _scenario(doc: dict, problems: list) -> Scenario:
    title = _text(doc, "title", problems, required=True)
    duration = _number(doc.get("duration", 600), "duration", problems, minimum=1)
    markets = {
        symbol: script
        for symbol, script in (
            (symbol, _market(symbol, spec, problems))
            for symbol, spec in _mapping(doc, "markets", problems).items()
        )
        if script is not None
    }
    if not markets and not any(w == "markets" for w, _ in problems):
        problems.append(("markets", "name at least one market"))
    bots = tuple(_bots(doc.get("bots", []), markets, problems))
    events = tuple(_events(doc.get("events", []), markets, duration or 0, problems))
    return Scenario(
        title=title,
        summary=_text(doc, "summary", problems),
        teaching_notes=_text(doc, "teaching_notes", problems),
        duration=duration or 0,
        markets=markets,
        bots=bots,
        events=events,
    )


def _market(symbol: str, spec: Any, problems: list) -> MarketScript | None:
    where = f"markets.{symbol}"
    if not isinstance(spec, dict):
        problems.append((where, "expected a mapping with model and start"))
        return None
    spec = dict(spec)
    kind = spec.pop("model", None)
    start = _decimal(spec.pop("start", None), f"{where}.start", problems, positive=True)
    if kind not in MODELS:
        problems.append((f"{where}.model", f"one of {', '.join(MODELS)}"))
        return None
    model = _model(MODELS[kind](), spec, where, problems)
    if start is None or model is None:
        return None
    if isinstance(model, MeanReverting) and "target" not in spec:
        model = with_changes(model, target=float(start))
    return MarketScript(symbol=symbol, start=start, model=model)


def _model(model: PriceModel, changes: dict, where: str, problems: list) -> PriceModel | None:
    allowed = _parameter_names(model)
    unknown = sorted(set(changes) - allowed)
    if unknown:
        problems.append(
            (
                where,
                f"unknown parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}",
            )
        )
        return None
    numbers = {}
    for name, value in changes.items():
        number = _number(value, f"{where}.{name}", problems)
        if number is not None:
            numbers[name] = number
    if len(numbers) != len(changes):
        return None
    if numbers.get("target", 1) <= 0 or numbers.get("volatility", 0) < 0:
        problems.append((where, "target must be positive and volatility not negative"))
        return None
    return with_changes(model, **numbers)


def _parameter_names(model: PriceModel) -> set[str]:
    names = {f.name for f in fields(model)}
    if isinstance(model, JumpDiffusion):
        names = (names - {"diffusion"}) | {f.name for f in fields(model.diffusion)}
    return names


def _bots(specs: Any, markets: dict, problems: list):
    if not isinstance(specs, list):
        problems.append(("bots", "expected a list"))
        return
    for n, spec in enumerate(specs):
        where = f"bots[{n}]"
        if not isinstance(spec, dict) or spec.get("kind") not in BOT_KINDS:
            problems.append((f"{where}.kind", f"one of {', '.join(BOT_KINDS)}"))
            continue
        spec = dict(spec)
        kind, market = spec.pop("kind"), spec.pop("market", None)
        if market not in markets:
            problems.append((f"{where}.market", "must be one of the scenario's markets"))
            continue
        params = _bot_params(kind, spec, where, problems)
        if params is not None:
            yield BotScript(kind=kind, market=market, params=params)


def _bot_params(kind: str, spec: dict, where: str, problems: list) -> dict | None:
    expected = BOT_KINDS[kind]
    unknown = sorted(set(spec) - set(expected))
    missing = sorted(set(expected) - set(spec))
    if unknown or missing:
        problems.append((where, f"{kind} takes exactly {', '.join(expected)}"))
        return None
    params = {}
    for name, kind_of in expected.items():
        if kind_of is Decimal:
            value = _decimal(spec[name], f"{where}.{name}", problems, positive=True)
        else:
            value = spec[name] if isinstance(spec[name], int) and spec[name] > 0 else None
            if value is None:
                problems.append((f"{where}.{name}", "a whole number above zero"))
        params[name] = value
    return params if None not in params.values() else None


def _events(specs: Any, markets: dict, duration: float, problems: list):
    if not isinstance(specs, list):
        problems.append(("events", "expected a list"))
        return
    last = 0.0
    for n, spec in enumerate(specs):
        where = f"events[{n}]"
        if not isinstance(spec, dict):
            problems.append((where, "expected a mapping with at and what happens"))
            continue
        at = _number(spec.get("at"), f"{where}.at", problems, minimum=0)
        if at is not None and (at < last or at > duration):
            problems.append((f"{where}.at", f"events must be in order, within 0..{duration:g} s"))
        last = at if at is not None else last
        event = _event(spec, at or 0, markets, where, problems)
        if event is not None:
            yield event


def _event(spec: dict, at: float, markets: dict, where: str, problems: list) -> Event | None:
    unknown = sorted(set(spec) - {"at", "announce", "model", "halt", "resume", "withdrawals"})
    if unknown:
        problems.append((where, f"unknown key(s) {', '.join(unknown)}"))
    changes = {}
    for symbol, change in (spec.get("model") or {}).items():
        script = markets.get(symbol)
        if script is None or not isinstance(change, dict):
            problems.append(
                (f"{where}.model.{symbol}", "a market of the scenario, with parameters")
            )
        elif _model(script.model, change, f"{where}.model.{symbol}", problems) is not None:
            changes[symbol] = {k: float(v) for k, v in change.items()}
    halt, resume = (
        _symbols(spec, "halt", markets, where, problems),
        _symbols(spec, "resume", markets, where, problems),
    )
    withdrawals = spec.get("withdrawals")
    if withdrawals not in (None, "halted", "open"):
        problems.append((f"{where}.withdrawals", "halted or open"))
    announce, announce_in = _announcement(spec.get("announce"), f"{where}.announce", problems)
    return Event(
        at=at,
        announce=announce,
        announce_in=announce_in,
        model=changes,
        halt=halt,
        resume=resume,
        withdrawals=withdrawals,
    )


def _symbols(spec: dict, key: str, markets: dict, where: str, problems: list) -> tuple[str, ...]:
    value = spec.get(key) or []
    if not isinstance(value, list) or any(symbol not in markets for symbol in value):
        problems.append((f"{where}.{key}", "a list of the scenario's markets"))
        return ()
    return tuple(value)


def _mapping(doc: dict, key: str, problems: list) -> dict:
    value = doc.get(key)
    if not isinstance(value, dict):
        problems.append((key, "expected a mapping"))
        return {}
    return value


def _announcement(value, where: str, problems: list) -> tuple[str, dict[str, str]]:
    """(the English text, {other language: text}) of an event's `announce`."""
    if value is None or isinstance(value, str | int | float):
        return str(value or "").strip(), {}
    if not isinstance(value, dict) or not all(
        isinstance(code, str) and len(code) == 2 and code.isalpha() and code.islower()
        for code in value
    ):
        problems.append((where, "a text, or a text per language code (en: ..., ko: ...)"))
        return "", {}
    texts = {code: str(text or "").strip() for code, text in value.items()}
    if not texts.get("en"):
        problems.append((f"{where}.en", "the English text (students without theirs read it)"))
    return texts.pop("en", ""), {code: text for code, text in texts.items() if text}


def _text(doc: dict, key: str, problems: list, required: bool = False) -> str:
    value = doc.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        problems.append((key, "expected text"))
        return ""
    return value.strip()


def _number(value: Any, where: str, problems: list, minimum: float | None = None) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append((where, "expected a number"))
        return None
    if minimum is not None and value < minimum:
        problems.append((where, f"at least {minimum:g}"))
        return None
    return float(value)


def _decimal(value: Any, where: str, problems: list, positive: bool = False) -> Decimal | None:
    try:
        number = Decimal(str(value)) if not isinstance(value, bool) and value is not None else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or (positive and number <= 0):
        problems.append((where, "expected a positive number" if positive else "expected a number"))
        return None
    return number
