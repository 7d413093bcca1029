"""The contract studio's services: compile a student's Solidity, deploy it to their chain, call
and send to what they deployed.

Compiling records one `ContractArtifact` per contract in the student's own files (imported
library contracts are compiled but not kept); a compile with errors records nothing. Deploying
records a `Deployment` only after the node mined the creation successfully. Every refusal is a
`ServiceError` with a stable code and a message for the student: bad arguments (`ArgumentRefused`
also says which), an unknown sender, a revert with its reason (a `require` message, a custom
error decoded with the contract's ABI, or a panic), running out of gas, a chain that cannot start.
Before anything is sent, the transaction is estimated, so a revert costs nothing and leaves no
trace on the chain either.

The compiler is `compiler.compile_solidity`: one warm solc process per Python process, started
on first use, shared by threads under a lock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_abi.exceptions import DecodingError
from web3 import Web3
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    ContractPanicError,
    TimeExhausted,
    Web3RPCError,
)

from campus.errors import ServiceError
from courses.api import is_enrolled
from sandbox.chain import abiforms, explorer
from sandbox.chain.compiler import CompileMessage, CompilerUnavailable, compile_solidity
from sandbox.chain.host import ChainUnavailable
from sandbox.chain.models import Chain, ContractArtifact, Deployment
from sandbox.chain.nodes import chain_web3
from sandbox.chain.selectors import dev_accounts

MAX_SOURCE_BYTES = 100_000
MAX_SOURCE_FILES = 20
SOURCE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}\.sol$")
GAS_HEADROOM = 1.2
RECEIPT_WAIT_S = 30


class ArgumentRefused(ServiceError):
    """A constructor or function argument that does not fit its type; `index` says which."""

    def __init__(self, error: abiforms.ArgumentError) -> None:
        super().__init__("bad_argument", str(error))
        self.index = error.index
        self.reason = error.message


@dataclass(frozen=True)
class Receipt:
    tx_hash: str
    status: bool
    block_number: int
    gas_used: int
    events: list[explorer.DecodedLog] = field(default_factory=list)


# -- compiling ---------------------------------------------------------------------------------


def compile_sources(
    *, offering_id: int, owner_id: int, sources: dict[str, str]
) -> tuple[list[ContractArtifact], list[CompileMessage]]:
    """Compile the student's files; keep the contracts they define. Returns the artifacts (none
    when there are errors) and every error and warning, with file, line and column."""
    _check_sources(sources)
    if not is_enrolled(user_id=owner_id, offering_id=offering_id):
        raise ServiceError("not_enrolled", _("Only people enrolled in the offering can compile."))
    try:
        result = compile_solidity(sources)
    except CompilerUnavailable as error:
        raise ServiceError("compiler_unavailable", str(error)) from None
    messages = [*result.errors, *result.warnings]
    if not result.ok:
        return [], messages
    with transaction.atomic(durable=True):
        artifacts = [
            ContractArtifact.objects.create(
                offering_id=offering_id,
                owner_id=owner_id,
                name=contract.name,
                source_name=contract.source,
                sources=sources,
                abi=contract.abi,
                bytecode=contract.bytecode,
                deployed_bytecode=contract.deployed_bytecode,
                compiler_version=result.compiler_version,
                evm_version=settings.CHAIN_EVM_VERSION,
            )
            for contract in result.contracts.values()
            if contract.source in sources
        ]
    return artifacts, messages


def _check_sources(sources: dict[str, str]) -> None:
    if not sources:
        raise ServiceError("no_sources", _("There is nothing to compile."))
    if len(sources) > MAX_SOURCE_FILES:
        raise ServiceError(
            "too_many_files",
            _("At most %(count)s files can be compiled at once.") % {"count": MAX_SOURCE_FILES},
        )
    size = sum(len(text.encode()) + len(name) for name, text in sources.items())
    if size > MAX_SOURCE_BYTES:
        raise ServiceError(
            "sources_too_large",
            _("The sources are %(size)s KB; at most %(limit)s KB can be compiled at once.")
            % {"size": size // 1000, "limit": MAX_SOURCE_BYTES // 1000},
        )
    for name in sources:
        if not SOURCE_NAME.match(name) or name.startswith("@"):
            raise ServiceError(
                "bad_file_name",
                _(
                    "%(name)s is not a usable file name: use letters, digits, _ or - and end it in .sol."
                )
                % {"name": name},
            )


# -- deploying and calling ---------------------------------------------------------------------


def deploy_artifact(
    *,
    chain: Chain,
    artifact: ContractArtifact,
    sender: str,
    constructor_args: list[str],
    value_wei: int = 0,
) -> Deployment:
    """Deploy the compiled contract from one of the chain's own accounts. The arguments are
    the texts a student typed, read by the constructor's ABI types."""
    if (artifact.offering_id, artifact.owner_id) != (chain.offering_id, chain.owner_id):
        raise ServiceError("not_your_contract", _("That compiled contract is not yours."))
    if not artifact.bytecode:
        raise ServiceError(
            "not_deployable",
            _("%(name)s is an interface or an abstract contract: it has no code to deploy.")
            % {"name": artifact.name},
        )
    constructor = next((e for e in artifact.abi if e.get("type") == "constructor"), {})
    args = _parse(constructor, constructor_args)
    _check_value(constructor, value_wei)
    data = bytes.fromhex(artifact.bytecode.removeprefix("0x")) + _encode(constructor, args)
    w3 = _web3(chain)
    sender = _own_account(chain, sender)
    receipt = _transact(w3, {"from": sender, "data": data, "value": value_wei}, artifact.abi)
    _require_success(receipt)
    with transaction.atomic(durable=True):
        return Deployment.objects.create(
            chain=chain,
            artifact=artifact,
            address=receipt["contractAddress"],
            tx_hash=receipt["transactionHash"].to_0x_hex(),
            block_number=receipt["blockNumber"],
            deployer=sender,
        )


