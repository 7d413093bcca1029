"""The authenticated JSON-RPC proxy: `/chain/<token>/rpc` over HTTP and WebSocket.

An ASGI app placed in front of the site (campus/asgi.py). It answers its own path and hands every
other request to the site. A request's token is looked up by its digest; an unknown token is a
404 that reaches no chain. A known one is screened (`rpcpolicy`), and what passes is forwarded to
the chain's node, which the chain host starts first if it was stopped.

Two short-lived caches per process keep the hot path off the database and the host: token ->
route for `ROUTE_TTL_S`, chain -> node address for `PORT_TTL_S`. The host never gives a port to
another chain within a minute of its release, so a cached address can only reach the right chain
or none; a refused connection drops it and asks the host again.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from dataclasses import dataclass

import aiohttp
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, OuterRef

from campus.crypto import digest
from courses.api import Enrollment
from sandbox.chain import rpcpolicy
from sandbox.chain.control import KEY_HEADER, control_key, host_for
from sandbox.chain.custody import protected_addresses
from sandbox.chain.execution import in_use_key
from sandbox.chain.host import ChainUnavailable
from sandbox.chain.models import Chain, ChainPolicy

PATH = re.compile(r"^/chain/([A-Za-z0-9_-]{16,64})/rpc/?$")
ROUTE_TTL_S = 2.0
PORT_TTL_S = 5.0
KEEPALIVE_S = 30.0
RESOURCE_UNAVAILABLE = rpcpolicy.RESOURCE_UNAVAILABLE
CORS_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"POST, OPTIONS"),
    (b"access-control-allow-headers", b"content-type, authorization"),
    (b"access-control-max-age", b"86400"),
]


@dataclass(frozen=True)
class Route:
    chain_pk: int
    allow_cheats: bool
    control_url: str
    protected: frozenset[str] = frozenset()


_routes: dict[str, tuple[Route, float]] = {}
_addresses: dict[int, tuple[str, float]] = {}
_sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}


def forget_token(token_digest: str) -> None:
    _routes.pop(token_digest, None)


class ChainRpcProxy:
    """ASGI middleware: the RPC proxy on its path, `inner` (the site) everywhere else."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        match = (
            PATH.match(scope.get("path", "")) if scope["type"] in ("http", "websocket") else None
        )
        if match is None:
            await self.inner(scope, receive, send)
        elif scope["type"] == "http":
            await _serve_http(match[1], scope, receive, send)
        else:
            await _serve_websocket(match[1], receive, send)


