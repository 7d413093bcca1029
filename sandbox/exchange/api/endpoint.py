"""What every Binance-shaped endpoint does around its own work.

`endpoint(...)` turns a function of a `Call` into a Django view that reads the parameters, finds
the offering and the key, checks a SIGNED request's signature and timing, counts its weight,
renders the result as JSON, and renders any `ExchangeError` as Binance's `{"code", "msg"}` (plus
our `detail`) with its HTTP status. Nothing is written before all those checks pass, so a refused
request changes nothing.

Offering scoping: at `/o/<offering-slug>/api/v3/...` the offering is the one in the path (public
endpoints ignore X-MBX-APIKEY there; signed ones require a key of that offering). At
`/api/v3/...` it is the offering of the X-MBX-APIKEY key, which public market data then needs
too; only ping and time need no offering.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from functools import wraps

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from campus.errors import ServiceError
from courses.api import Offering
from sandbox.exchange import selectors
from sandbox.exchange.api import dbthreads, ratelimit
from sandbox.exchange.api.auth import (
    RecentKeys,
    api_key_of,
    check_timing,
    recent_keys,
    verify_signature,
)
from sandbox.exchange.api.errors import UnknownOffering, offering_required
from sandbox.exchange.api.params import Params
from sandbox.exchange.apikeys import offering_by_slug
from sandbox.exchange.errors import ApiKeyRejected, ExchangeError, InvalidSymbol
from sandbox.exchange.models import ApiKey, Market


class Security(Enum):
    NONE = "NONE"  # no offering needed (ping, time)
    MARKET_DATA = "MARKET_DATA"  # public, but per offering
    SIGNED = "SIGNED"  # TRADE and USER_DATA
    USER_STREAM = "USER_STREAM"  # the API key, no signature (listen keys)


@dataclass
class Call:
    request: HttpRequest
    now: float
    identity: str
    params: Params | None = None
    offering: Offering | None = None
    api_key: ApiKey | None = None
    used_weight: int | None = None
    order_count: int | None = None  # with `counts_order`: new orders this 10 s, this one too
    headers: dict[str, str] = field(default_factory=dict)
    key_was_kept: bool = False  # the key came from the process's recent keys (see `endpoint`)

    @property
    def now_ms(self) -> int:
        return int(self.now * 1000)

    @property
    def owner_id(self) -> int:
        return self.api_key.owner_id

    @property
    def key_to_recheck(self) -> int | None:
        """The key's id if it was not read for this call (one of the process's recent keys, see
        `endpoint`'s `recent_key`): where the call acts, the key is to be checked again."""
        return self.api_key.pk if self.key_was_kept else None

    def market(self) -> Market:
        symbol = self.params.symbol()
        named = getattr(self.api_key, "named_market", None)  # read with the key (usable_key)
        if (
            named is not None
            and named[0] == symbol
            and self.api_key.offering_id == self.offering.pk
        ):
            if named[1] is None:
                raise InvalidSymbol(symbol)
            return named[1]
        return selectors.market_by_symbol(offering_id=self.offering.pk, symbol=symbol)


Weight = int | Callable[[Params], int]


UNKNOWN_ERROR = {"code": -1000, "msg": "An unknown error occurred while processing the request."}
logger = logging.getLogger(__name__)


