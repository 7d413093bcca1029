"""The API's own lane through the ASGI server: Binance-shaped calls skip the site's middleware.

Every `/api/v3/...` and `/o/<offering>/api/v3/...` request is authenticated by its API key and
HMAC signature, not by a session, so nothing in the page middleware applies to it: sessions,
CSRF, messages, locale, LTI cookies, clickjacking headers. Going through them, and through
asgiref's hops between the event loop and a fresh thread per request, cost half of the server's
CPU per order on the order-placement benchmark. This lane, an ASGI middleware in front of the site
(campus/asgi.py), resolves the path itself and runs the view on one of the API's long-lived
database threads (`dbthreads`), where its connection is kept.

What the site's middleware still owed these calls is done here: Django's SecurityMiddleware
(the HTTPS redirect when SECURE_SSL_REDIRECT is on, HSTS, `nosniff`, the referrer and opener
policies) and the Host header checked against ALLOWED_HOSTS (400, as Django answers). Any other
path, and any path under `/api/` that the API does not know, goes to the site unchanged, so the
site's own 404 page and redirects stay as they were.

What the lane leaves out, on purpose: sessions and their cookies (the API sets none), CSRF (the
API's views are exempt), locale (Binance's messages are English), X-Frame-Options (JSON is not
framed), and Django's request_started/request_finished signals (the database threads keep and
tend their own connections). A request whose client hangs up before its body arrived runs
nothing, as in Django; one Django could not read (a query string that is not UTF-8) is a 400.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
from functools import lru_cache

from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, JsonResponse
from django.middleware.security import SecurityMiddleware
from django.urls import Resolver404, resolve

from sandbox.exchange.api import dbthreads

API_PATH = re.compile(r"^/(?:o/[^/]+/)?api/v3/")
APP_NAME = "binance"  # both includes of the API's urls (/api/ and /o/<offering>/api/)
MAX_BODY_BYTES = 64 * 1024  # a Binance request is a short form; anything longer is refused
UNKNOWN_ERROR = {"code": -1000, "msg": "An unknown error occurred while processing the request."}
logger = logging.getLogger(__name__)


class ClientGone(Exception):
    """The client disconnected before its request body arrived."""


class ExchangeApiLane:
    """ASGI middleware: the API's paths on the lane, `inner` (the site) for everything else."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send) -> None:
        match = _api_view(scope)
        if match is None:
            await self.inner(scope, receive, send)
            return
        try:
            response = await _respond(scope, receive, match)
        except ClientGone:
            return
        await _send(send, response)


async def _respond(scope, receive, match) -> HttpResponse:
    body = await _read_body(receive)
    if body is None:
        return JsonResponse({"code": -1000, "msg": "Request body too large."}, status=413)
    try:
        request = ASGIRequest(scope, io.BytesIO(body))
        return await asyncio.get_running_loop().run_in_executor(
            dbthreads.executor(), dbthreads.kept, lambda: _answer(request, match)
        )
    except UnicodeDecodeError:
        return HttpResponse("Bad Request", status=400, content_type="text/plain")
    except Exception:  # a bug: still answer in Binance's shape, and keep the traceback
        logger.exception("unexpected error in the API lane for %s", scope.get("path"))
        return JsonResponse(UNKNOWN_ERROR, status=500)


def _api_view(scope):
    """The URL match of an API view for this HTTP request, or None if the site should answer."""
    if scope["type"] != "http" or not API_PATH.match(scope.get("path", "")):
        return None
    return _resolved(scope["path"])


@lru_cache(maxsize=1024)
def _resolved(path: str):
    """Resolving walks the site's URL patterns, a tenth of the server's CPU per order; an API
    client calls the same few paths again and again (the site's URLs do not change while it
    runs). Paths that are not the API's are remembered as None, and the cache is bounded."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match if match.app_name == APP_NAME else None


def _answer(request: ASGIRequest, match) -> HttpResponse:
    try:
        request.get_host()
    except DisallowedHost:
        return HttpResponse("Bad Request", status=400, content_type="text/plain")
    security = SecurityMiddleware(_unused)
    response = security.process_request(request)  # the HTTPS redirect, when it is on
    if response is None:
        response = match.func(request, *match.args, **match.kwargs)
    return security.process_response(request, response)


def _unused(request):  # SecurityMiddleware's get_response: the lane calls the view itself
    raise AssertionError("not called")


async def _read_body(receive) -> bytes | None:
    """The whole body; None if it is over MAX_BODY_BYTES. Raises ClientGone on a disconnect."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone()
        size += len(message.get("body", b""))
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(send, response: HttpResponse) -> None:
    """The whole response at once: the API's answers are small JSON documents, never streamed,
    and set no cookies (a response that did would be a bug here, so it is refused loudly)."""
    if response.streaming or response.cookies:
        raise AssertionError("the API lane sends neither streamed responses nor cookies")
    body = response.content
    headers = [
        (name.encode("latin-1"), str(value).encode("latin-1")) for name, value in response.items()
    ]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
