"""The deposit watcher: one pass over one student's chain, run every second by Celery beat.

A pass reads the blocks the chain made since the last pass (at most `MAX_BLOCKS_PER_PASS`),
records every transfer to the student's deposit address with `sandbox.wallet.api.record_deposit`
(ether: a successful transaction to it with a value; tokens: the exchange's tokens' `Transfer`
logs to it), then asks `credit_deposit` to credit each waiting deposit with its confirmations
(head − block + 1), confirms or fails the withdrawals the hot wallet broadcast, and, while
anything still waits, mines one empty block (`evm_mine` on the node: the sandbox chain only makes
blocks for transactions; a real chain makes them as time passes).

Exactly once: the wallet's unique key (chain id, tx hash, log index) and its row lock make a
credit happen once however often a transfer is recorded; a pass takes the chain's custody lock
and skips the chain if another pass holds it; the position is saved only after what it covers
was recorded, so a pass that dies is simply done again. `log_index` is the log's position within
its transaction (-1 for ether), so a transaction mined again in another block keeps its key.

History rewritten (a snapshot revert, a reset, a grading's `evm_revert`, the student's own
`anvil_reset`): the hash of the last block read no longer matches. The watcher rewinds to the
newest checkpoint still on the chain (from genesis if none is), and every deposit recorded above
it is looked up again by its receipt: gone → `revert_deposit` (a credited one is flagged), moved
to another block → recorded there. A node that restarted, or a rewound chain, also has its
contracts checked, and what a reset removed is provisioned again (`custody.ensure_custody_locked`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction

from sandbox.chain.custody import (
    ETH,
    ETH_DECIMALS,
    TRANSFER_TOPIC,
    CustodyBusy,
    CustodyUnavailable,
    Node,
    NodeError,
    balance_call,
    custody_lock,
    ensure_custody_locked,
    from_units,
    running_node,
)
from sandbox.chain.execution import ChainBusy, in_use_key
from sandbox.chain.models import Chain, ChainCustody, ChainToken
from sandbox.chain.withdrawals import confirm_withdrawals
from sandbox.wallet.api import (
    Deposit,
    TransferRefused,
    credit_deposit,
    record_deposit,
    revert_deposit,
    transfer_settings,
)

log = logging.getLogger(__name__)

MAX_BLOCKS_PER_PASS = 200
FULL_PASS_EVERY_S = 10
CHECKPOINTS_KEPT = 32
REFUSED_KEPT = 50


@dataclass
class PassReport:
    """What one pass did (the task returns it as text; the benchmark and tests read it)."""

    skipped: str = ""
    scanned: int = 0
    recorded: int = 0
    credited: int = 0
    reverted: int = 0
    settled: int = 0
    failed: int = 0
    rewound: bool = False
    provisioned: bool = False
    mined: bool = False
    waiting: int = 0
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if self.skipped:
            return f"skipped: {self.skipped}"
        shown = ("scanned", "recorded", "credited", "reverted", "settled", "failed", "waiting")
        return " ".join(f"{name}={getattr(self, name)}" for name in shown)


@dataclass(frozen=True)
class SeenTransfer:
    asset_code: str
    tx_hash: str
    log_index: int
    block_number: int
    block_hash: str
    from_address: str
    units: int
    decimals: int


def watch_chain(chain_pk: int) -> PassReport:
    """One pass over the chain, if it is running and has custody; skipped (with the reason)
    while a grading uses it, another pass holds it, or its node does not answer."""
    chain = Chain.objects.filter(pk=chain_pk, forked_from__isnull=True).first()
    node = running_node(chain) if chain is not None else None
    if node is None:
        return PassReport(skipped="not running")
    if cache.get(in_use_key(chain_pk)):
        return PassReport(skipped="a grading is using the chain")
    try:
        if _unchanged(node, chain):
            return PassReport(skipped="unchanged")
        with custody_lock(chain_pk, wait_s=0):
            report = _pass(node, chain)
    except CustodyBusy:
        return PassReport(skipped="another pass holds the chain")
    except (OSError, NodeError, ChainBusy, CustodyUnavailable) as error:
        log.warning("watcher: chain %s: %s", chain_pk, error)
        return PassReport(skipped=str(error)[:200])
    if not report.skipped:
        cache.set(watched_key(chain_pk), 1, timeout=FULL_PASS_EVERY_S)
    return report


def _unchanged(node: Node, chain: Chain) -> bool:
    """Nothing can have happened since the last full pass, a few seconds ago: same node, same
    head, same last block, holdings read there. (A full pass every `FULL_PASS_EVERY_S` anyway
    catches what the database alone changed: deposits opened again, fewer confirmations.) Most
    passes are this one: two small queries and one request to the node, no lock."""
    custody = ChainCustody.objects.filter(chain=chain).first()
    if custody is None or not custody.provisioned or custody.scanned_block < 0:
        return False
    if custody.node_started_at != chain.started_at or custody.holdings_block is None:
        return False
    if not cache.get(watched_key(chain.pk)):
        return False
    head, last = node.batch(
        [
            ("eth_blockNumber", []),
            ("eth_getBlockByNumber", [hex(custody.scanned_block), False]),
        ]
    )
    return (
        int(head, 16) == custody.scanned_block == custody.holdings_block
        and last is not None
        and last["hash"] == custody.scanned_block_hash
    )


def watched_key(chain_pk: int) -> str:
    return f"chain:{chain_pk}:watched"


def _pass(node: Node, chain: Chain) -> PassReport:
    report = PassReport()
    custody = ChainCustody.objects.filter(chain=chain).first()
    if custody is None:
        return PassReport(skipped="no custody (never provisioned)")
    chain_id, head, last = node.batch(
        [
            ("eth_chainId", []),
            ("eth_blockNumber", []),
            ("eth_getBlockByNumber", [hex(max(custody.scanned_block, 0)), False]),
        ]
    )
    if int(chain_id, 16) != chain.chain_id:
        return PassReport(skipped="another chain answers on that port")
    head = int(head, 16)
    if _rewritten(custody, head, last):
        _rewind(node, custody, head)
        report.rewound = True
    if report.rewound or not custody.provisioned or custody.node_started_at != chain.started_at:
        custody, report.provisioned = ensure_custody_locked(node, chain)
    tokens = list(ChainToken.objects.filter(chain=chain))
    if custody.recheck_from is not None:
        _recheck(node, chain, custody, report)
    _scan(node, chain, custody, tokens, head, report)
    needed = transfer_settings(chain.offering_id).confirmations
    _credit_waiting(chain, custody, head, needed, report)
    confirm_withdrawals(node, chain, custody, head, needed, report)
    if report.waiting and custody.scanned_block == head:
        node.call("evm_mine")
        report.mined = True
    _record_holdings(node, custody, tokens, head)
    return report


# -- history rewritten ---------------------------------------------------------------------------


def _rewritten(custody: ChainCustody, head: int, last: dict | None) -> bool:
    if custody.scanned_block < 0:
        return False
    return (
        custody.scanned_block > head or last is None or last["hash"] != custody.scanned_block_hash
    )


def _rewind(node: Node, custody: ChainCustody, head: int) -> None:
    """Back to the newest checkpoint still on the chain, or to its genesis."""
    candidates = [point for point in reversed(custody.checkpoints) if point[0] <= head]
    blocks = node.batch([("eth_getBlockByNumber", [hex(p[0]), False]) for p in candidates])
    kept = next(
        (p for p, b in zip(candidates, blocks, strict=True) if b and b["hash"] == p[1]), None
    )
    number, block_hash, gas = kept if kept is not None else (-1, "", "0")
    custody.scanned_block, custody.scanned_block_hash = number, block_hash
    custody.gas_spent_wei = Decimal(gas)
    custody.checkpoints = [p for p in custody.checkpoints if p[0] <= number]
    custody.recheck_from, custody.holdings_block = number, None
    custody.save(
        update_fields=[
            "scanned_block",
            "scanned_block_hash",
            "gas_spent_wei",
            "checkpoints",
            "recheck_from",
            "holdings_block",
        ]
    )
    log.info("watcher: chain %s rewritten; rewound to block %s", custody.chain_id, number)


def _recheck(node: Node, chain: Chain, custody: ChainCustody, report: PassReport) -> None:
    """Find every deposit recorded above `recheck_from` on the chain again."""
    rows = list(
        Deposit.objects.filter(
            chain_id=chain.chain_id,
            status__in=[Deposit.Status.SEEN, Deposit.Status.CREDITED],
            block_number__gt=custody.recheck_from,
        )
    )
    receipts = node.batch([("eth_getTransactionReceipt", [row.tx_hash]) for row in rows])
    for row, receipt in zip(rows, receipts, strict=True):
        if receipt is None or int(receipt["status"], 16) != 1:
            revert_deposit(deposit_id=row.pk)
            report.reverted += 1
        elif receipt["blockHash"] != row.block_hash:
            _record_again(chain, row, receipt)
    ChainCustody.objects.filter(pk=custody.pk).update(recheck_from=None)
    custody.recheck_from = None


def _record_again(chain: Chain, row: Deposit, receipt: dict) -> None:
    """The same transaction, mined again in another block: the deposit follows it there."""
    record_deposit(
        offering_id=chain.offering_id,
        owner_id=chain.owner_id,
        asset_code=row.asset_id,
        chain_id=chain.chain_id,
        tx_hash=row.tx_hash,
        log_index=row.log_index,
        block_number=int(receipt["blockNumber"], 16),
        block_hash=receipt["blockHash"],
        from_address=row.from_address,
        to_address=row.to_address,
        amount=row.amount,
    )


# -- reading new blocks --------------------------------------------------------------------------


def _scan(
    node: Node,
    chain: Chain,
    custody: ChainCustody,
    tokens: list[ChainToken],
    head: int,
    report: PassReport,
) -> None:
    start = custody.scanned_block + 1
    end = min(head, custody.scanned_block + MAX_BLOCKS_PER_PASS)
    if start > end:
        return
    blocks = node.batch([("eth_getBlockByNumber", [hex(n), True]) for n in range(start, end + 1)])
    if not _linked(custody, blocks):
        return  # rewritten while we read: the next pass rewinds
    ours = {custody.deposit_address.lower(), custody.hot_address.lower()}
    deposit = custody.deposit_address.lower()
    ether_in = [
        tx
        for block in blocks
        for tx in block["transactions"]
        if (tx.get("to") or "").lower() == deposit
        and int(tx["value"], 16) > 0
        and tx["from"].lower() not in ours
    ]
    spending = [
        tx for block in blocks for tx in block["transactions"] if tx["from"].lower() in ours
    ]
    logs = _token_logs(node, tokens, deposit, start, end)
    wanted = {tx["hash"] for tx in ether_in + spending} | {
        entry["transactionHash"] for entry in logs
    }
    receipts = dict(
        zip(
            wanted,
            node.batch([("eth_getTransactionReceipt", [h]) for h in wanted]),
            strict=True,
        )
    )
    seen = _ether_transfers(ether_in, receipts) + _token_transfers(logs, tokens, receipts, ours)
    for transfer in seen:
        _record(chain, custody, transfer, report)
    gas = sum(_gas_cost(receipts[tx["hash"]]) for tx in spending if receipts.get(tx["hash"]))
    _advance(custody, end, blocks[-1]["hash"], gas)
    report.scanned += len(blocks)


def _linked(custody: ChainCustody, blocks: list[dict | None]) -> bool:
    """Every block was there and each follows the one before (and the last one read)."""
    parent = custody.scanned_block_hash or None
    for block in blocks:
        if block is None or (parent is not None and block["parentHash"] != parent):
            return False
        parent = block["hash"]
    return True


def _token_logs(
    node: Node, tokens: list[ChainToken], deposit: str, start: int, end: int
) -> list[dict]:
    if not tokens:
        return []
    topic = "0x" + "0" * 24 + deposit.removeprefix("0x")
    query = {
        "fromBlock": hex(start),
        "toBlock": hex(end),
        "address": [token.address for token in tokens],
        "topics": [TRANSFER_TOPIC, None, topic],
    }
    return node.call("eth_getLogs", query)


def _ether_transfers(txs: list[dict], receipts: dict) -> list[SeenTransfer]:
    seen = []
    for tx in txs:
        receipt = receipts.get(tx["hash"])
        if receipt is None or int(receipt["status"], 16) != 1:
            continue  # a reverted transaction moved nothing
        seen.append(
            SeenTransfer(
                asset_code=ETH,
                tx_hash=tx["hash"].lower(),
                log_index=-1,
                block_number=int(tx["blockNumber"], 16),
                block_hash=tx["blockHash"],
                from_address=tx["from"].lower(),
                units=int(tx["value"], 16),
                decimals=ETH_DECIMALS,
            )
        )
    return seen


def _token_transfers(
    logs: list[dict], tokens: list[ChainToken], receipts: dict, ours: set[str]
) -> list[SeenTransfer]:
    by_address = {token.address.lower(): token for token in tokens}
    seen = []
    for entry in logs:
        token = by_address.get(entry["address"].lower())
        sender = "0x" + entry["topics"][1][-40:]
        if token is None or entry.get("removed") or sender in ours:
            continue
        receipt = receipts[entry["transactionHash"]]
        position = [log["logIndex"] for log in receipt["logs"]].index(entry["logIndex"])
        seen.append(
            SeenTransfer(
                asset_code=token.asset_code,
                tx_hash=entry["transactionHash"].lower(),
                log_index=position,
                block_number=int(entry["blockNumber"], 16),
                block_hash=entry["blockHash"],
                from_address=sender,
                units=int(entry["data"], 16),
                decimals=token.decimals,
            )
        )
    return seen


def _record(chain: Chain, custody: ChainCustody, seen: SeenTransfer, report: PassReport) -> None:
    try:
        record_deposit(
            offering_id=chain.offering_id,
            owner_id=chain.owner_id,
            asset_code=seen.asset_code,
            chain_id=chain.chain_id,
            tx_hash=seen.tx_hash,
            log_index=seen.log_index,
            block_number=seen.block_number,
            block_hash=seen.block_hash,
            from_address=seen.from_address,
            to_address=custody.deposit_address,
            amount=from_units(seen.units, seen.decimals),
        )
        report.recorded += 1
    except TransferRefused as refused:
        _remember_refused(custody, seen, refused)


def _remember_refused(custody: ChainCustody, seen: SeenTransfer, refused: TransferRefused) -> None:
    """A transfer the wallet will not take (finer than the asset's precision, say): kept on the
    custody row for the instructor, never credited; its coins stay in the reserves' difference."""
    entry = {
        "tx_hash": seen.tx_hash,
        "log_index": seen.log_index,
        "asset": seen.asset_code,
        "amount": str(from_units(seen.units, seen.decimals)),
        "code": refused.code,
        "reason": refused.message,
    }
    if any(
        (e["tx_hash"], e["log_index"]) == (seen.tx_hash, seen.log_index) for e in custody.refused
    ):
        return
    custody.refused = [*custody.refused, entry][-REFUSED_KEPT:]
    ChainCustody.objects.filter(pk=custody.pk).update(refused=custody.refused)
    log.warning("watcher: chain %s refused %s: %s", custody.chain_id, seen.tx_hash, refused)


def _gas_cost(receipt: dict) -> int:
    return int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)


