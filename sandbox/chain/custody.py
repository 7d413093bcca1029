"""The exchange's custody of each student's chain: its keys there, its tokens, what it holds.

On every student's chain the exchange has two addresses: the student's **deposit address** and
its own **hot wallet**. Their keys come from HMAC-SHA256(SECRET_KEY, "custody", chain pk, role),
never from the student's mnemonic, so the student cannot move them (unless the offering allows
cheat methods such as impersonation: keep those refused while deposits matter).

Provisioning (`ensure_custody`) makes a chain ready, idempotently: the hot wallet gets a float of
ether through the node's own `anvil_setBalance` (the control plane, not the student's proxy) and
deploys one `CampusAsset` ERC-20 per withdrawable token asset (decimals = the asset's precision),
which mints the student's account 0 a starting balance to deposit and the hot wallet a float to
pay withdrawals from. It is triggered lazily: by the deposit page and a withdrawal on first use,
and by the watcher whenever the node restarted (a reset or a snapshot revert restarts it) or the
chain's history changed, which checks the code at the tokens' addresses (as `levels.py` does)
and deploys again what a reset or revert removed. The deposit address pays no gas (deposits are
not swept), so only the hot wallet is given ether.

`onchain_reserves` adds up what the watcher last read the exchange's addresses to hold on each
of an offering's chains, net of the floats the platform gave them, so that it compares exactly
with what students brought in net (`sandbox.wallet.api.reserve_lines`).
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import requests
import rlp
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from eth_abi import encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address

from sandbox.chain.execution import chain_in_use, code_hash
from sandbox.chain.levels import compiled
from sandbox.chain.models import Chain, ChainCustody, ChainToken
from sandbox.chain.nodes import node_url
from sandbox.chain.selectors import dev_accounts
from sandbox.wallet.api import transfer_rules

ETH = "ETH"
ETH_DECIMALS = 18
HOT_ETH_FLOAT = Decimal(10)
"""Ether the hot wallet is given at provisioning: gas, and ether withdrawals beyond deposits."""
STUDENT_START = {"BTC": Decimal("0.5"), "KUSD": Decimal(1000)}
"""What the student's account 0 is minted when a token is deployed, to have something to deposit."""
HOT_TOKEN_FLOAT = {"BTC": Decimal(10), "KUSD": Decimal(100_000)}
DEFAULT_HOT_TOKEN_FLOAT = Decimal(1000)
TOKEN_NAMES = {"BTC": ("Campus Bitcoin", "cBTC"), "KUSD": ("Campus Dollar", "KUSD")}


def token_symbol(asset_code: str) -> str:
    """The symbol of the bridge token for an exchange asset, as it is deployed on the chains."""
    return TOKEN_NAMES.get(asset_code, (f"Campus {asset_code}", f"c{asset_code}"))[1]


CONTRACT_FILE = "CampusAsset.sol"
CONTRACT_PATH = Path(__file__).resolve().parent / "contracts" / CONTRACT_FILE
CONSTRUCTOR_TYPES = ["string", "string", "uint8", "address", "uint256", "uint256"]
TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
BALANCE_OF = keccak(text="balanceOf(address)")[:4]
TRANSFER = keccak(text="transfer(address,uint256)")[:4]
LOCK_TTL_S = 120
"""A process that dies holding a chain's custody lock frees it after this long."""
IN_USE_WAIT_S = 10
RECEIPT_WAIT_S = 30


class CustodyBusy(RuntimeError):
    """Another process is provisioning, watching or sending on this chain right now."""


class CustodyUnavailable(RuntimeError):
    """The tokens could not be compiled or deployed: the platform's problem, not the student's."""


class NodeError(RuntimeError):
    """The node answered a JSON-RPC call with an error (the message is the node's)."""


# -- keys ----------------------------------------------------------------------------------------


def custody_account(chain_pk: int, role: str) -> LocalAccount:
    """The exchange's account `role` ("deposit" or "hot") on the chain: stable, secret."""
    message = f"custody:{chain_pk}:{role}".encode()
    return Account.from_key(hmac.new(settings.SECRET_KEY.encode(), message, "sha256").digest())


def custody_addresses(chain_pk: int) -> tuple[str, str]:
    """(deposit address, hot wallet) of the chain, without asking its node."""
    return custody_account(chain_pk, "deposit").address, custody_account(chain_pk, "hot").address


PROTECTED_NONCES = 8
"""The hot wallet deploys the bridge tokens first: at most this many contracts to protect."""


