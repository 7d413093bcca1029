"""Refusals that only the HTTP API makes (keys, signatures, timing, limits, parameters), in
Binance's codes and exact message texts, as `ExchangeError`s so one handler renders them all."""

from __future__ import annotations

from sandbox.exchange.errors import ExchangeError


class ApiKeyFormatInvalid(ExchangeError):
    binance_code = -2014
    http_status = 401

    def __init__(self, detail: str = "") -> None:
        super().__init__("API-key format invalid.", code="api_key_format", detail=detail)


class InvalidSignature(ExchangeError):
    binance_code = -1022

    def __init__(self) -> None:
        super().__init__(
            "Signature for this request is not valid.",
            code="invalid_signature",
            detail="HMAC-SHA256 (hex) of the query string followed directly by the request body, "
            "without the signature parameter, keyed with your secret key.",
        )


class InvalidTimestamp(ExchangeError):
    binance_code = -1021

    @classmethod
    def outside_window(cls, lag_ms: int, window_ms: int) -> InvalidTimestamp:
        return cls(
            "Timestamp for this request is outside of the recvWindow.",
            code="timestamp_outside_window",
            detail=f"The request is {lag_ms} ms old; recvWindow is {window_ms} ms.",
        )

    @classmethod
    def ahead(cls) -> InvalidTimestamp:
        return cls(
            "Timestamp for this request was 1000ms ahead of the server's time.",
            code="timestamp_ahead",
            detail="Synchronise your clock with GET /api/v3/time.",
        )


class BadRecvWindow(ExchangeError):
    binance_code = -1131

    def __init__(self) -> None:
        super().__init__("recvWindow must be less than 60000", code="bad_recv_window")


class TooMuchWeight(ExchangeError):
    binance_code = -1003
    http_status = 429

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(
            f"Too much request weight used; current limit is {limit} request weight per 1 MINUTE. "
            "Please use WebSocket Streams for live updates to avoid polling the API.",
            code="too_much_weight",
        )
        self.headers = {"Retry-After": str(retry_after)}


class TooManyOrders(ExchangeError):
    """Binance sends no Retry-After with this one."""

    binance_code = -1015
    http_status = 429

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"Too many new orders; current limit is {limit} orders per 10 SECOND.",
            code="too_many_orders",
        )


class InvalidInterval(ExchangeError):
    binance_code = -1120

    def __init__(self, allowed: list[str]) -> None:
        super().__init__(
            "Invalid interval.", code="invalid_interval", detail="Use one of: " + ", ".join(allowed)
        )


class InvalidParameter(ExchangeError):
    binance_code = -1130

    def __init__(self, name: str, detail: str = "") -> None:
        super().__init__(
            f"Data sent for parameter '{name}' is not valid.",
            code="invalid_parameter",
            detail=detail,
        )


class EitherParameter(ExchangeError):
    binance_code = -1102

    def __init__(self, first: str, second: str) -> None:
        super().__init__(
            f"Param '{first}' or '{second}' must be sent, but both were empty/null!",
            code="missing_parameter",
        )


class BadPrecision(ExchangeError):
    binance_code = -1111

    def __init__(self, name: str, places: int) -> None:
        super().__init__(
            "Precision is over the maximum defined for this asset.",
            code="bad_precision",
            detail=f"{name} may have at most {places} decimal places.",
        )


class NotSupported(ExchangeError):
    """-2010 with Binance's text for a feature the symbol does not enable (exchangeInfo says so)."""

    binance_code = -2010

    def __init__(self, msg: str) -> None:
        super().__init__(msg, code="not_supported")


class UnknownOffering(ExchangeError):
    binance_code = -1000
    http_status = 404

    def __init__(self, slug: str) -> None:
        super().__init__(
            "Unknown offering.",
            code="unknown_offering",
            detail=f"No offering {slug!r}: the base URL is /o/<offering-slug>/api/.",
        )


def offering_required() -> ApiKeyFormatInvalid:
    return ApiKeyFormatInvalid(
        "Market data is per offering: send your X-MBX-APIKEY, or use the offering's base URL "
        "/o/<offering-slug>/api/v3/..."
    )


class BadParameterCombination(ExchangeError):
    binance_code = -1128

    def __init__(self, detail: str) -> None:
        super().__init__(
            "Combination of optional parameters invalid.", code="bad_combination", detail=detail
        )
