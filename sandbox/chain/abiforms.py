"""Contract arguments as people type them, and contract values as people read them.

A form field holds text; a contract wants typed values. `parse_arguments` turns the texts into
the values the ABI types name, or raises `ArgumentError` saying which argument is wrong and why,
in words a student can act on. `display_value` goes the other way for results, events and
decoded calls. Pure (no database, no network; Django only for translated messages); the studio
and the explorer share it.

What a student types, by type: integers in decimal (`1000`, `1_000`, `1e18`, or `0x` hex);
addresses as 40 hex digits (any case; mixed case must be a valid EIP-55 checksum); booleans as
true/false; strings as they are; bytes as `0x` hex; arrays and structs (tuples) as JSON arrays.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from eth_utils import is_checksum_address, keccak, to_checksum_address

_INTEGER = re.compile(r"^(u?)int(\d*)$")
_FIXED_BYTES = re.compile(r"^bytes(\d+)$")
_ARRAY = re.compile(r"^(.*)\[(\d*)\]$")
_DECIMAL = re.compile(r"^-?\d+(_\d+)*$")
_SCIENTIFIC = re.compile(r"^(-?\d+)(?:\.(\d+))?e(\d+)$", re.IGNORECASE)
_HEX = re.compile(r"^0x[0-9a-fA-F]*$")
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


class AbiValueError(ValueError):
    """A value that does not fit its ABI type; the message says what would."""


class ArgumentError(AbiValueError):
    def __init__(self, index: int, name: str, message: str) -> None:
        super().__init__(message)
        self.index, self.name, self.message = index, name, message

    def __str__(self) -> str:
        label = self.name or _("argument %(n)s") % {"n": self.index + 1}
        return f"{label}: {self.message}"


@dataclass(frozen=True)
class Field:
    """One input of a function or constructor as a form shows it, with what was typed in it."""

    name: str
    abi_type: str
    hint: str
    value: str = ""
    invalid: bool = False


# -- types and signatures ----------------------------------------------------------------------


def canonical_type(param: dict) -> str:
    """The type as signatures and eth_abi spell it: structs become `(t1,t2)` plus any array
    suffix."""
    abi_type = param["type"]
    if abi_type.startswith("tuple"):
        inner = ",".join(canonical_type(c) for c in param.get("components", []))
        return f"({inner}){abi_type[len('tuple') :]}"
    return abi_type


def signature(entry: dict) -> str:
    """`transfer(address,uint256)`: how functions, events and errors are told apart."""
    return (
        f"{entry.get('name', '')}({','.join(canonical_type(p) for p in entry.get('inputs', []))})"
    )


def selector(entry: dict) -> bytes:
    """The four bytes a call or custom error starts with."""
    return keccak(text=signature(entry))[:4]


def event_topic(entry: dict) -> bytes:
    return keccak(text=signature(entry))


def fields(entry: dict, values: list[str] | None = None, invalid: int = -1) -> list[Field]:
    """The entry's inputs as form fields, filled with `values`; the one at `invalid` refused."""
    values = values or []
    return [
        Field(
            name=p.get("name") or f"arg{i}",
            abi_type=canonical_type(p),
            hint=hint(p),
            value=values[i] if i < len(values) else "",
            invalid=i == invalid,
        )
        for i, p in enumerate(entry.get("inputs", []))
    ]


def is_read_only(entry: dict) -> bool:
    return entry.get("stateMutability") in ("view", "pure")


def hint(param: dict) -> str:
    """A short placeholder for the form field (English: it names types, not prose)."""
    abi_type = param["type"]
    if _ARRAY.match(abi_type) or abi_type.startswith("tuple"):
        return '["…", …] (JSON)'
    if integer := _INTEGER.match(abi_type):
        return "-123" if not integer.group(1) else _("123 or 1e18")
    if abi_type == "address":
        return _("0x… (40 hex digits)")
    if abi_type == "bool":
        return _("true or false")
    if fixed := _FIXED_BYTES.match(abi_type):
        return _("0x… (%(size)s bytes)") % {"size": fixed.group(1)}
    if abi_type == "bytes":
        return "0x…"
    return ""


# -- parsing -----------------------------------------------------------------------------------


def parse_arguments(inputs: list[dict], texts: list[str]) -> list[Any]:
    """The typed values for an entry's inputs. Raises ArgumentError for the first bad one."""
    if len(texts) != len(inputs):
        raise ArgumentError(
            len(texts),
            "",
            _("expected %(want)s arguments, got %(got)s")
            % {"want": len(inputs), "got": len(texts)},
        )
    values = []
    for index, (param, text) in enumerate(zip(inputs, texts, strict=True)):
        try:
            values.append(parse_value(param, text))
        except AbiValueError as error:
            raise ArgumentError(index, param.get("name", ""), str(error)) from None
    return values


def parse_value(param: dict, text: str) -> Any:
    abi_type = param["type"]
    if _ARRAY.match(abi_type) or abi_type.startswith("tuple"):
        return _from_json(param, _load_json(text))
    if abi_type == "string":
        return text
    text = text.strip()
    if not text:
        raise AbiValueError(_("a value is needed (%(type)s)") % {"type": abi_type})
    return _scalar(abi_type, text)


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise AbiValueError('expected a JSON array, such as ["0xAb…", "0xCd…"] or [1, 2]') from None


