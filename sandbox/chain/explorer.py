"""Reading a student's chain for the explorer: blocks, transactions, addresses, decoded.

Everything comes from the node (through `nodes.chain_web3`, which starts it if stopped) except
what makes it legible: the student's compiled contracts (`ContractArtifact`) and what the
platform deployed (`Deployment`), whose ABIs name the functions called and the events logged.
A log is decoded with its contract's ABI when the address is a known deployment, else with any
of the student's ABIs that has an event with its first topic (so a token deployed with a script
still reads as Transfer(from, to, value)). Nothing here writes.

Callers catch `ChainUnavailable` (the host could not start the node) and `OSError` (the node
stopped answering mid-page): both carry a message for the student.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from web3 import Web3
from web3.exceptions import BlockNotFound, TransactionNotFound
from web3.utils.address import get_create_address

from sandbox.chain import abiforms
from sandbox.chain.models import Chain, ContractArtifact, Deployment
from sandbox.chain.nodes import chain_web3

LATEST_BLOCKS = 20
SCAN_BLOCKS = 1000
SCAN_BATCH = 200
ADDRESS_TRANSACTIONS = 100
KNOWN_ARTIFACTS = 200  # the newest; deployed ones are known through their Deployment anyway
_DYNAMIC = ("string", "bytes", "tuple")


@dataclass(frozen=True)
class Arg:
    name: str
    abi_type: str
    value: str


@dataclass(frozen=True)
class DecodedCall:
    contract: str
    function: str  # "transfer" or "constructor"
    args: list[Arg]


@dataclass(frozen=True)
class DecodedLog:
    index: int
    address: str
    contract: str  # the known deployment's contract name, or ""
    event: str  # the event's name, or "" when no ABI of the student's matches
    args: list[Arg]
    topics: list[str]
    data: str


@dataclass(frozen=True)
class BlockSummary:
    number: int
    hash: str
    time: datetime
    tx_count: int
    gas_used: int
    gas_limit: int


@dataclass(frozen=True)
class TxSummary:
    hash: str
    block_number: int
    sender: str
    to: str  # "" for a contract creation
    created: str  # the new contract's address for a creation, else ""
    value_wei: int
    method: str  # the function's name when known, else its selector; "" for a plain transfer

    @property
    def value_eth(self) -> str:
        return ether(self.value_wei)


@dataclass
class BlockDetail:
    summary: BlockSummary
    parent_hash: str
    base_fee_wei: int
    transactions: list[TxSummary]


@dataclass
class TxDetail:
    summary: TxSummary
    status: bool | None  # None while pending
    gas_used: int
    gas_limit: int
    gas_price_wei: int
    nonce: int
    input: str
    to_name: str
    created_name: str
    call: DecodedCall | None
    logs: list[DecodedLog]


@dataclass
class AddressDetail:
    address: str
    balance_wei: int
    nonce: int
    code_size: int
    deployment: Deployment | None
    transactions: list[TxSummary]
    scanned_from: int
    scanned_to: int

    @property
    def balance_eth(self) -> str:
        return ether(self.balance_wei)


@dataclass
class Known:
    """The student's contracts, as the decoder needs them: by deployed address, by event topic."""

    deployments: dict[str, Deployment] = field(default_factory=dict)
    artifacts: list[ContractArtifact] = field(default_factory=list)
    events: dict[bytes, list[tuple[ContractArtifact, dict]]] = field(default_factory=dict)


def ether(wei: int) -> str:
    """Wei as ether, exactly, without trailing zeros: 1500000000000000000 -> "1.5"."""
    return format(Decimal(wei).scaleb(-18).normalize(), "f")


def known_contracts(chain: Chain) -> Known:
    known = Known()
    deployments = Deployment.objects.filter(chain=chain).select_related("artifact")
    known.deployments = {d.address.lower(): d for d in deployments}
    known.artifacts = list(
        ContractArtifact.objects.filter(offering_id=chain.offering_id, owner_id=chain.owner_id)[
            :KNOWN_ARTIFACTS
        ]
    )
    for artifact in known.artifacts:
        for entry in artifact.abi:
            if entry.get("type") == "event" and not entry.get("anonymous"):
                topic = abiforms.event_topic(entry)
                known.events.setdefault(topic, []).append((artifact, entry))
    return known


# -- decoding ----------------------------------------------------------------------------------


def decode_logs(logs: list, known: Known) -> list[DecodedLog]:
    return [decode_log(log, known) for log in logs]