def call_function(
    *, chain: Chain, deployment: Deployment, function: str, args: list[str], sender: str = ""
) -> list[explorer.Arg]:
    """Ask a view or pure function (eth_call: no transaction, nothing changes). Returns its
    outputs, named and shown as text."""
    entry = _function(deployment, function, chain)
    if not abiforms.is_read_only(entry):
        raise ServiceError(
            "not_a_read",
            _("%(name)s changes state: send a transaction to it instead.")
            % {"name": entry["name"]},
        )
    values = _parse(entry, args)
    w3 = _web3(chain)
    call = {"to": deployment.address, "data": abiforms.selector(entry) + _encode(entry, values)}
    if sender:
        call["from"] = _own_account(chain, sender)
    try:
        raw = w3.eth.call(call)
    except (ContractLogicError, Web3RPCError) as error:
        raise _refusal(error, deployment.artifact.abi) from None
    outputs = entry.get("outputs", [])
    try:
        decoded = abi_decode([abiforms.canonical_type(p) for p in outputs], bytes(raw))
    except (DecodingError, ValueError, OverflowError):
        raise ServiceError(
            "undecodable", _("The answer did not match the function's ABI (is it deployed here?).")
        ) from None
    return [explorer.named_arg(p, v) for p, v in zip(outputs, decoded, strict=True)]


def send_transaction(
    *,
    chain: Chain,
    deployment: Deployment,
    function: str,
    args: list[str],
    sender: str,
    value_wei: int = 0,
) -> Receipt:
    """Send a transaction calling the function from one of the chain's own accounts and wait
    for it to be mined. Returns its status, gas used and events, decoded."""
    entry = _function(deployment, function, chain)
    values = _parse(entry, args)
    _check_value(entry, value_wei)
    w3 = _web3(chain)
    sender = _own_account(chain, sender)
    data = abiforms.selector(entry) + _encode(entry, values)
    transaction_ = {"from": sender, "to": deployment.address, "data": data, "value": value_wei}
    receipt = _transact(w3, transaction_, deployment.artifact.abi)
    return Receipt(
        tx_hash=receipt["transactionHash"].to_0x_hex(),
        status=bool(receipt["status"]),
        block_number=receipt["blockNumber"],
        gas_used=receipt["gasUsed"],
        events=explorer.decode_logs(receipt["logs"], explorer.known_contracts(chain)),
    )


def find_function(abi: list[dict], function: str) -> dict | None:
    """A function by signature (`transfer(address,uint256)`) or by name when only one has it."""
    functions = [e for e in abi if e.get("type") == "function"]
    by_signature = [e for e in functions if abiforms.signature(e) == function]
    by_name = [e for e in functions if e.get("name") == function]
    matches = by_signature or by_name
    return matches[0] if len(matches) == 1 else None


def _function(deployment: Deployment, function: str, chain: Chain) -> dict:
    if deployment.chain_id != chain.pk:
        raise ServiceError("not_on_this_chain", _("That contract is not deployed on your chain."))
    entry = find_function(deployment.artifact.abi, function)
    if entry is None:
        raise ServiceError(
            "no_such_function",
            _("%(contract)s has no function %(function)s.")
            % {"contract": deployment.artifact.name, "function": function},
        )
    return entry


