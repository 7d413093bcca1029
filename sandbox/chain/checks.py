"""The check vocabulary of the Solidity and on-chain graders (courses/catalog/README.md, "Checks").

A check is one of `call` (a view call on the contract), `send` (a transaction to it), `balance`
(an address's ether) or `storage` (a slot of the contract), with a localised `name` and an
optional `hint`. `run_checks` runs a spec's list in order against a contract on a chain and says,
for each check, what it saw in words a student can act on ("totalSupply() returned 999, expected
1000"). Values compare by the ABI type the contract declares: integers as integers (YAML's
quoted digits included), addresses in any case, booleans, strings, bytes, and arrays and structs
element by element. `checks_spec.check_problems` validates a spec's list with this vocabulary.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_abi.exceptions import DecodingError
from eth_utils import to_checksum_address
from web3 import Web3

from courses.api import CheckResult, GradingError
from sandbox.chain import abiforms
from sandbox.chain.execution import Execution, capped_transaction, execute, simulate
from sandbox.chain.studio import find_function

ACCOUNT_PLACEHOLDERS = tuple(f"@account{n}" for n in range(10))
PLACEHOLDERS = (*ACCOUNT_PLACEHOLDERS, "@contract", "@player")
FORMS = ("call", "send", "balance", "storage")
KEYS = {
    "call": {"call", "args", "returns", "expect_revert"},
    "send": {"send", "from", "args", "value_wei", "expect_event", "expect_revert"},
    "balance": {"balance", "equals"},
    "storage": {"storage", "equals"},
}
FULL_WORD = 2**256 - 1
ADDRESS_BITS = 2**160 - 1


# -- values ------------------------------------------------------------------------------------


def as_int(value: Any) -> int | None:
    """An integer given as a YAML int, a string of digits, or 0x hex; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"0x[0-9a-fA-F]+", value.strip()):
        return int(value, 16)
    return None


def resolve(value: Any, places: Mapping[str, str]) -> Any:
    """`value` with every placeholder string replaced by its address, in lists too."""
    if isinstance(value, list):
        return [resolve(item, places) for item in value]
    if isinstance(value, str) and value in places:
        return places[value]
    return value


def abi_value(param: dict, value: Any) -> Any:
    """A YAML value (placeholders resolved) as the typed value of `param`, read the way a
    student's typed text is read. Raises abiforms.AbiValueError."""
    if param["type"].endswith("]") or param["type"].startswith("tuple"):
        text = value if isinstance(value, str) else json.dumps(value)
        return abiforms.parse_value(param, text)
    if isinstance(value, list | dict):
        raise abiforms.AbiValueError(_("expected one value, not a list"))
    if isinstance(value, bool):
        value = "true" if value else "false"
    return abiforms.parse_value(param, str(value))


def canonical(param: dict, value: Any) -> Any:
    """A decoded value in the shape `abi_value` gives: lists for arrays, checksummed addresses."""
    abi_type = param["type"]
    if abi_type.endswith("]"):
        element = {**param, "type": abi_type[: abi_type.rfind("[")]}
        return [canonical(element, item) for item in value]
    if abi_type == "tuple":
        return tuple(canonical(c, v) for c, v in zip(param["components"], value, strict=True))
    if abi_type == "address":
        return to_checksum_address(value)
    return value


def shown(params: Sequence[dict], values: Sequence[Any]) -> str:
    texts = [abiforms.display_value(p, v) for p, v in zip(params, values, strict=True)]
    return texts[0] if len(texts) == 1 else "(" + ", ".join(texts) + ")"


def expected_values(outputs: Sequence[dict], returns: Any) -> list[Any]:
    """`returns` (placeholders resolved) as the typed values of a function's outputs: a single
    value for one output (a list for an array or a struct), a list for several."""
    if len(outputs) == 1:
        single = outputs[0]
        composite = single["type"].endswith("]") or single["type"].startswith("tuple")
        if isinstance(returns, list) and not composite:
            if len(returns) != 1:
                raise abiforms.AbiValueError(
                    _("the function returns one value; %(n)s are expected") % {"n": len(returns)}
                )
            returns = returns[0]
        return [abi_value(single, returns)]
    if not isinstance(returns, list) or len(returns) != len(outputs):
        raise abiforms.AbiValueError(
            _("the function returns %(n)s values: give returns as a list of %(n)s")
            % {"n": len(outputs)}
        )
    return [abi_value(p, v) for p, v in zip(outputs, returns, strict=True)]


