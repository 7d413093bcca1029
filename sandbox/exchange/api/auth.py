"""Who is calling, and whether a SIGNED request is genuine and fresh.

Binance signs `totalParams`: the query string followed directly by the request body (no `&`
between them), as the bytes were sent, less the `signature` parameter itself. The signature is
HMAC-SHA256 keyed with the secret, in hex, compared case-insensitively.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time

from django.http import HttpRequest

from campus.errors import ServiceError
from sandbox.exchange.api.errors import (
    ApiKeyFormatInvalid,
    BadRecvWindow,
    InvalidSignature,
    InvalidTimestamp,
)
from sandbox.exchange.api.params import Params, form_body
from sandbox.exchange.apikeys import decrypt_secret, usable_key
from sandbox.exchange.errors import ApiKeyRejected, IllegalParameter
from sandbox.exchange.models import ApiKey

API_KEY_FORMAT = re.compile(r"^[A-Za-z0-9]{64}$")
SIGNATURE_FORMAT = re.compile(r"^[0-9a-fA-F]{64}$")
DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60000
MAX_AHEAD_MS = 1000


def api_key_of(request: HttpRequest, *, required: bool, symbol: str | None = None) -> ApiKey | None:
    """The usable key named by X-MBX-APIKEY; None if none was sent and none is required. With
    `symbol`, its offering's market of that symbol is read with it (`usable_key`)."""
    raw = request.headers.get("X-MBX-APIKEY", "")
    if not raw:
        if required:
            raise ApiKeyFormatInvalid("Send your API key in the X-MBX-APIKEY header.")
        return None
    if not API_KEY_FORMAT.match(raw):
        raise ApiKeyFormatInvalid("An API key is 64 letters and digits.")
    api_key = usable_key(raw, symbol=symbol)
    if api_key is None:
        raise ApiKeyRejected("The key is unknown or revoked, or you are no longer enrolled.")
    return api_key


class RecentKeys:
    """The keys this process found usable in the last `seconds`, each with the market its call
    named, by (key, symbol): order placement, the API's busiest call, reads its key once in that
    time instead of on every call. Safe because the order desk checks such a key again in the
    round that places the order (`desk.place_order`'s `recheck_key`): a key revoked, or whose
    owner left the offering, a moment ago places nothing. What else is kept may be up to
    `seconds` old: the key's offering, and the market, whose filters are checked again under
    its lock. Only keys of genuine calls (signed, in time) that named a market of their offering
    are kept; at most `size`, the oldest dropped first; shared by the process's threads."""

    def __init__(self, *, seconds: float, size: int) -> None:
        self.seconds, self.size = seconds, size
        self._keys: dict[tuple[str, str | None], tuple[float, ApiKey]] = {}
        self._lock = threading.Lock()

    def get(self, raw: str, symbol: str | None) -> ApiKey | None:
        kept = self._keys.get((raw, symbol))
        if kept is None or time.monotonic() - kept[0] > self.seconds:
            return None
        return kept[1]

    def keep(self, raw: str, symbol: str | None, api_key: ApiKey) -> None:
        """Keep a key read now, if its call named a market of the key's offering."""
        if getattr(api_key, "named_market", (None, None))[1] is None:
            return
        with self._lock:
            self._keys.pop((raw, symbol), None)  # to the end: dropped last
            self._keys[(raw, symbol)] = (time.monotonic(), api_key)
            while len(self._keys) > self.size:
                del self._keys[next(iter(self._keys))]


RECENT_KEY_SECONDS = 10.0
recent_keys = RecentKeys(seconds=RECENT_KEY_SECONDS, size=4096)


def verify_signature(request: HttpRequest, params: Params, api_key: ApiKey) -> None:
    signature = params.text("signature", required=True)
    if not SIGNATURE_FORMAT.match(signature):
        raise InvalidSignature()
    try:
        secret = decrypt_secret(api_key)
    except ServiceError:
        raise ApiKeyRejected("This key's secret can no longer be read; create a new key.") from None
    expected = sign(secret, signed_payload(request))
    if not hmac.compare_digest(expected, signature.lower()):
        raise InvalidSignature()


def check_timing(params: Params, now_ms: int) -> None:
    """Binance's rule: timestamp < now + 1000 and now - timestamp <= recvWindow."""
    timestamp = params.long("timestamp", required=True)
    window = params.long("recvWindow")
    if window is None:
        window = DEFAULT_RECV_WINDOW
    if window > MAX_RECV_WINDOW:
        raise BadRecvWindow()
    if window < 0:
        raise IllegalParameter("recvWindow", f"0-{MAX_RECV_WINDOW}")
    if timestamp >= now_ms + MAX_AHEAD_MS:
        raise InvalidTimestamp.ahead()
    if now_ms - timestamp > window:
        raise InvalidTimestamp.outside_window(now_ms - timestamp, window)


def sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def signed_payload(request: HttpRequest) -> str:
    query = request.META.get("QUERY_STRING", "")
    return _without_signature(query) + _without_signature(form_body(request))


def _without_signature(encoded: str) -> str:
    return "&".join(part for part in encoded.split("&") if not part.startswith("signature="))