def decode_log(log, known: Known) -> DecodedLog:
    address = Web3.to_checksum_address(log["address"])
    topics = [bytes(t) for t in log["topics"]]
    data = bytes(log["data"])
    deployment = known.deployments.get(address.lower())
    undecoded = DecodedLog(
        index=log["logIndex"],
        address=address,
        contract=deployment.artifact.name if deployment else "",
        event="",
        args=[],
        topics=["0x" + t.hex() for t in topics],
        data="0x" + data.hex(),
    )
    if not topics:
        return undecoded
    candidates = []
    if deployment is not None:
        candidates += [
            (deployment.artifact, e)
            for e in deployment.artifact.abi
            if e.get("type") == "event" and abiforms.event_topic(e) == topics[0]
        ]
    candidates += known.events.get(topics[0], [])
    for _artifact, entry in candidates:
        args = _event_args(entry, topics[1:], data)
        if args is not None:
            return DecodedLog(**{**undecoded.__dict__, "event": entry["name"], "args": args})
    return undecoded


def _event_args(entry: dict, topics: list[bytes], data: bytes) -> list[Arg] | None:
    inputs = entry.get("inputs", [])
    indexed = [p for p in inputs if p.get("indexed")]
    if len(indexed) != len(topics):
        return None
    plain = [p for p in inputs if not p.get("indexed")]
    try:
        values = iter(abi_decode([abiforms.canonical_type(p) for p in plain], data))
    except (DecodingError, ValueError, OverflowError):
        return None
    topic_values = iter(topics)
    args = []
    for param in inputs:
        if param.get("indexed"):
            args.append(_indexed_arg(param, next(topic_values)))
        else:
            args.append(named_arg(param, next(values)))
    return args


def _indexed_arg(param: dict, topic: bytes) -> Arg:
    abi_type = abiforms.canonical_type(param)
    if abi_type.startswith(_DYNAMIC) or abi_type.endswith("]"):
        # An indexed string, bytes, array or struct is logged as the hash of its value.
        shown = _("0x%(hash)s (keccak-256 of the value)") % {"hash": topic.hex()}
        return Arg(param.get("name", ""), abi_type, shown)
    [value] = abi_decode([abi_type], topic)
    return named_arg(param, value)


def named_arg(param: dict, value) -> Arg:
    return Arg(
        param.get("name", ""), abiforms.canonical_type(param), abiforms.display_value(param, value)
    )


def decode_call(entry: dict, encoded_args: bytes, contract: str) -> DecodedCall | None:
    inputs = entry.get("inputs", [])
    try:
        values = abi_decode([abiforms.canonical_type(p) for p in inputs], encoded_args)
    except (DecodingError, ValueError, OverflowError):
        return None
    args = [named_arg(p, v) for p, v in zip(inputs, values, strict=True)]
    return DecodedCall(contract=contract, function=entry.get("name", "constructor"), args=args)


def decode_input(tx, known: Known) -> DecodedCall | None:
    """The call a transaction makes, in its contract's terms: a function of a known deployment,
    or the constructor of a known artifact for a contract creation."""
    data = bytes(tx["input"])
    if tx["to"] is None:
        return _decode_creation(data, tx["hash"].to_0x_hex(), known)
    deployment = known.deployments.get(tx["to"].lower())
    entry = _function_called(deployment, data)
    return decode_call(entry, data[4:], deployment.artifact.name) if entry else None


def _function_called(deployment: Deployment | None, data: bytes) -> dict | None:
    if deployment is None or len(data) < 4:
        return None
    functions = [e for e in deployment.artifact.abi if e.get("type") == "function"]
    return next((e for e in functions if abiforms.selector(e) == data[:4]), None)


def _decode_creation(data: bytes, tx_hash: str, known: Known) -> DecodedCall | None:
    deployed = [d.artifact for d in known.deployments.values() if d.tx_hash == tx_hash]
    for artifact in deployed + known.artifacts:
        code = bytes.fromhex(artifact.bytecode.removeprefix("0x"))
        if code and data.startswith(code):
            constructor = next((e for e in artifact.abi if e.get("type") == "constructor"), {})
            return decode_call(constructor, data[len(code) :], artifact.name)
    return None


def _method(tx, known: Known) -> str:
    data = bytes(tx["input"])
    if tx["to"] is None:
        return "constructor" if data else ""
    if len(data) < 4:
        return ""
    entry = _function_called(known.deployments.get(tx["to"].lower()), data)
    return entry["name"] if entry else "0x" + data[:4].hex()


# -- reading the node --------------------------------------------------------------------------


