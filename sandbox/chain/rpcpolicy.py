"""What the RPC proxy lets through to a student's chain, and the JSON-RPC errors for the rest.

Pure functions over request bodies (no Django, no I/O), shared by the HTTP and WebSocket proxies:
`screen` parses a body and splits it into what goes to the chain and what is answered at once;
`merge` puts a batch's two halves back together. Error codes follow JSON-RPC 2.0 and EIP-1474.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

MAX_BODY_BYTES = 1024 * 1024
MAX_BATCH = 100

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_SUPPORTED = -32004
LIMIT_EXCEEDED = -32005
RESOURCE_UNAVAILABLE = -32002

CHEAT_PREFIXES = ("anvil_", "hardhat_", "evm_", "ganache_")
WRITE_PREFIXES = ("eth_send", "personal_send", *CHEAT_PREFIXES)
"""Methods that change the chain: refused while a grader is using it (its revert would undo them)."""
BUSY_GRADING = "Your chain is grading your submission right now; send this again in a few seconds."
# Refused even where cheats are allowed: they would point the chain at another node (a request
# from inside our network on the student's behalf) or are the platform's own business.
AUTO_IMPERSONATION = ("anvil_autoImpersonateAccount", "hardhat_autoImpersonateAccount")
PROTECTED = (
    "That cheat method would touch the exchange's own accounts or tokens on your chain "
    "(its deposit address, hot wallet or bridge tokens), which are not yours to change."
)
ALWAYS_REFUSED = {
    "anvil_setRpcUrl": "The chain cannot be pointed at another node.",
    "anvil_setLoggingEnabled": "The chain's logging is managed by the platform.",
}


def error_object(code: int, message: str, request_id: object = None) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def error_body(code: int, message: str, request_id: object = None) -> bytes:
    return json.dumps(error_object(code, message, request_id)).encode()


@dataclass
class Screened:
    """A screened request. `forward` is what the chain should get (bytes), or None when every
    call was answered here; `answers` are those answers (error objects)."""

    is_batch: bool
    forward: bytes | None = None
    answers: list[dict] = field(default_factory=list)

    def reply_without_chain(self) -> bytes:
        if self.is_batch:
            return json.dumps(self.answers).encode()
        return json.dumps(self.answers[0]).encode()


def may_write(body: bytes | str) -> bool:
    """Whether a request might hold a call that changes the chain (a cheap test before the
    proxy asks whether a grader holds the chain)."""
    raw = body.encode() if isinstance(body, str) else body
    return any(prefix.encode() in raw for prefix in WRITE_PREFIXES)


def screen(
    body: bytes | str,
    *,
    allow_cheats: bool,
    grading: bool = False,
    protected: frozenset[str] = frozenset(),
) -> Screened:
    """Parse one HTTP body or WebSocket message and decide, call by call, what reaches the chain."""
    if len(body) > MAX_BODY_BYTES:
        return _single_error(LIMIT_EXCEEDED, f"Request larger than {MAX_BODY_BYTES} bytes.")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _single_error(PARSE_ERROR, "Parse error: the request is not valid JSON.")
    if isinstance(payload, list):
        return _screen_batch(payload, allow_cheats, grading, protected)
    refusal = _refusal(payload, allow_cheats, grading, protected)
    if refusal is not None:
        return Screened(is_batch=False, answers=[refusal])
    # what passed goes on as it came: re-encoding a body of up to 1 MiB would cost for nothing
    return Screened(is_batch=False, forward=body.encode() if isinstance(body, str) else body)


def merge(screened: Screened, chain_reply: bytes) -> bytes:
    """The reply to send back: the chain's, with a batch's refused calls' errors appended."""
    if not screened.is_batch or not screened.answers:
        return chain_reply
    try:
        answered = json.loads(chain_reply)
    except ValueError:
        return chain_reply
    if not isinstance(answered, list):
        answered = [answered]
    return json.dumps(answered + screened.answers).encode()


def _screen_batch(
    calls: list, allow_cheats: bool, grading: bool, protected: frozenset[str]
) -> Screened:
    if not calls:
        return _single_error(INVALID_REQUEST, "Invalid request: the batch is empty.")
    if len(calls) > MAX_BATCH:
        return _single_error(
            LIMIT_EXCEEDED, f"Batch of {len(calls)} calls; at most {MAX_BATCH} are allowed."
        )
    passed, answers = [], []
    for call in calls:
        refusal = _refusal(call, allow_cheats, grading, protected)
        if refusal is None:
            passed.append(call)
        else:
            answers.append(refusal)
    forward = json.dumps(passed).encode() if passed else None
    return Screened(is_batch=True, forward=forward, answers=answers)


def _refusal(
    call: object,
    allow_cheats: bool,
    grading: bool = False,
    protected: frozenset[str] = frozenset(),
) -> dict | None:
    if not isinstance(call, dict) or not isinstance(call.get("method"), str):
        request_id = call.get("id") if isinstance(call, dict) else None
        return error_object(
            INVALID_REQUEST, "Invalid request: expected an object with a method.", request_id
        )
    method, request_id = call["method"], call.get("id")
    if method in ALWAYS_REFUSED:
        return error_object(METHOD_NOT_SUPPORTED, ALWAYS_REFUSED[method], request_id)
    if method == "anvil_reset" and call.get("params"):
        return error_object(
            METHOD_NOT_SUPPORTED, "anvil_reset cannot fork another node here.", request_id
        )
    if not allow_cheats and method.startswith(CHEAT_PREFIXES):
        return error_object(
            METHOD_NOT_SUPPORTED,
            f"{method} is a cheat method, and your instructor has turned cheat methods off "
            "for this course.",
            request_id,
        )
    if method.startswith(CHEAT_PREFIXES) and (
        method in AUTO_IMPERSONATION or _mentions(call.get("params"), protected)
    ):
        return error_object(METHOD_NOT_SUPPORTED, PROTECTED, request_id)
    if grading and method.startswith(WRITE_PREFIXES):
        return error_object(RESOURCE_UNAVAILABLE, BUSY_GRADING, request_id)
    return None


def _mentions(params: object, addresses: frozenset[str]) -> bool:
    """Whether any string among the call's parameters (nested too) is one of `addresses`."""
    if not addresses:
        return False
    if isinstance(params, str):
        return params.lower() in addresses
    if isinstance(params, list | tuple):
        return any(_mentions(p, addresses) for p in params)
    if isinstance(params, dict):
        return any(_mentions(p, addresses) for p in params.values())
    return False


def _single_error(code: int, message: str) -> Screened:
    return Screened(is_batch=False, answers=[error_object(code, message)])
