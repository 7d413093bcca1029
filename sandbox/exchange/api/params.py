"""Reading a request's parameters the way Binance does.

Parameters come from the query string and, for POST/PUT/DELETE, a form-encoded body; a name in
both takes the query string's value. An empty value counts as not sent. Each typed reader refuses
a malformed value with Binance's code and message, naming the parameter.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest, QueryDict

from sandbox.exchange.api.errors import BadPrecision, InvalidParameter
from sandbox.exchange.errors import IllegalParameter, MandatoryParameter
from sandbox.exchange.selectors import from_epoch_ms
from sandbox.wallet.models import MONEY_PLACES

DECIMAL = re.compile(r"^([0-9]{1,20})(\.[0-9]{1,20})?$")
DECIMAL_RANGE = r"^([0-9]{1,20})(\.[0-9]{1,20})?$"
LONG = re.compile(r"^-?[0-9]{1,20}$")
LONG_RANGE = r"^-?[0-9]{1,20}$"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
LATEST_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
SYMBOL = re.compile(r"^[A-Za-z0-9\-_.]{1,20}$")
SYMBOL_RANGE = r"^[A-Z0-9-_.]{1,20}$"
FORM = "application/x-www-form-urlencoded"
QUANTUM = Decimal(1).scaleb(-MONEY_PLACES)


class Params:
    def __init__(self, query: QueryDict, body: QueryDict) -> None:
        self._values: dict[str, str] = {}
        for source in (body, query):  # the query string wins
            for name, value in source.items():
                self._values[name] = value

    @classmethod
    def of(cls, request: HttpRequest) -> Params:
        return cls(request.GET, _body_params(request))

    def __contains__(self, name: str) -> bool:
        return bool(self._values.get(name))

    def names(self) -> set[str]:
        return {name for name, value in self._values.items() if value}

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self._values.get(name) or None
        if value is None and required:
            raise MandatoryParameter(name)
        return value

    def symbol(self, name: str = "symbol") -> str:
        value = self.text(name, required=True)
        if not SYMBOL.match(value):
            raise IllegalParameter(name, SYMBOL_RANGE)
        return value.upper()

    def symbols(self) -> list[str] | None:
        """`symbols=["BTCKRW","ETHKRW"]` (JSON array, URL-encoded or not)."""
        raw = self.text("symbols")
        if raw is None:
            return None
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if not isinstance(parsed, list) or not all(isinstance(s, str) for s in parsed):
            raise IllegalParameter("symbols", '["SYMBOL", ...]')
        for symbol in parsed:
            if not SYMBOL.match(symbol):
                raise IllegalParameter("symbols", SYMBOL_RANGE)
        return [symbol.upper() for symbol in parsed]

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        if not DECIMAL.match(value):
            raise IllegalParameter(name, DECIMAL_RANGE)
        amount = Decimal(value)
        if amount != amount.quantize(QUANTUM):
            raise BadPrecision(name, MONEY_PLACES)
        return amount

    def long(self, name: str, *, required: bool = False) -> int | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        if not LONG.match(value) or not INT64_MIN <= int(value) <= INT64_MAX:
            raise IllegalParameter(name, LONG_RANGE)
        return int(value)

    def time_ms(self, name: str) -> int | None:
        """A time in Unix milliseconds, between 1970 and the year 9999."""
        value = self.long(name)
        if value is not None and not 0 <= value <= LATEST_MS:
            raise IllegalParameter(name, f"0-{LATEST_MS}")
        return value

    def moment(self, name: str) -> datetime | None:
        """A `time_ms` parameter as an aware datetime, for selectors that filter on timestamps."""
        value = self.time_ms(name)
        return None if value is None else from_epoch_ms(value)

    def limit(self, *, default: int, maximum: int) -> int:
        """Binance truncates a limit over the maximum; a limit below one is refused."""
        value = self.long("limit")
        if value is None:
            return default
        if value < 1:
            raise IllegalParameter("limit", f"1-{maximum}")
        return min(value, maximum)

    def choice(self, name: str, allowed: tuple[str, ...], *, default: str | None = None) -> str:
        value = self.text(name)
        if value is None:
            return default
        if value not in allowed:
            raise InvalidParameter(name, "Use one of: " + ", ".join(allowed))
        return value

    def boolean(self, name: str) -> bool:
        value = self.text(name)
        if value is None:
            return False
        if value.lower() not in ("true", "false"):
            raise InvalidParameter(name, "Use true or false.")
        return value.lower() == "true"


def form_body(request: HttpRequest) -> str:
    """The request body if it carries parameters: Binance reads only form-encoded bodies (an
    empty one, or another content type such as the JSON some clients declare, carries none)."""
    if not request.body or (request.content_type or FORM) != FORM:
        return ""
    return request.body.decode(request.encoding or "utf-8", "replace")


def _body_params(request: HttpRequest) -> QueryDict:
    body = form_body(request)
    return QueryDict(body, encoding=request.encoding or "utf-8") if body else QueryDict()
