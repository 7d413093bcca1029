"""POST, PUT and DELETE /api/v3/userDataStream: listen keys for the user data WebSocket stream
(`/ws/<listenKey>`), with the API key alone, as Binance's are."""

from __future__ import annotations

from sandbox.exchange import listenkeys
from sandbox.exchange.api.endpoint import Call, Security, endpoint
from sandbox.exchange.errors import ExchangeError


class UnknownListenKey(ExchangeError):
    binance_code = -1125

    def __init__(self) -> None:
        super().__init__("This listenKey does not exist.", code="unknown_listen_key")


@endpoint(security=Security.USER_STREAM, weight=2)
def open_stream(call: Call) -> dict:
    key = listenkeys.open_listen_key(
        api_key_id=call.api_key.pk, offering_id=call.offering.pk, owner_id=call.owner_id
    )
    return {"listenKey": key}


@endpoint(security=Security.USER_STREAM, weight=2)
def keep_alive(call: Call) -> dict:
    if not listenkeys.keep_alive(
        api_key_id=call.api_key.pk, key=call.params.text("listenKey", required=True)
    ):
        raise UnknownListenKey()
    return {}


@endpoint(security=Security.USER_STREAM, weight=2)
def close_stream(call: Call) -> dict:
    if not listenkeys.close_listen_key(
        api_key_id=call.api_key.pk, key=call.params.text("listenKey", required=True)
    ):
        raise UnknownListenKey()
    return {}