def latest_blocks(chain: Chain, count: int = LATEST_BLOCKS) -> list[BlockSummary]:
    w3 = chain_web3(chain)
    head = w3.eth.block_number
    numbers = range(head, max(-1, head - count), -1)
    return [_block_summary(b) for b in _blocks(w3, numbers, full=False)]


def block_detail(chain: Chain, number: int) -> BlockDetail | None:
    w3 = chain_web3(chain)
    try:
        block = w3.eth.get_block(number, full_transactions=True)
    except BlockNotFound:
        return None
    known = known_contracts(chain)
    return BlockDetail(
        summary=_block_summary(block),
        parent_hash=block["parentHash"].to_0x_hex(),
        base_fee_wei=block.get("baseFeePerGas", 0),
        transactions=[_tx_summary(tx, known) for tx in block["transactions"]],
    )


def block_number_of_hash(chain: Chain, block_hash: str) -> int | None:
    try:
        return chain_web3(chain).eth.get_block(block_hash)["number"]
    except BlockNotFound:
        return None


def transaction_detail(chain: Chain, tx_hash: str) -> TxDetail | None:
    w3 = chain_web3(chain)
    try:
        tx = w3.eth.get_transaction(tx_hash)
    except TransactionNotFound:
        return None
    try:
        receipt = w3.eth.get_transaction_receipt(tx_hash)
    except TransactionNotFound:
        receipt = None
    known = known_contracts(chain)
    summary = _tx_summary(tx, known)
    return TxDetail(
        summary=summary,
        status=bool(receipt["status"]) if receipt else None,
        gas_used=receipt["gasUsed"] if receipt else 0,
        gas_limit=tx["gas"],
        gas_price_wei=(receipt or {}).get("effectiveGasPrice", tx.get("gasPrice", 0)),
        nonce=tx["nonce"],
        input="0x" + bytes(tx["input"]).hex(),
        to_name=_name_at(summary.to, known),
        created_name=_name_at(summary.created, known),
        call=decode_input(tx, known),
        logs=decode_logs(receipt["logs"], known) if receipt else [],
    )


def address_detail(chain: Chain, address: str) -> AddressDetail:
    """Balance, nonce and code now, and the transactions from or to the address in the last
    `SCAN_BLOCKS` blocks (newest first, at most `ADDRESS_TRANSACTIONS`)."""
    w3 = chain_web3(chain)
    address = Web3.to_checksum_address(address)
    known = known_contracts(chain)
    head = w3.eth.block_number
    first = max(0, head - SCAN_BLOCKS + 1)
    found = []
    for block in _blocks(w3, range(head, first - 1, -1), full=True):
        for tx in reversed(block["transactions"]):
            summary = _tx_summary(tx, known)
            if address in (summary.sender, summary.to, summary.created):
                found.append(summary)
        if len(found) >= ADDRESS_TRANSACTIONS:
            break
    return AddressDetail(
        address=address,
        balance_wei=w3.eth.get_balance(address),
        nonce=w3.eth.get_transaction_count(address),
        code_size=len(w3.eth.get_code(address)),
        deployment=known.deployments.get(address.lower()),
        transactions=found[:ADDRESS_TRANSACTIONS],
        scanned_from=first,
        scanned_to=head,
    )


def _blocks(w3: Web3, numbers: range, *, full: bool):
    """Blocks in the order given, fetched in batches (one HTTP request per `SCAN_BATCH`)."""
    numbers = list(numbers)
    for start in range(0, len(numbers), SCAN_BATCH):
        with w3.batch_requests() as batch:
            for number in numbers[start : start + SCAN_BATCH]:
                batch.add(w3.eth.get_block(number, full))
            blocks = batch.execute()
        yield from blocks


def _block_summary(block) -> BlockSummary:
    return BlockSummary(
        number=block["number"],
        hash=block["hash"].to_0x_hex(),
        time=datetime.fromtimestamp(block["timestamp"], tz=UTC),
        tx_count=len(block["transactions"]),
        gas_used=block["gasUsed"],
        gas_limit=block["gasLimit"],
    )


def _tx_summary(tx, known: Known) -> TxSummary:
    sender = Web3.to_checksum_address(tx["from"])
    to = Web3.to_checksum_address(tx["to"]) if tx["to"] else ""
    return TxSummary(
        hash=tx["hash"].to_0x_hex(),
        block_number=tx["blockNumber"],
        sender=sender,
        to=to,
        created="" if to else get_create_address(sender, tx["nonce"]),
        value_wei=tx["value"],
        method=_method(tx, known),
    )


def _name_at(address: str, known: Known) -> str:
    deployment = known.deployments.get(address.lower()) if address else None
    return deployment.artifact.name if deployment else ""