def protected_addresses(chain_pk: int) -> frozenset[str]:
    """What a student's cheat methods must never touch on their chain (lowercase): the exchange's
    two accounts and the contracts its hot wallet deployed first (the bridge tokens, at fixed
    nonces). Derived, so the proxy needs neither the node nor the database."""
    deposit, hot = custody_addresses(chain_pk)
    sender = bytes.fromhex(hot[2:])
    created = [
        "0x" + keccak(rlp.encode([sender, nonce]))[12:].hex() for nonce in range(PROTECTED_NONCES)
    ]
    return frozenset([deposit.lower(), hot.lower(), *created])


# -- talking to the node -------------------------------------------------------------------------

_local = threading.local()


class Node:
    """JSON-RPC straight to a chain's node (the control plane: no proxy, no policy), over this
    thread's keep-alive session; `batch` sends many calls in one request. Connection troubles
    raise OSError (requests' errors are OSErrors), answers with an error raise NodeError."""

    def __init__(self, url: str, *, timeout: float = 10) -> None:
        self.url, self.timeout = url, timeout

    def call(self, method: str, *params) -> object:
        return self.batch([(method, list(params))])[0]

    def batch(self, calls: Sequence[tuple[str, list]]) -> list:
        if not calls:
            return []
        body = [
            {"jsonrpc": "2.0", "id": n, "method": method, "params": params}
            for n, (method, params) in enumerate(calls)
        ]
        answer = _session().post(self.url, json=body, timeout=self.timeout)
        answer.raise_for_status()
        replies = answer.json()
        if not isinstance(replies, list):  # the whole batch refused
            raise NodeError(str(replies.get("error", replies))[:500])
        replies.sort(key=lambda reply: reply["id"])
        for reply in replies:
            if "error" in reply:
                method = calls[reply["id"]][0]
                raise NodeError(f"{method}: {reply['error'].get('message', reply['error'])}")
        return [reply["result"] for reply in replies]


def _session() -> requests.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


def control_node(chain: Chain) -> Node:
    """The chain's node, started first by its host if stopped (`chain` is refreshed: its start
    time and port are the node's). Raises ChainUnavailable."""
    node = Node(node_url(chain))
    chain.refresh_from_db(fields=["status", "port", "started_at"])
    return node


def running_node(chain: Chain) -> Node | None:
    """The node of a chain the database says is running, reached without asking its host (which
    would count as use and keep an idle chain from stopping). The host's nodes listen on its
    loopback, as `nodes.node_url` says; callers check the chain id before trusting it."""
    if chain.status != Chain.Status.RUNNING or chain.port is None:
        return None
    return Node(f"http://127.0.0.1:{chain.port}", timeout=5)


def send_from(
    node: Node, account: LocalAccount, *, to: str | None, data: bytes = b"", value: int = 0
) -> str:
    """Sign and send a transaction from `account`; returns its hash. The gas estimate refuses a
    transaction that would revert (NodeError, with the node's reason)."""
    tx_hash, raw = signed_transaction(node, account, to=to, data=data, value=value)
    node.call("eth_sendRawTransaction", raw)
    return tx_hash


def signed_transaction(
    node: Node, account: LocalAccount, *, to: str | None, data: bytes = b"", value: int = 0
) -> tuple[str, str]:
    """(hash, raw) of a signed EIP-1559 transaction at the account's next nonce."""
    call = {"from": account.address, "data": "0x" + data.hex(), "value": hex(value)}
    if to:
        call["to"] = to
    chain_id, nonce, gas, tip, block = node.batch(
        [
            ("eth_chainId", []),
            ("eth_getTransactionCount", [account.address, "pending"]),
            ("eth_estimateGas", [call]),
            ("eth_maxPriorityFeePerGas", []),
            ("eth_getBlockByNumber", ["latest", False]),
        ]
    )
    tip, base = int(tip, 16), int(block.get("baseFeePerGas") or "0x0", 16)
    tx = {
        "type": 2,
        "chainId": int(chain_id, 16),
        "nonce": int(nonce, 16),
        "gas": int(gas, 16),
        "maxPriorityFeePerGas": tip,
        "maxFeePerGas": 2 * base + tip,
        "value": value,
        "data": data,
    }
    if to:
        tx["to"] = to_checksum_address(to)
    signed = account.sign_transaction(tx)
    return "0x" + signed.hash.hex().removeprefix("0x"), "0x" + signed.raw_transaction.hex()


def receipt_of(node: Node, tx_hash: str, *, wait_s: float = RECEIPT_WAIT_S) -> dict:
    deadline = time.monotonic() + wait_s
    while (receipt := node.call("eth_getTransactionReceipt", tx_hash)) is None:
        if time.monotonic() > deadline:
            raise CustodyUnavailable(f"{tx_hash} was not mined within {wait_s} s")
        time.sleep(0.05)
    return receipt


def balance_call(token: str, holder: str) -> tuple[str, list]:
    data = BALANCE_OF + encode(["address"], [holder])
    return ("eth_call", [{"to": token, "data": "0x" + data.hex()}, "latest"])