def _parse(entry: dict, texts: list[str]) -> list:
    try:
        return abiforms.parse_arguments(entry.get("inputs", []), list(texts))
    except abiforms.ArgumentError as error:
        raise ArgumentRefused(error) from None


def _encode(entry: dict, values: list) -> bytes:
    types = [abiforms.canonical_type(p) for p in entry.get("inputs", [])]
    return abi_encode(types, values)


def _check_value(entry: dict, value_wei: int) -> None:
    if value_wei < 0:
        raise ServiceError("bad_value", _("The value sent cannot be negative."))
    if value_wei and entry.get("stateMutability") != "payable":
        raise ServiceError(
            "not_payable",
            _("%(name)s is not payable: it cannot receive ether, so send 0.")
            % {"name": entry.get("name", "constructor")},
        )


def _web3(chain: Chain) -> Web3:
    try:
        return chain_web3(chain)
    except ChainUnavailable as error:
        raise ServiceError("chain_unavailable", str(error)) from None


def _own_account(chain: Chain, sender: str) -> str:
    """One of the chain's funded accounts, derived from its mnemonic (no round trip to the node;
    the same ten the node unlocks)."""
    accounts = {a.address.lower(): a.address for a in dev_accounts(chain)}
    if (sender or "").lower() not in accounts:
        raise ServiceError(
            "unknown_sender",
            _("Send from one of your chain's own accounts (%(sender)s is not one of them).")
            % {"sender": sender or "-"},
        )
    return accounts[sender.lower()]


def _rpc(w3: Web3, ask):
    try:
        return ask()
    except OSError as error:
        raise ServiceError(
            "chain_unavailable", _("Your chain stopped answering (%s). Try again.") % error
        ) from None


def _transact(w3: Web3, tx: dict, abi: list[dict]) -> dict:
    """Estimate (refusing a revert with its reason, so nothing is sent), send, wait."""
    try:
        estimate = _rpc(w3, lambda: w3.eth.estimate_gas(tx))
        block_limit = _rpc(w3, lambda: w3.eth.get_block("latest")["gasLimit"])
        tx = {**tx, "gas": min(int(estimate * GAS_HEADROOM), block_limit)}
        tx_hash = _rpc(w3, lambda: w3.eth.send_transaction(tx))
        receipt = _rpc(
            w3, lambda: w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_WAIT_S)
        )
    except (ContractLogicError, Web3RPCError) as error:
        raise _refusal(error, abi) from None
    except TimeExhausted:
        raise ServiceError(
            "not_mined",
            _("The transaction was sent but not mined within %s seconds.") % RECEIPT_WAIT_S,
        ) from None
    if not receipt["status"] and receipt["gasUsed"] >= tx["gas"]:
        raise ServiceError(
            "out_of_gas",
            _("The transaction ran out of gas (it used all %(gas)s it was given).")
            % {"gas": tx["gas"]},
        )
    return receipt


def _require_success(receipt: dict) -> None:
    if not receipt["status"]:
        raise ServiceError(
            "reverted",
            _("The deployment reverted in block %(block)s; nothing was deployed.")
            % {"block": receipt["blockNumber"]},
        )


def _refusal(error: Exception, abi: list[dict]) -> ServiceError:
    """A revert as a student can read it, decoding custom errors with the contract's ABI."""
    if isinstance(error, ContractCustomError):
        reason = revert_reason(str(error.data), abi)
    elif isinstance(error, ContractPanicError):
        reason = str(error.message)
    elif isinstance(error, ContractLogicError):
        reason = str(error.message).removeprefix("execution reverted").lstrip(": ")
    else:
        response = getattr(error, "rpc_response", None) or {}
        message = (response.get("error") or {}).get("message") or str(error)
        return ServiceError("rejected", _("The chain refused it: %s") % message)
    if not reason:
        return ServiceError("reverted", _("It reverted without giving a reason."))
    return ServiceError("reverted", _("It reverted: %s") % reason)


def revert_reason(data: str, abi: list[dict]) -> str:
    """`CapExceeded(requested=5, available=3)` for a custom error the ABI declares; the raw
    selector otherwise."""
    raw = bytes.fromhex(data.removeprefix("0x"))
    for entry in abi:
        if entry.get("type") == "error" and abiforms.selector(entry) == raw[:4]:
            call = explorer.decode_call(entry, raw[4:], "")
            if call is not None:
                args = ", ".join(f"{a.name or a.abi_type}={a.value}" for a in call.args)
                return f"{entry['name']}({args})"
    return _("a custom error not in the contract's ABI (%s)") % ("0x" + raw[:4].hex())