def _advance(custody: ChainCustody, number: int, block_hash: str, gas: int) -> None:
    custody.scanned_block, custody.scanned_block_hash = number, block_hash
    custody.gas_spent_wei += gas
    point = [number, block_hash, str(custody.gas_spent_wei)]
    custody.checkpoints = [*custody.checkpoints, point][-CHECKPOINTS_KEPT:]
    with transaction.atomic(durable=True):
        ChainCustody.objects.filter(pk=custody.pk).update(
            scanned_block=number,
            scanned_block_hash=block_hash,
            gas_spent_wei=custody.gas_spent_wei,
            checkpoints=custody.checkpoints,
        )


# -- credits and holdings ------------------------------------------------------------------------


def _credit_waiting(
    chain: Chain, custody: ChainCustody, head: int, needed: int, report: PassReport
) -> None:
    """Credit what has its confirmations; count what still needs blocks (a deposit of an asset
    whose deposits are closed waits without blocks being mined for it)."""
    waiting = Deposit.objects.filter(
        chain_id=chain.chain_id,
        status=Deposit.Status.SEEN,
        block_number__lte=custody.scanned_block,
    ).values_list("pk", "block_number")
    for deposit_id, block_number in waiting:
        confirmations = head - block_number + 1
        deposit = credit_deposit(deposit_id=deposit_id, confirmations=confirmations)
        if deposit.status == Deposit.Status.CREDITED:
            report.credited += 1
        elif confirmations < needed:
            report.waiting += 1