async def _lifespan(receive, send) -> None:
    """Servers that speak ASGI lifespan (uvicorn) let the proxy close its connection pool."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            session = _sessions.pop(asyncio.get_running_loop(), None)
            if session is not None:
                await session.close()
            await send({"type": "lifespan.shutdown.complete"})
            return


# --- HTTP ---------------------------------------------------------------------------------------
async def _serve_http(token: str, scope, receive, send) -> None:
    if scope["method"] == "OPTIONS":
        await _respond(send, 204, b"")
        return
    if scope["method"] != "POST":
        await _respond(
            send, 405, rpcpolicy.error_body(rpcpolicy.INVALID_REQUEST, "Send JSON-RPC with POST.")
        )
        return
    route = await _route(token)
    if route is None:
        await _respond(send, 404, b'{"error": "No chain has this URL."}')
        return
    body = await _read_body(receive)
    if body is None:
        too_big = f"Request larger than {rpcpolicy.MAX_BODY_BYTES} bytes."
        await _respond(send, 413, rpcpolicy.error_body(rpcpolicy.LIMIT_EXCEEDED, too_big))
        return
    screened = await _screen(route, body)
    if screened.forward is None:
        await _respond(send, 200, screened.reply_without_chain())
        return
    try:
        reply = await _forward(route, screened.forward)
    except ChainUnavailable as error:
        await _respond(send, 503, rpcpolicy.error_body(RESOURCE_UNAVAILABLE, str(error)))
        return
    await _respond(send, 200, rpcpolicy.merge(screened, reply))


async def _screen(route: Route, body: bytes | str) -> rpcpolicy.Screened:
    grading = rpcpolicy.may_write(body) and await cache.aget(in_use_key(route.chain_pk))
    return rpcpolicy.screen(
        body, allow_cheats=route.allow_cheats, grading=bool(grading), protected=route.protected
    )


async def _read_body(receive) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > rpcpolicy.MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), *CORS_HEADERS]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _forward(route: Route, body: bytes) -> bytes:
    session = _session()
    for attempt in (1, 2):
        address = await _address(route)
        try:
            async with session.post(
                f"http://{address}", data=body, headers={"Content-Type": "application/json"}
            ) as answer:
                return await answer.read()
        except aiohttp.ClientConnectionError:
            _addresses.pop(route.chain_pk, None)  # stopped or moved: ask the host again
            if attempt == 2:
                raise ChainUnavailable("Your chain stopped answering; try again.") from None
    raise AssertionError("unreachable")


# --- WebSocket ----------------------------------------------------------------------------------
async def _serve_websocket(token: str, receive, send) -> None:
    await receive()  # websocket.connect
    route = await _route(token)
    if route is None:
        await send({"type": "websocket.close", "code": 4404})
        return
    try:
        address = await _address(route)
        chain_socket = await _session().ws_connect(
            f"ws://{address}", max_msg_size=rpcpolicy.MAX_BODY_BYTES
        )
    except (ChainUnavailable, aiohttp.ClientError):
        await send({"type": "websocket.close", "code": 1013})  # try again later
        return
    await send({"type": "websocket.accept"})
    pumps = [
        asyncio.create_task(_client_to_chain(route, receive, send, chain_socket)),
        asyncio.create_task(_chain_to_client(chain_socket, send)),
        asyncio.create_task(_keep_alive(route)),
    ]
    await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
    for pump in pumps:
        pump.cancel()
    await chain_socket.close()
    await _close_quietly(send)


async def _client_to_chain(route: Route, receive, send, chain_socket) -> None:
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text") or (message.get("bytes") or b"").decode(errors="replace")
        screened = await _screen(route, text)
        if screened.forward is None:
            await send({"type": "websocket.send", "text": screened.reply_without_chain().decode()})
        elif screened.answers:  # a batch with refused calls: answer them together with the rest
            reply = await _forward(route, screened.forward)
            merged = rpcpolicy.merge(screened, reply).decode()
            await send({"type": "websocket.send", "text": merged})
        else:
            await chain_socket.send_str(screened.forward.decode())


async def _chain_to_client(chain_socket, send) -> None:
    async for message in chain_socket:
        if message.type != aiohttp.WSMsgType.TEXT:
            return
        await send({"type": "websocket.send", "text": message.data})


async def _keep_alive(route: Route) -> None:
    """An open subscription is use: tell the host, so it does not stop the chain as idle."""
    while True:
        await asyncio.sleep(KEEPALIVE_S)
        _addresses.pop(route.chain_pk, None)
        await _address(route)


async def _close_quietly(send) -> None:
    with contextlib.suppress(Exception):  # the client may already be gone
        await send({"type": "websocket.close", "code": 1000})


# --- where a token leads ------------------------------------------------------------------------
async def _route(token: str) -> Route | None:
    key = digest(token)
    cached = _routes.get(key)
    if cached is not None and cached[1] > time.monotonic():
        return cached[0]
    route = await database_sync_to_async(_lookup_route)(key)
    if route is not None:
        _routes[key] = (route, time.monotonic() + ROUTE_TTL_S)
    return route


def _lookup_route(token_digest: str) -> Route | None:
    """The chain behind a token, if its owner may still use it: active, and (for a student's
    own chain) still enrolled in the offering."""
    enrolled = Enrollment.objects.filter(
        offering_id=OuterRef("offering_id"), user_id=OuterRef("owner_id"), is_active=True
    )
    cheats = ChainPolicy.objects.filter(offering_id=OuterRef("offering_id"), allow_cheats=True)
    chain = (
        Chain.objects.filter(token_digest=token_digest, owner__is_active=True)
        .annotate(enrolled=Exists(enrolled), cheats=Exists(cheats))
        .first()
    )
    if chain is None or not (chain.enrolled or chain.is_fork):
        return None
    protected = protected_addresses(chain.pk)
    try:
        host = host_for(chain)
    except ChainUnavailable:
        return Route(chain.pk, chain.cheats, "", protected)
    return Route(chain.pk, chain.cheats, host.control_url, protected)


async def _address(route: Route) -> str:
    cached = _addresses.get(route.chain_pk)
    if cached is not None and cached[1] > time.monotonic():
        return cached[0]
    if not route.control_url:
        _routes.clear()  # a host may have come up since; look again next time
        raise ChainUnavailable("No chain host is running, so your chain cannot start.")
    wait = settings.CHAIN_START_WAIT_SECONDS
    try:
        async with _session().post(
            f"{route.control_url}/chains/{route.chain_pk}/ensure",
            headers={KEY_HEADER: control_key()},
            timeout=aiohttp.ClientTimeout(total=wait),
        ) as answer:
            payload = await answer.json(content_type=None)
    except TimeoutError:
        raise ChainUnavailable(
            f"Your chain is still starting after {wait:.0f} s; try again in a moment."
        ) from None
    except aiohttp.ClientError:
        raise ChainUnavailable("The chain host is not answering; try again in a moment.") from None
    if "port" not in payload:
        raise ChainUnavailable(payload.get("error", "The chain host refused to start your chain."))
    address = f"{payload['address']}:{payload['port']}"
    _addresses[route.chain_pk] = (address, time.monotonic() + PORT_TTL_S)
    return address


def _session() -> aiohttp.ClientSession:
    """One client session (a pool of keep-alive connections) per event loop."""
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=256),
            timeout=aiohttp.ClientTimeout(total=60),
        )
        _sessions[loop] = session
    return session