def _from_json(param: dict, value: Any) -> Any:
    abi_type = param["type"]
    if array := _ARRAY.match(abi_type):
        element, size = {**param, "type": array.group(1)}, array.group(2)
        if not isinstance(value, list):
            raise AbiValueError(
                _("expected a JSON array for %(type)s") % {"type": canonical_type(param)}
            )
        if size and len(value) != int(size):
            raise AbiValueError(
                _("expected exactly %(size)s items, got %(got)s")
                % {"size": size, "got": len(value)}
            )
        return [_from_json(element, item) for item in value]
    if abi_type == "tuple":
        return _tuple_from_json(param, value)
    if abi_type == "string":
        if not isinstance(value, str):
            raise AbiValueError(_("expected a JSON string in quotes for a string item"))
        return value
    if isinstance(value, bool):
        value = "true" if value else "false"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            raise AbiValueError(_("%(value)s is not a whole number") % {"value": value})
        value = str(int(value))
    if not isinstance(value, str):
        raise AbiValueError(
            _("expected a %(type)s, got %(value)s") % {"type": abi_type, "value": json.dumps(value)}
        )
    return _scalar(abi_type, value.strip())


def _tuple_from_json(param: dict, value: Any) -> tuple:
    components = param.get("components", [])
    if isinstance(value, dict):
        missing = [c["name"] for c in components if c.get("name") not in value]
        if missing:
            raise AbiValueError(_("missing %(names)s") % {"names": ", ".join(missing)})
        value = [value[c["name"]] for c in components]
    if not isinstance(value, list) or len(value) != len(components):
        raise AbiValueError(
            _("expected a JSON array of %(count)s items for the struct")
            % {"count": len(components)}
        )
    return tuple(_from_json(c, item) for c, item in zip(components, value, strict=True))


def _scalar(abi_type: str, text: str) -> Any:
    if integer := _INTEGER.match(abi_type):
        return _integer(text, signed=not integer.group(1), bits=int(integer.group(2) or 256))
    if abi_type == "address":
        return _address(text)
    if abi_type == "bool":
        return _bool(text)
    if abi_type == "bytes":
        return _hex_bytes(text)
    if fixed := _FIXED_BYTES.match(abi_type):
        return _fixed_bytes(text, int(fixed.group(1)))
    raise AbiValueError(_("the type %(type)s cannot be entered in a form") % {"type": abi_type})


def _integer(text: str, *, signed: bool, bits: int) -> int:
    value = _whole_number(text)
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    if not low <= value <= high:
        kind = f"int{bits}" if signed else f"uint{bits}"
        bound = f"-2^{bits - 1} and 2^{bits - 1}-1" if signed else f"0 and 2^{bits}-1"
        raise AbiValueError(
            _("%(text)s is out of range: %(kind)s values are between %(bound)s")
            % {"text": text, "kind": kind, "bound": bound}
        )
    return value


def _whole_number(text: str) -> int:
    cleaned = text.replace(",", "") if re.fullmatch(r"-?\d{1,3}(,\d{3})+", text) else text
    if _DECIMAL.match(cleaned):
        return int(cleaned.replace("_", ""))
    if _HEX.match(text) and len(text) > 2:
        return int(text, 16)
    if scientific := _SCIENTIFIC.match(text):
        whole, fraction, exponent = scientific.groups()
        fraction = fraction or ""
        if len(fraction.rstrip("0")) > int(exponent):
            raise AbiValueError(_("%(value)s is not a whole number") % {"value": text})
        digits = whole + fraction.ljust(int(exponent), "0")
        return int(digits)
    raise AbiValueError(
        _("“%(text)s” is not a whole number (write it in digits, e.g. 1000 or 1e18)")
        % {"text": text}
    )


def _address(text: str) -> str:
    if not re.fullmatch(r"0x[0-9a-fA-F]{40}", text):
        raise AbiValueError(
            _("“%(text)s” is not an address: expected 0x and 40 hex digits (20 bytes)")
            % {"text": text}
        )
    mixed_case = text[2:] != text[2:].lower() and text[2:] != text[2:].upper()
    if mixed_case and not is_checksum_address(text):
        raise AbiValueError(
            _(
                "%(text)s has a wrong checksum (mixed upper and lower case letters): check for a "
                "typo, or write it all in lower case"
            )
            % {"text": text}
        )
    return to_checksum_address(text)


def _bool(text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise AbiValueError(_("“%(text)s” is not a boolean: write true or false") % {"text": text})


def _hex_bytes(text: str) -> bytes:
    if not _HEX.match(text):
        raise AbiValueError(
            _("“%(text)s” is not hex bytes: expected 0x followed by hex digits") % {"text": text}
        )
    if len(text) % 2:
        raise AbiValueError(_("hex bytes need an even number of digits (two per byte)"))
    return bytes.fromhex(text[2:])


def _fixed_bytes(text: str, size: int) -> bytes:
    if not 1 <= size <= 32:
        raise AbiValueError(_("bytes%(size)s is not a valid type") % {"size": size})
    value = _hex_bytes(text)
    if len(value) != size:
        raise AbiValueError(
            _("a bytes%(size)s is exactly %(size)s bytes (%(digits)s hex digits), got %(got)s")
            % {"size": size, "digits": size * 2, "got": len(value)}
        )
    return value


# -- display -----------------------------------------------------------------------------------


def display_value(param: dict, value: Any) -> str:
    """A value as text a student can read and paste back into a form."""
    shown = _plain(param, value)
    return shown if isinstance(shown, str) else json.dumps(shown, ensure_ascii=False)


def _plain(param: dict, value: Any) -> Any:
    abi_type = param["type"]
    if array := _ARRAY.match(abi_type):
        element = {**param, "type": array.group(1)}
        return [_plain(element, item) for item in value]
    if abi_type == "tuple":
        components = param.get("components", [])
        return [_plain(c, item) for c, item in zip(components, value, strict=False)]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if abi_type == "address" and isinstance(value, str):
        return to_checksum_address(value)
    return str(value)
