"""What a trading exercise's spec may say, checked when a course is imported (every problem with
its path into the spec, so the importer can name the YAML line).

Only the shape is checked here: whether BTCKRW is listed depends on the offering, so the grader
checks names against the offering's exchange when it grades.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from courses.api import SpecProblem, text_problems

CHECK_KINDS = ("placed_order", "trades", "max_position", "min_return_percent")
SIDES = ("BUY", "SELL")
ORDER_STOPS = ("STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
ORDER_TYPES = ("LIMIT", "MARKET", "LIMIT_MAKER", *ORDER_STOPS)
SYMBOL = re.compile(r"^[A-Z0-9]{4,20}$")
ASSET = re.compile(r"^[A-Z0-9]{2,12}$")
LOWEST_RETURN = Decimal(-100)

Path = tuple[str | int, ...]


def spec_problems(spec: Any, languages: Sequence[str]) -> list[SpecProblem]:
    checks = spec.get("checks") if isinstance(spec, Mapping) else None
    if not isinstance(checks, list) or not checks:
        return [
            SpecProblem(("checks",), _("a trading exercise needs a list of at least one check"))
        ]
    problems: list[SpecProblem] = []
    for index, check in enumerate(checks):
        problems += _check_problems(check, ("checks", index), languages)
    return problems


def _check_problems(check: Any, path: Path, languages: Sequence[str]) -> list[SpecProblem]:
    if not isinstance(check, Mapping):
        return [SpecProblem(path, _("each check must be a mapping with a name"))]
    problems = text_problems(check.get("name"), (*path, "name"), languages)
    problems += text_problems(check.get("hint"), (*path, "hint"), languages, required=False)
    problems += [
        SpecProblem(
            (*path, key), _("'%(key)s' is not something a trading check can have") % {"key": key}
        )
        for key in check
        if key not in ("name", "hint", *CHECK_KINDS)
    ]
    kinds = [kind for kind in CHECK_KINDS if kind in check]
    if len(kinds) != 1:
        return [
            *problems,
            SpecProblem(
                path,
                _("each check has exactly one of: %(kinds)s") % {"kinds": ", ".join(CHECK_KINDS)},
            ),
        ]
    kind = kinds[0]
    return problems + KIND_PROBLEMS[kind](check[kind], (*path, kind))


def _placed_order_problems(body: Any, path: Path) -> list[SpecProblem]:
    if body is None:
        return []  # any accepted order
    problems = _fields(body, path, ("symbol", "side", "type", "rested", "filled"))
    if problems or not body:
        return problems
    problems += _symbol_problems(body, path)
    problems += _choice_problems(body, path, "side", SIDES)
    problems += _choice_problems(body, path, "type", ORDER_TYPES)
    for flag in ("rested", "filled"):
        if flag in body and not isinstance(body[flag], bool):
            problems.append(SpecProblem((*path, flag), _("must be true or false")))
    if body.get("type") == "MARKET" and body.get("rested") is True:
        problems.append(SpecProblem((*path, "rested"), _("a MARKET order never rests on the book")))
    return problems


def _trades_problems(body: Any, path: Path) -> list[SpecProblem]:
    problems = _fields(body, path, ("symbol", "min"))
    if problems:
        return problems
    problems += _symbol_problems(body, path)
    minimum = body.get("min")
    if isinstance(minimum, str) and minimum.strip().isdigit():
        minimum = int(minimum)
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 1:
        problems.append(SpecProblem((*path, "min"), _("must be a whole number of at least 1")))
    return problems


def _max_position_problems(body: Any, path: Path) -> list[SpecProblem]:
    problems = _fields(body, path, ("asset", "max"))
    if problems:
        return problems
    asset = body.get("asset")
    if not isinstance(asset, str) or not ASSET.match(asset):
        problems.append(
            SpecProblem((*path, "asset"), _("must be an asset code in capitals, such as BTC"))
        )
    problems += _decimal_problems(body.get("max"), (*path, "max"), lowest=Decimal(0))
    return problems


def _min_return_problems(value: Any, path: Path) -> list[SpecProblem]:
    return _decimal_problems(value, path, lowest=LOWEST_RETURN, above=True)


KIND_PROBLEMS: dict[str, Callable[[Any, Path], list[SpecProblem]]] = {
    "placed_order": _placed_order_problems,
    "trades": _trades_problems,
    "max_position": _max_position_problems,
    "min_return_percent": _min_return_problems,
}


def _fields(body: Any, path: Path, known: tuple[str, ...]) -> list[SpecProblem]:
    if not isinstance(body, Mapping):
        return [SpecProblem(path, _("must be a mapping of: %(keys)s") % {"keys": ", ".join(known)})]
    return [
        SpecProblem(
            (*path, key),
            _("'%(key)s' is not one of: %(keys)s") % {"key": key, "keys": ", ".join(known)},
        )
        for key in body
        if key not in known
    ]


def _symbol_problems(body: Mapping, path: Path) -> list[SpecProblem]:
    symbol = body.get("symbol")
    if symbol is None or (isinstance(symbol, str) and SYMBOL.match(symbol)):
        return []
    return [
        SpecProblem((*path, "symbol"), _("must be a market symbol in capitals, such as BTCKRW"))
    ]


def _choice_problems(body: Mapping, path: Path, key: str, choices: tuple) -> list[SpecProblem]:
    if key not in body or body[key] in choices:
        return []
    return [
        SpecProblem(
            (*path, key), _("must be one of: %(choices)s") % {"choices": ", ".join(choices)}
        )
    ]


def _decimal_problems(
    value: Any, path: Path, *, lowest: Decimal, above: bool = False
) -> list[SpecProblem]:
    """A quoted decimal (or a whole number) of at least `lowest` (above it, if `above`)."""
    if isinstance(value, float):
        return [
            SpecProblem(
                path, _('quote the number ("%(value)s") to keep it exact') % {"value": value}
            )
        ]
    number = decimal_or_none(value)
    if number is None:
        return [SpecProblem(path, _('must be a number in quotes, such as "0.5"'))]
    if number < lowest or (above and number == lowest):
        words = _("must be above %(lowest)s") if above else _("must be %(lowest)s or more")
        return [SpecProblem(path, words % {"lowest": lowest})]
    return []


def decimal_or_none(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