def transfer_data(to: str, units: int) -> bytes:
    return TRANSFER + encode(["address", "uint256"], [to, units])


def to_units(amount: Decimal, decimals: int) -> int | None:
    """An amount in base units, or None if it is finer than the token's decimals."""
    scaled = Decimal(amount).scaleb(decimals)
    return int(scaled) if scaled == scaled.to_integral_value() else None


def from_units(units: int, decimals: int) -> Decimal:
    return Decimal(units).scaleb(-decimals)


# -- the per-chain custody lock ------------------------------------------------------------------


@contextmanager
def custody_lock(chain_pk: int, *, wait_s: float) -> Iterator[None]:
    """Provision, watch or send on the chain alone (across processes, through the cache): the hot
    wallet's nonces and the watcher's position depend on it. Raises CustodyBusy after `wait_s`."""
    key, token = f"chain:{chain_pk}:custody", secrets.token_hex(8)
    deadline = time.monotonic() + wait_s
    while not cache.add(key, token, timeout=LOCK_TTL_S):
        if time.monotonic() >= deadline:
            raise CustodyBusy(_("Your chain is busy with a deposit or withdrawal; try again."))
        time.sleep(0.05)
    try:
        yield
    finally:
        if cache.get(key) == token:
            cache.delete(key)


# -- provisioning --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenPlan:
    """A token the chain should carry: the asset, its decimals and what deployment mints."""

    asset_code: str
    decimals: int
    name: str
    symbol: str
    student_units: int
    float_units: int


def token_plans(offering_id: int) -> list[TokenPlan]:
    """One per withdrawable asset other than native ether, by asset code (so the hot wallet
    deploys them at the same nonces, hence the same addresses, every time)."""
    plans = []
    for rule in transfer_rules(offering_id):
        if not rule.withdrawable or rule.asset_code == ETH:
            continue
        code, decimals = rule.asset_code, rule.precision
        name, symbol = TOKEN_NAMES.get(code, (f"Campus {code}", token_symbol(code)))
        float_amount = HOT_TOKEN_FLOAT.get(code, DEFAULT_HOT_TOKEN_FLOAT)
        plans.append(
            TokenPlan(
                asset_code=code,
                decimals=decimals,
                name=name,
                symbol=symbol,
                student_units=to_units(STUDENT_START.get(code, Decimal(0)), decimals) or 0,
                float_units=to_units(float_amount, decimals) or 0,
            )
        )
    return plans


def ensure_custody(chain: Chain, *, wait_s: float = 30) -> ChainCustody:
    """The chain's custody, provisioned first if it is not (or no longer) in place. Idempotent;
    starts the chain if it is stopped. Raises ChainUnavailable, CustodyBusy, CustodyUnavailable,
    ChainBusy (a grading holds the chain) and OSError (the node stopped answering)."""
    node = control_node(chain)
    custody = custody_row(chain)
    if custody.provisioned and contracts_in_place(node, chain, custody):
        return custody  # the usual case: no lock needed
    with custody_lock(chain.pk, wait_s=wait_s):
        custody, _fresh = ensure_custody_locked(node, chain)
    return custody


def ensure_custody_locked(node: Node, chain: Chain) -> tuple[ChainCustody, bool]:
    """As `ensure_custody`, for a caller holding the custody lock; also says whether anything
    was deployed just now."""
    custody = custody_row(chain)
    if custody.provisioned and contracts_in_place(node, chain, custody):
        if custody.node_started_at != chain.started_at:
            ChainCustody.objects.filter(pk=custody.pk).update(node_started_at=chain.started_at)
            custody.node_started_at = chain.started_at
        return custody, False
    try:
        with chain_in_use(chain.pk, wait_s=IN_USE_WAIT_S):
            _provision(node, chain, custody)
    except (CustodyUnavailable, NodeError) as error:
        ChainCustody.objects.filter(pk=custody.pk).update(
            provisioned=False, provision_error=str(error)[:2000]
        )
        raise CustodyUnavailable(str(error)) from error
    custody.refresh_from_db()
    return custody, True


def custody_row(chain: Chain) -> ChainCustody:
    """The chain's custody row, created (not provisioned) the first time."""
    found = ChainCustody.objects.filter(chain=chain).first()
    if found is not None:
        return found
    deposit, hot = custody_addresses(chain.pk)
    try:
        with transaction.atomic():
            return ChainCustody.objects.create(
                chain=chain, deposit_address=deposit, hot_address=hot
            )
    except IntegrityError:  # created at the same moment by another process
        return ChainCustody.objects.get(chain=chain)