def storage_word(value: Any) -> tuple[int, int] | None:
    """What a storage check expects, as (value, mask): an address is compared with the slot's
    low 20 bytes (other variables may share its slot), anything else with the whole word."""
    if isinstance(value, bool):
        return int(value), FULL_WORD
    if isinstance(value, str) and re.fullmatch(r"0x[0-9a-fA-F]{40}", value.strip()):
        return int(value, 16), ADDRESS_BITS
    number = as_int(value)
    if number is None or not 0 <= number <= FULL_WORD:
        return None
    return number, FULL_WORD


# -- running checks ----------------------------------------------------------------------------


@dataclass
class Target:
    """What checks run against: a contract on a chain and the student's accounts."""

    w3: Web3
    address: str
    contract: str
    abi: list[dict]
    accounts: Sequence[str]
    player: str
    abis: list[list[dict]] = field(default_factory=list)
    """Every ABI compiled with the contract: its events and custom errors count too."""

    @property
    def places(self) -> dict[str, str]:
        places = {f"@account{n}": address for n, address in enumerate(self.accounts)}
        return {**places, "@contract": self.address, "@player": self.player}


def run_checks(checks: Sequence[Mapping], target: Target) -> list[CheckResult]:
    """Run the checks in order (a `send` changes the chain for the checks after it)."""
    return [run_check(check, target) for check in checks]


def run_check(check: Mapping, target: Target) -> CheckResult:
    form = next(form for form in FORMS if form in check)
    try:
        passed, detail = _RUNNERS[form](check, target)
    except (abiforms.AbiValueError, KeyError, TypeError, ValueError) as error:
        raise GradingError(
            _("The check “%(check)s” cannot be run: %(error)s")
            % {"check": check.get(form), "error": error}
        ) from error
    hint = None if passed else check.get("hint")
    return CheckResult(name=check["name"], passed=passed, detail=detail, hint=hint)


def _function(check: Mapping, form: str, target: Target) -> tuple[dict | None, bytes, str]:
    """The ABI entry the check names and its call data, or None and why the contract lacks it."""
    signature = check[form]
    entry = find_function(target.abi, signature)
    if entry is None:
        missing = _("%(contract)s has no function %(signature)s")
        return None, b"", missing % {"contract": target.contract, "signature": signature}
    arguments = encoded_arguments(entry.get("inputs", []), check.get("args", []), target.places)
    return entry, abiforms.selector(entry) + arguments, ""


def _run_call(check: Mapping, target: Target) -> tuple[bool, str]:
    entry, data, missing = _function(check, "call", target)
    if entry is None:
        return False, missing
    tx = capped_transaction(
        target.w3, sender=target.player, data=data, to=target.address, priced=False
    )
    run = simulate(target.w3, tx, [target.abi, *target.abis])
    what = check["call"]
    if check.get("expect_revert"):
        return _reverted_as_expected(run, check["expect_revert"], what)
    if not run.ok:
        return False, run.failure(what)
    if "returns" not in check:
        return True, ""
    return _compare_returns(entry, run.output, check["returns"], target, what)


def _compare_returns(
    entry: dict, raw: bytes, returns: Any, target: Target, what: str
) -> tuple[bool, str]:
    outputs = entry.get("outputs", [])
    try:
        decoded = abi_decode([abiforms.canonical_type(p) for p in outputs], raw)
    except (DecodingError, ValueError, OverflowError):
        return False, _("the answer of %(what)s could not be read as its declared outputs") % {
            "what": what
        }
    actual = [canonical(p, v) for p, v in zip(outputs, decoded, strict=True)]
    try:
        wanted = expected_values(outputs, resolve(returns, target.places))
    except abiforms.AbiValueError as error:
        return False, _(
            "%(what)s returned %(actual)s, which cannot be compared with %(expected)s: %(error)s"
        ) % {
            "what": what,
            "actual": shown(outputs, actual),
            "expected": json.dumps(returns),
            "error": error,
        }
    if actual == wanted:
        return True, ""
    return False, _("%(what)s returned %(actual)s, expected %(expected)s") % {
        "what": what,
        "actual": shown(outputs, actual),
        "expected": shown(outputs, wanted),
    }