def _record_holdings(
    node: Node, custody: ChainCustody, tokens: list[ChainToken], head: int
) -> None:
    """What the exchange's addresses hold net of their floats, once the pass has read the chain
    up to its head (the gas spent is known up to there) and nothing was mined meanwhile."""
    if custody.scanned_block != head or custody.holdings_block == head or not custody.provisioned:
        return
    addresses = [custody.hot_address, custody.deposit_address]
    calls = [("eth_getBalance", [a, "latest"]) for a in addresses]
    calls += [balance_call(t.address, a) for t in tokens for a in addresses]
    *balances, now = node.batch([*calls, ("eth_blockNumber", [])])
    if int(now, 16) != head:
        return
    units = [int(value, 16) for value in balances]
    ether = units[0] + units[1] - int(custody.float_wei) + int(custody.gas_spent_wei)
    holdings = {ETH: str(from_units(ether, ETH_DECIMALS))}
    for n, token in enumerate(tokens):
        held = units[2 + 2 * n] + units[3 + 2 * n] - int(token.float_units)
        holdings[token.asset_code] = str(from_units(held, token.decimals))
    ChainCustody.objects.filter(pk=custody.pk).update(holdings=holdings, holdings_block=head)
    custody.holdings, custody.holdings_block = holdings, head
