"""The exchange's refusals, with Binance's codes and exact message texts (client libraries map
errors by them), a stable slug for our own pages, and a `detail` that tells a student what the
allowed values are."""

from __future__ import annotations

from campus.errors import ServiceError


class ExchangeError(ServiceError):
    binance_code = -1000
    http_status = 400

    def __init__(self, msg: str, *, code: str, detail: str = "") -> None:
        super().__init__(code, msg)
        self.msg = msg
        self.detail = detail

    def as_binance(self) -> dict:
        body = {"code": self.binance_code, "msg": self.msg}
        if self.detail:
            body["detail"] = self.detail
        return body


class ApiKeyRejected(ExchangeError):
    """-2015: the key is unknown or revoked, or its owner may no longer trade. The API refuses
    it as a call comes in, and the order desk again as it places an order whose key this
    process had found usable earlier (`desk.place_order`'s `recheck_key`)."""

    binance_code = -2015
    http_status = 401

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "Invalid API-key, IP, or permissions for action.",
            code="api_key_rejected",
            detail=detail,
        )


class FilterFailure(ExchangeError):
    binance_code = -1013

    def __init__(self, filter_name: str, detail: str) -> None:
        super().__init__(
            f"Filter failure: {filter_name}", code=f"filter_{filter_name.lower()}", detail=detail
        )
        self.filter_name = filter_name


class MarketClosed(ExchangeError):
    binance_code = -2010  # Binance lists "Market is closed." among -2010 NEW_ORDER_REJECTED texts

    def __init__(self, symbol: str) -> None:
        super().__init__(
            "Market is closed.",
            code="market_closed",
            detail=f"{symbol} is halted by the instructor; orders can be cancelled, not placed.",
        )


class OrderRejected(ExchangeError):
    """-2010 NEW_ORDER_REJECTED."""

    binance_code = -2010


def insufficient_balance(detail: str = "") -> OrderRejected:
    return OrderRejected(
        "Account has insufficient balance for requested action.",
        code="insufficient_balance",
        detail=detail,
    )


def duplicate_order() -> OrderRejected:
    return OrderRejected(
        "Duplicate order sent.",
        code="duplicate_order",
        detail="An order with this newClientOrderId exists already; nothing new was placed.",
    )


class CancelRejected(ExchangeError):
    """-2011 CANCEL_REJECTED."""

    binance_code = -2011

    def __init__(self, detail: str = "") -> None:
        super().__init__("Unknown order sent.", code="unknown_order", detail=detail)


class OrderNotFound(ExchangeError):
    """-2013 NO_SUCH_ORDER (querying an order)."""

    binance_code = -2013

    def __init__(self) -> None:
        super().__init__("Order does not exist.", code="order_not_found")


class InvalidSymbol(ExchangeError):
    binance_code = -1121

    def __init__(self, symbol: str) -> None:
        super().__init__("Invalid symbol.", code="invalid_symbol", detail=f"No market {symbol!r}.")


class MandatoryParameter(ExchangeError):
    binance_code = -1102

    def __init__(self, name: str) -> None:
        super().__init__(
            f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.",
            code="missing_parameter",
        )
        self.parameter = name


class IllegalParameter(ExchangeError):
    binance_code = -1100

    def __init__(self, name: str, detail: str = "") -> None:
        super().__init__(
            f"Illegal characters found in parameter '{name}'; legal range is '{detail}'."
            if detail
            else f"Illegal characters found in parameter '{name}'.",
            code="illegal_parameter",
            detail=detail,
        )
        self.parameter = name


class UnexpectedParameter(ExchangeError):
    binance_code = -1106

    def __init__(self, name: str) -> None:
        super().__init__(f"Parameter '{name}' sent when not required.", code="unexpected_parameter")


class InvalidEnum(ExchangeError):
    """-1115 timeInForce, -1116 orderType, -1117 side."""

    CODES = {"timeInForce": -1115, "type": -1116, "side": -1117}
    MESSAGES = {
        "timeInForce": "Invalid timeInForce.",
        "type": "Invalid orderType.",
        "side": "Invalid side.",
    }

    def __init__(self, name: str, allowed: list[str]) -> None:
        super().__init__(
            self.MESSAGES[name],
            code=f"invalid_{name.lower()}",
            detail="Use one of: " + ", ".join(allowed),
        )
        self.binance_code = self.CODES[name]
