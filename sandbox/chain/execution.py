"""Running graders' transactions on a student's chain: capped, simulated first, undone afterwards.

Every call and transaction a grader makes gets `GAS_CAP` gas and explicit fees, and is simulated
(`eth_call`) before it is sent, so that a revert is reported with its reason (a `require`
message, a custom error decoded with the contracts' ABIs, a panic) and never sent, and a loop
that never ends is reported as running out of gas rather than hanging the grader.

`undone_afterwards` brackets a grading with the node's own `evm_snapshot` / `evm_revert`: the
chain goes back to exactly its state and block height before grading, within milliseconds and
without restarting the node. (`services.take_snapshot` is the student's tool: it writes a file
on the host, lists it on My chain, and its revert restarts the node, closing the student's open
WebSocket subscriptions.) `chain_in_use` keeps two graders, or a grader and a level deployment,
from interleaving on one chain, since a revert would undo the other's work.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext as _
from eth_utils import keccak
from web3 import Web3
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    ContractPanicError,
    TimeExhausted,
    Web3RPCError,
)

from sandbox.chain.studio import revert_reason

log = logging.getLogger(__name__)

GAS_CAP = 10_000_000
"""Gas each simulated or sent transaction may use: far above any honest exercise's needs."""
RECEIPT_WAIT_S = 30
IN_USE_TTL_S = 300
"""A grader that dies holding a chain frees it after this long."""
_OUT_OF_GAS = re.compile(r"out ?of ?gas|oog", re.IGNORECASE)


class ChainBusy(RuntimeError):
    """Another grading (or a level deployment) is using the chain right now."""


@dataclass(frozen=True)
class Execution:
    """What became of a call or a transaction: it succeeded, reverted (with its reason), ran out
    of gas, or the node refused it."""

    ok: bool
    reverted: bool = False
    reason: str = ""
    out_of_gas: bool = False
    refused: str = ""
    output: bytes = b""
    receipt: Any = None

    def failure(self, what: str) -> str:
        """Why it failed, as a sentence about `what` ("the transaction transfer(...)")."""
        if self.out_of_gas:
            return _(
                "%(what)s ran out of gas: it used all %(gas)s gas it was given. Does a loop "
                "never end?"
            ) % {"what": what, "gas": f"{GAS_CAP:,}"}
        if self.reverted and self.reason:
            return _("%(what)s reverted: %(reason)s") % {"what": what, "reason": self.reason}
        if self.reverted:
            return _("%(what)s reverted without giving a reason") % {"what": what}
        return _("the chain refused %(what)s: %(message)s") % {
            "what": what,
            "message": self.refused,
        }


def capped_transaction(
    w3: Web3, *, sender: str, data: bytes, to: str = "", value: int = 0, priced: bool = True
) -> dict:
    """A transaction with the gas cap and, when `priced`, explicit fees, so that its simulation
    sees the same gas price as the transaction sent. A read (`priced=False`) costs nothing, so
    it works from an account with no ether left."""
    tx = {"from": sender, "data": data, "value": value, "gas": GAS_CAP}
    if to:
        tx["to"] = to
    if priced:
        tip = w3.eth.max_priority_fee
        base = w3.eth.get_block("latest").get("baseFeePerGas", 0)
        tx.update(maxPriorityFeePerGas=tip, maxFeePerGas=2 * base + tip)
    return tx


def simulate(w3: Web3, tx: dict, abis: Sequence[list[dict]]) -> Execution:
    """Run `tx` as an eth_call on the latest state: nothing changes on the chain. `abis` decode
    custom errors."""
    try:
        return Execution(ok=True, output=bytes(w3.eth.call(tx)))
    except ContractCustomError as error:
        merged = [entry for abi in abis for entry in abi]
        return Execution(ok=False, reverted=True, reason=revert_reason(str(error.data), merged))
    except ContractPanicError as error:
        return Execution(ok=False, reverted=True, reason=str(error.message))
    except ContractLogicError as error:
        reason = str(error.message).removeprefix("execution reverted").lstrip(": ")
        return Execution(ok=False, reverted=True, reason=reason)
    except Web3RPCError as error:
        message = ((error.rpc_response or {}).get("error") or {}).get("message") or str(error)
        if _OUT_OF_GAS.search(message):
            return Execution(ok=False, out_of_gas=True)
        return Execution(ok=False, refused=message)


def execute(w3: Web3, tx: dict, abis: Sequence[list[dict]]) -> Execution:
    """Simulate `tx`; send it only if the simulation succeeded, and wait for it to be mined."""
    simulated = simulate(w3, tx, abis)
    if not simulated.ok:
        return simulated
    try:
        tx_hash = w3.eth.send_transaction(tx)
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_WAIT_S)
    except Web3RPCError as error:
        return Execution(ok=False, refused=str(error))
    except TimeExhausted:
        return Execution(ok=False, refused=_("it was not mined within %s seconds") % RECEIPT_WAIT_S)
    if receipt["status"]:
        return Execution(ok=True, receipt=receipt)
    return Execution(ok=False, reverted=True, out_of_gas=receipt["gasUsed"] >= tx["gas"])


def code_hash(code: bytes) -> str:
    return "0x" + keccak(bytes(code)).hex()


@contextmanager
def undone_afterwards(w3: Web3) -> Iterator[None]:
    """Whatever happens on the chain inside the block is undone when it ends, even on error."""
    taken = w3.provider.make_request("evm_snapshot", [])
    if "result" not in taken:
        raise RuntimeError(f"evm_snapshot failed: {taken.get('error')}")
    try:
        yield
    finally:
        answer = w3.provider.make_request("evm_revert", [taken["result"]])
        if answer.get("result") is not True:
            log.error("evm_revert to %s failed: %s", taken["result"], answer)


def in_use_key(chain_pk: int) -> str:
    """The cache key held while a grader uses the chain (the RPC proxy refuses writes then)."""
    return f"chain:{chain_pk}:in-use"


@contextmanager
def chain_in_use(chain_pk: int, *, wait_s: float) -> Iterator[None]:
    """Use the chain alone (across processes, through the cache), waiting up to `wait_s` for
    whoever has it. Raises ChainBusy."""
    key, token = in_use_key(chain_pk), secrets.token_hex(8)
    deadline = time.monotonic() + wait_s
    while not cache.add(key, token, timeout=IN_USE_TTL_S):
        if time.monotonic() >= deadline:
            raise ChainBusy(_("Your chain is busy grading another attempt; try again shortly."))
        time.sleep(0.1)
    try:
        yield
    finally:
        if cache.get(key) == token:
            cache.delete(key)