def _run_send(check: Mapping, target: Target) -> tuple[bool, str]:
    entry, data, missing = _function(check, "send", target)
    if entry is None:
        return False, missing
    sender = target.accounts[as_int(check.get("from", 0))]
    value = as_int(check.get("value_wei", 0))
    tx = capped_transaction(target.w3, sender=sender, data=data, to=target.address, value=value)
    run = execute(target.w3, tx, [target.abi, *target.abis])
    what = _("the transaction %(signature)s") % {"signature": check["send"]}
    if check.get("expect_revert"):
        return _reverted_as_expected(run, check["expect_revert"], what)
    if not run.ok:
        return False, run.failure(what)
    if check.get("expect_event"):
        return _emitted(run.receipt, check["expect_event"], target)
    return True, ""


def _reverted_as_expected(run: Execution, expected: bool | str, what: str) -> tuple[bool, str]:
    if run.ok:
        return False, _("%(what)s did not revert") % {"what": what}
    if not run.reverted or run.out_of_gas:
        return False, run.failure(what)
    if isinstance(expected, str) and expected.strip().lower() not in run.reason.lower():
        return False, _(
            "%(what)s reverted with “%(reason)s”, expected a reason containing “%(expected)s”"
        ) % {
            "what": what,
            "reason": run.reason,
            "expected": expected.strip(),
        }
    return True, ""


def _emitted(receipt: Any, event: str, target: Target) -> tuple[bool, str]:
    names = {
        abiforms.event_topic(entry): entry["name"]
        for abi in [target.abi, *target.abis]
        for entry in abi
        if entry.get("type") == "event" and not entry.get("anonymous")
    }
    topics = [bytes(log["topics"][0]) for log in receipt["logs"] if log["topics"]]
    if any(names.get(topic) == event for topic in topics):
        return True, ""
    if event not in names.values():
        return False, _("no %(event)s event was emitted: no contract here declares one") % {
            "event": event
        }
    emitted = sorted({names.get(topic, "?") for topic in topics})
    if emitted:
        return False, _("no %(event)s event was emitted (it emitted: %(emitted)s)") % {
            "event": event,
            "emitted": ", ".join(emitted),
        }
    return False, _("no %(event)s event was emitted") % {"event": event}


def _run_balance(check: Mapping, target: Target) -> tuple[bool, str]:
    address = to_checksum_address(resolve(check["balance"], target.places))
    balance = target.w3.eth.get_balance(address)
    expected = as_int(check["equals"])
    if balance == expected:
        return True, ""
    return False, _("%(who)s holds %(balance)s wei, expected %(expected)s") % {
        "who": _who(check["balance"], address),
        "balance": balance,
        "expected": expected,
    }


def _run_storage(check: Mapping, target: Target) -> tuple[bool, str]:
    slot = as_int(check["storage"])
    word = int.from_bytes(bytes(target.w3.eth.get_storage_at(target.address, slot)), "big")
    expected, mask = storage_word(resolve(check["equals"], target.places))
    if word & mask == expected:
        return True, ""
    return False, _("storage slot %(slot)s holds %(word)s, expected %(expected)s") % {
        "slot": slot,
        "word": f"0x{word:064x}",
        "expected": f"0x{expected:040x}"
        if mask == ADDRESS_BITS
        else f"{expected} (0x{expected:064x})",
    }


def _who(given: str, address: str) -> str:
    return f"{given} ({address})" if given.startswith("@") else address


_RUNNERS = {
    "call": _run_call,
    "send": _run_send,
    "balance": _run_balance,
    "storage": _run_storage,
}


def encoded_arguments(
    inputs: Sequence[dict], args: Sequence[Any], places: Mapping[str, str]
) -> bytes:
    """The ABI encoding of a spec's arguments (placeholders resolved) for `inputs`. Raises
    abiforms.AbiValueError for a value that does not fit, ValueError for a wrong count."""
    if len(args) != len(inputs):
        raise ValueError(
            _("it takes %(want)s arguments, %(got)s are given")
            % {"want": len(inputs), "got": len(args)}
        )
    values = [abi_value(p, resolve(v, places)) for p, v in zip(inputs, args, strict=True)]
    return abi_encode([abiforms.canonical_type(p) for p in inputs], values)