def contracts_in_place(node: Node, chain: Chain, custody: ChainCustody) -> bool:
    """Every token the offering needs is recorded and its code is at its address."""
    tokens = {token.asset_code: token for token in ChainToken.objects.filter(chain=chain)}
    wanted = [plan.asset_code for plan in token_plans(chain.offering_id)]
    if any(code not in tokens for code in wanted):
        return False
    codes = node.batch([("eth_getCode", [tokens[c].address, "latest"]) for c in wanted])
    return all(_hash_of(code) == tokens[c].code_hash for c, code in zip(wanted, codes, strict=True))


def _hash_of(code: str) -> str:
    raw = bytes.fromhex(code.removeprefix("0x"))
    return code_hash(raw) if raw else ""


def _provision(node: Node, chain: Chain, custody: ChainCustody) -> None:
    """Deploy what is missing. On a chain state the hot wallet never sent from (new, reset, or
    reverted to before provisioning) this starts the exchange's books on it afresh: the float,
    no gas spent, and every transfer recorded before must be found on the chain again."""
    hot = custody_account(chain.pk, "hot")
    fresh = int(node.call("eth_getTransactionCount", hot.address, "latest"), 16) == 0
    if fresh:
        float_wei = int(HOT_ETH_FLOAT.scaleb(ETH_DECIMALS))
        node.call("anvil_setBalance", hot.address, hex(float_wei))
        _start_books(custody, float_wei)
    present = {t.asset_code: t for t in ChainToken.objects.filter(chain=chain)}
    student = dev_accounts(chain)[0].address
    for plan in token_plans(chain.offering_id):
        token = present.get(plan.asset_code)
        if fresh or token is None or not _code_matches(node, token):
            _deploy(node, chain, hot, plan, student)
    with transaction.atomic(durable=True):
        ChainCustody.objects.filter(pk=custody.pk).update(
            provisioned=True,
            provision_error="",
            provisioned_at=timezone.now(),
            node_started_at=chain.started_at,
        )


def _start_books(custody: ChainCustody, float_wei: int) -> None:
    """The watcher reads this chain state from its genesis (a deposit sent before provisioning
    counts too), the exchange's gas from zero, and rechecks every transfer recorded before."""
    with transaction.atomic(durable=True):
        ChainCustody.objects.filter(pk=custody.pk).update(
            float_wei=float_wei,
            gas_spent_wei=0,
            scanned_block=-1,
            scanned_block_hash="",
            checkpoints=[],
            recheck_from=-1,
            holdings={},
            holdings_block=None,
        )


def _code_matches(node: Node, token: ChainToken) -> bool:
    return _hash_of(node.call("eth_getCode", token.address, "latest")) == token.code_hash


def _deploy(node: Node, chain: Chain, hot: LocalAccount, plan: TokenPlan, student: str) -> None:
    contract = _campus_asset()
    arguments = encode(
        CONSTRUCTOR_TYPES,
        [plan.name, plan.symbol, plan.decimals, student, plan.student_units, plan.float_units],
    )
    data = bytes.fromhex(contract.bytecode.removeprefix("0x")) + arguments
    receipt = receipt_of(node, send_from(node, hot, to=None, data=data))
    address = receipt.get("contractAddress")
    if int(receipt["status"], 16) != 1 or not address:
        raise CustodyUnavailable(f"deploying {plan.symbol} failed: {json.dumps(receipt)[:300]}")
    with transaction.atomic(durable=True):
        ChainToken.objects.update_or_create(
            chain=chain,
            asset_code=plan.asset_code,
            defaults={
                "address": to_checksum_address(address),
                "decimals": plan.decimals,
                "code_hash": _hash_of(node.call("eth_getCode", address, "latest")),
                "float_units": plan.float_units,
            },
        )


def _campus_asset():
    result = compiled({CONTRACT_FILE: CONTRACT_PATH.read_text()})
    contract = result.contracts.get("CampusAsset")
    if not result.ok or contract is None:
        raise CustodyUnavailable(f"{CONTRACT_FILE} does not compile: {result.errors[:1]}")
    return contract


# -- reserves ------------------------------------------------------------------------------------


def onchain_reserves(offering_id: int) -> dict[str, Decimal]:
    """What the exchange's addresses hold across the offering's chains, per asset, net of the
    floats the platform gave them (the hot wallet's ether less the gas it spent, its token
    floats), as each chain's watcher last read it. A stopped chain cannot change, so its figure
    stays right; a chain reset while stopped shows its old figure until it runs again."""
    codes = [ETH] + [plan.asset_code for plan in token_plans(offering_id)]
    total = dict.fromkeys(codes, Decimal(0))
    rows = ChainCustody.objects.filter(
        chain__offering_id=offering_id, chain__forked_from__isnull=True
    ).values_list("holdings", flat=True)
    for holdings in rows:
        for code, amount in (holdings or {}).items():
            total[code] = total.get(code, Decimal(0)) + Decimal(amount)
    return total