def endpoint(
    *, security: Security, weight: Weight, recent_key: bool = False, counts_order: bool = False
) -> Callable:
    """`recent_key`: the call may take its key from those this process found usable a moment
    ago (`auth.recent_keys`), if it checks `Call.key_to_recheck` again where it acts.
    `counts_order`: a new order, counted (`Call.order_count`) with the call's weight."""
    recent = recent_keys if recent_key else None

    def decorate(work: Callable[[Call], object]) -> Callable:
        @wraps(work)
        def view(request: HttpRequest, offering_slug: str | None = None) -> HttpResponse:
            return dbthreads.run(request, lambda: answer(request, offering_slug))

        def answer(request: HttpRequest, offering_slug: str | None) -> HttpResponse:
            call = Call(request=request, now=time.time(), identity=_client_address(request))
            try:
                call.params = Params.of(request)
                _admit(call, security, offering_slug, recent)
                _charge(call, weight, counts_order=counts_order)
                ratelimit.refuse_over_weight(call.used_weight, call.now)
                response = JsonResponse(work(call), safe=False)
            except ServiceError as error:
                if call.used_weight is None:
                    _charge(call, weight)
                response = _refusal(error)
            except Exception:  # a bug: still answer in Binance's shape, and keep the traceback
                logger.exception("unexpected error in %s", request.path)
                response = JsonResponse(UNKNOWN_ERROR, status=500)
            response["X-MBX-USED-WEIGHT-1M"] = str(call.used_weight)
            for name, value in call.headers.items():
                response[name] = value
            return response

        return view

    return decorate


def methods(**views: Callable) -> Callable:
    """One URL, a view per HTTP method (Binance's /api/v3/order is GET, POST and DELETE)."""

    @csrf_exempt
    def dispatch(request: HttpRequest, **kwargs) -> HttpResponse:
        view = views.get(request.method)
        if view is None:
            return HttpResponseNotAllowed(list(views))
        return view(request, **kwargs)

    return dispatch


def _admit(
    call: Call, security: Security, offering_slug: str | None, recent: RecentKeys | None
) -> None:
    path_offering = _offering_in_path(offering_slug)
    call.offering = path_offering
    if security is Security.NONE:
        return
    if security is Security.MARKET_DATA:
        if path_offering is None:
            call.api_key = api_key_of(call.request, required=False)
            if call.api_key is None:
                raise offering_required()
            call.offering = call.api_key.offering
            call.identity = f"key:{call.api_key.pk}"
        return
    symbol, raw = _named_symbol(call.params), call.request.headers.get("X-MBX-APIKEY", "")
    kept = None if recent is None else recent.get(raw, symbol)
    api_key = kept or api_key_of(call.request, required=True, symbol=symbol)
    if security is Security.SIGNED:  # first: only the key's holder learns more
        verify_signature(call.request, call.params, api_key)
    if path_offering is not None and api_key.offering_id != path_offering.pk:
        raise ApiKeyRejected(
            f"This key belongs to another offering; use /o/{api_key.offering.slug}/api/ or /api/."
        )
    if security is Security.SIGNED:
        check_timing(call.params, call.now_ms)
    if recent is not None and kept is None:
        recent.keep(raw, symbol, api_key)  # a genuine call's
    call.api_key, call.offering, call.identity = api_key, api_key.offering, f"key:{api_key.pk}"
    call.key_was_kept = kept is not None


def _named_symbol(params: Params) -> str | None:
    """The call's symbol, if it names a well-formed one (else `Call.market` says what is wrong)."""
    try:
        return params.symbol() if "symbol" in params else None
    except ExchangeError:
        return None


def _offering_in_path(slug: str | None) -> Offering | None:
    if slug is None:
        return None
    offering = offering_by_slug(slug)
    if offering is None:
        raise UnknownOffering(slug)
    return offering


def _charge(call: Call, weight: Weight, *, counts_order: bool = False) -> None:
    amount = 1  # parameters too broken to weigh: the least weight
    if not callable(weight):
        amount = weight
    elif call.params is not None:
        with contextlib.suppress(ExchangeError):
            amount = weight(call.params)
    if counts_order:
        call.used_weight, call.order_count = ratelimit.charge_order(call.identity, amount, call.now)
    else:
        call.used_weight = ratelimit.charge_weight(call.identity, amount, call.now)


def _refusal(error: ServiceError) -> JsonResponse:
    if isinstance(error, ExchangeError):
        response = JsonResponse(error.as_binance(), status=error.http_status)
        for name, value in getattr(error, "headers", {}).items():
            response[name] = value
        return response
    return JsonResponse({"code": -1000, "msg": error.message, "detail": error.code}, status=400)


def _client_address(request: HttpRequest) -> str:
    return "ip:" + request.META.get("REMOTE_ADDR", "")
