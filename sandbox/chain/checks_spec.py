"""Validating the checks of a Solidity or on-chain exercise's spec, for the course importer.

Every problem comes with its path into the spec (`("checks", 2, "args", 0)`) so the importer can
point at the file and line. For an on-chain level, whose contract is known when the course is
imported, validation also says when a function or an event the checks name does not exist; a
Solidity exercise's contract is the student's, so only the checks' own shape is validated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from courses.api import SpecProblem, text_problems
from sandbox.chain import abiforms
from sandbox.chain.checks import (
    FORMS,
    KEYS,
    PLACEHOLDERS,
    abi_value,
    as_int,
    expected_values,
    resolve,
    storage_word,
)
from sandbox.chain.studio import find_function

_NAME = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_SIGNATURE = re.compile(r"^([A-Za-z_$][A-Za-z0-9_$]*)\((.*)\)$")
_ELEMENTARY = re.compile(r"^(address|bool|string|bytes|bytes(\d+)|u?int(\d*))$")
_DUMMY_ADDRESS = "0x" + "11" * 20


# -- signatures and types ----------------------------------------------------------------------


def split_types(text: str) -> list[str]:
    """`uint256,(address,bool)[]` → ["uint256", "(address,bool)[]"]: commas inside parentheses
    do not split."""
    if not text:
        return []
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    return [*parts, text[start:]]


def type_problem(abi_type: str) -> str | None:
    """Why `abi_type` is not a Solidity ABI type, or None."""
    while abi_type.endswith("]"):
        size = abi_type[abi_type.rfind("[") + 1 : -1]
        if "[" not in abi_type or (size and (not size.isdigit() or int(size) == 0)):
            return _("“%(type)s” has a malformed array size") % {"type": abi_type}
        abi_type = abi_type[: abi_type.rfind("[")]
    if abi_type.startswith("(") and abi_type.endswith(")"):
        inner = split_types(abi_type[1:-1])
        if not inner:
            return _("an empty tuple () is not a type")
        return next((p for p in map(type_problem, inner) if p), None)
    if abi_type in ("int", "uint"):
        return _("write %(type)s256: signatures spell types in full") % {"type": abi_type}
    match = _ELEMENTARY.match(abi_type)
    bad_bytes = match and match.group(2) and not 1 <= int(match.group(2)) <= 32
    bits = match.group(3) if match else ""
    if not match or bad_bytes or (bits and (int(bits) % 8 or not 8 <= int(bits) <= 256)):
        return _("“%(type)s” is not a Solidity type") % {"type": abi_type}
    return None


def signature_problem(signature: Any) -> str | None:
    """Why `signature` is not `name(type,...)` with types spelled as in the ABI, or None."""
    match = _SIGNATURE.match(signature) if isinstance(signature, str) else None
    if match is None:
        return _("write the function as name(type,...), for example transfer(address,uint256)")
    types = split_types(match.group(2))
    if any(not t or t != t.strip() for t in types):
        return _("write the types without spaces, separated by commas: transfer(address,uint256)")
    return next((p for p in map(type_problem, types) if p), None)


def param_for(abi_type: str) -> dict:
    """An ABI parameter for a canonical type, tuples with their components."""
    base, suffix = abi_type, ""
    while base.endswith("]"):
        suffix = base[base.rfind("[") :] + suffix
        base = base[: base.rfind("[")]
    if base.startswith("("):
        components = [param_for(t) for t in split_types(base[1:-1])]
        return {"name": "", "type": "tuple" + suffix, "components": components}
    return {"name": "", "type": abi_type}


def signature_types(signature: str) -> list[str]:
    return split_types(_SIGNATURE.match(signature).group(2))


def placeholder_problems(value: Any, path: tuple, allowed: Sequence[str]) -> list[SpecProblem]:
    if isinstance(value, list):
        return [
            p
            for i, item in enumerate(value)
            for p in placeholder_problems(item, (*path, i), allowed)
        ]
    if isinstance(value, str) and value.startswith("@") and value not in allowed:
        return [
            SpecProblem(
                path,
                _("“%(value)s” is not a placeholder here; use one of %(allowed)s")
                % {"value": value, "allowed": ", ".join(allowed)},
            )
        ]
    return []


def dummy_places(allowed: Sequence[str] = PLACEHOLDERS) -> dict[str, str]:
    return dict.fromkeys(allowed, _DUMMY_ADDRESS)


# -- validating a spec's checks ----------------------------------------------------------------


@dataclass(frozen=True)
class KnownContract:
    """What validation knows of the contract checks run against (an on-chain level), so that it
    can also say a function or an event does not exist. Solidity exercises have none."""

    name: str
    abi: list[dict]
    event_names: frozenset[str]


def check_problems(
    checks: Any, languages: Sequence[str], *, known: KnownContract | None = None
) -> list[SpecProblem]:
    if not isinstance(checks, list) or not checks:
        return [SpecProblem(("checks",), _("needs a list of at least one check"))]
    problems: list[SpecProblem] = []
    for index, check in enumerate(checks):
        path = ("checks", index)
        if not isinstance(check, Mapping):
            problems.append(SpecProblem(path, _("each check must be a mapping")))
            continue
        problems += text_problems(check.get("name"), (*path, "name"), languages)
        problems += text_problems(check.get("hint"), (*path, "hint"), languages, required=False)
        forms = [form for form in FORMS if form in check]
        if len(forms) != 1:
            problems.append(
                SpecProblem(path, _("a check has exactly one of: call, send, balance, storage"))
            )
            continue
        form = forms[0]
        problems += [
            SpecProblem(
                (*path, key),
                _("“%(key)s” is not known for a %(form)s check") % {"key": key, "form": form},
            )
            for key in check
            if key not in KEYS[form] | {"name", "hint"}
        ]
        problems += _FORM_PROBLEMS[form](check, path, known)
    return problems


def _function_problems(
    check: Mapping, path: tuple, known: KnownContract | None
) -> list[SpecProblem]:
    form = "call" if "call" in check else "send"
    signature = check[form]
    if problem := signature_problem(signature):
        return [SpecProblem((*path, form), problem)]
    problems: list[SpecProblem] = []
    entry = None
    if known is not None:
        entry = find_function(known.abi, signature)
        if entry is None:
            problems.append(
                SpecProblem(
                    (*path, form),
                    _("%(contract)s has no function %(signature)s")
                    % {"contract": known.name, "signature": signature},
                )
            )
    problems += _args_problems(check, path, signature)
    problems += _expect_revert_problems(check, path)
    if form == "call":
        problems += _returns_problems(check, path, entry)
    else:
        problems += _send_problems(check, path, known)
    return problems


def _args_problems(check: Mapping, path: tuple, signature: str) -> list[SpecProblem]:
    args = check.get("args", [])
    if not isinstance(args, list):
        return [SpecProblem((*path, "args"), _("args must be a list"))]
    types = signature_types(signature)
    if len(args) != len(types):
        return [
            SpecProblem(
                (*path, "args"),
                _("%(signature)s takes %(want)s arguments; %(got)s are given")
                % {"signature": signature, "want": len(types), "got": len(args)},
            )
        ]
    problems = placeholder_problems(args, (*path, "args"), PLACEHOLDERS)
    if problems:
        return problems
    for index, (abi_type, value) in enumerate(zip(types, args, strict=True)):
        try:
            abi_value(param_for(abi_type), resolve(value, dummy_places()))
        except abiforms.AbiValueError as error:
            problems.append(SpecProblem((*path, "args", index), str(error)))
    return problems


def _returns_problems(check: Mapping, path: tuple, entry: dict | None) -> list[SpecProblem]:
    if "returns" not in check:
        return []
    if check.get("expect_revert"):
        return [SpecProblem((*path, "returns"), _("a call that must revert returns nothing"))]
    returns = check["returns"]
    problems = placeholder_problems(returns, (*path, "returns"), PLACEHOLDERS)
    if problems or entry is None:
        return problems
    outputs = entry.get("outputs", [])
    try:
        expected_values(outputs, resolve(returns, dummy_places()))
    except abiforms.AbiValueError as error:
        problems.append(SpecProblem((*path, "returns"), str(error)))
    return problems


def _send_problems(check: Mapping, path: tuple, known: KnownContract | None) -> list[SpecProblem]:
    problems = []
    sender = as_int(check.get("from", 0))
    if sender is None or not 0 <= sender <= 9:
        problems.append(SpecProblem((*path, "from"), _("from is an account number from 0 to 9")))
    value = as_int(check.get("value_wei", 0))
    if value is None or value < 0:
        problems.append(
            SpecProblem((*path, "value_wei"), _("value_wei is a whole number of wei, 0 or more"))
        )
    event = check.get("expect_event")
    if event is not None:
        if not isinstance(event, str) or not _NAME.match(event):
            problems.append(
                SpecProblem(
                    (*path, "expect_event"), _("expect_event names an event, such as Transfer")
                )
            )
        elif known is not None and event not in known.event_names:
            problems.append(
                SpecProblem(
                    (*path, "expect_event"),
                    _("%(contract)s declares no event %(event)s")
                    % {"contract": known.name, "event": event},
                )
            )
        if check.get("expect_revert"):
            problems.append(
                SpecProblem(
                    (*path, "expect_event"), _("a transaction that reverts emits no events")
                )
            )
    return problems


def _expect_revert_problems(check: Mapping, path: tuple) -> list[SpecProblem]:
    expected = check.get("expect_revert", False)
    if isinstance(expected, bool) or (isinstance(expected, str) and expected.strip()):
        return []
    return [
        SpecProblem(
            (*path, "expect_revert"), _("expect_revert is true, false or the reason's text")
        )
    ]


def _balance_problems(
    check: Mapping, path: tuple, known: KnownContract | None
) -> list[SpecProblem]:
    problems = placeholder_problems(check["balance"], (*path, "balance"), PLACEHOLDERS)
    address = resolve(check["balance"], dummy_places())
    if not problems and not (
        isinstance(address, str) and re.fullmatch(r"0x[0-9a-fA-F]{40}", address)
    ):
        problems.append(
            SpecProblem(
                (*path, "balance"), _("balance names an address or a placeholder such as @contract")
            )
        )
    equals = as_int(check.get("equals"))
    if equals is None or equals < 0:
        problems.append(
            SpecProblem((*path, "equals"), _('equals is a whole number of wei, such as "0"'))
        )
    return problems


def _storage_problems(
    check: Mapping, path: tuple, known: KnownContract | None
) -> list[SpecProblem]:
    problems = []
    slot = as_int(check["storage"])
    if slot is None or not 0 <= slot < 2**256:
        problems.append(SpecProblem((*path, "storage"), _("storage is a slot number, such as 0")))
    if "equals" not in check:
        return [*problems, SpecProblem((*path, "equals"), _("is required"))]
    problems += placeholder_problems(check["equals"], (*path, "equals"), PLACEHOLDERS)
    if not problems and storage_word(resolve(check["equals"], dummy_places())) is None:
        problems.append(
            SpecProblem(
                (*path, "equals"),
                _(
                    "equals is a whole number, true or false, an address, or 0x and up to 64 hex digits"
                ),
            )
        )
    return problems


_FORM_PROBLEMS = {
    "call": _function_problems,
    "send": _function_problems,
    "balance": _balance_problems,
    "storage": _storage_problems,
}
