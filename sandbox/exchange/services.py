"""Orders in, trades out: the exchange's writes.

Each public function is one transaction. Under the market's locks (see `engines.py`) it validates,
holds funds, asks the engine, and settles the result into orders, trades and balanced ledger
postings, all committed together or not at all.
"""

from __future__ import annotations

import copy
import logging
import secrets
from collections.abc import Callable, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from django.db import IntegrityError, OperationalError, connection, transaction

from campus import sqlrows
from sandbox.exchange.announce import announce, announcements, positions
from sandbox.exchange.apikeys import key_no_longer_usable, send_usable_key_ids
from sandbox.exchange.engine import (
    MAKER_WOULD_TAKE,
    STOP_WOULD_TRIGGER,
    OrderStatus,
    UnknownOrder,
)
from sandbox.exchange.engine import Order as EngineOrder
from sandbox.exchange.engines import Caught, engine_for, mark_changed, market_writer, send_catch_up
from sandbox.exchange.errors import (
    CancelRejected,
    ExchangeError,
    MarketClosed,
    OrderRejected,
    duplicate_order,
    insufficient_balance,
)
from sandbox.exchange.filters import OrderRequest, check_filters, check_shape
from sandbox.exchange.makers import likely_makers
from sandbox.exchange.models import OPEN_STATUSES, Market, Order
from sandbox.exchange.selectors import send_market_rows
from sandbox.exchange.settlement import (
    Deferred,
    Settlement,
    file_accounts,
    held_asset,
    send_orders,
    send_settlements,
)
from sandbox.exchange.streams import publish_on_commit
from sandbox.exchange.units import MarketUnits
from sandbox.wallet.api import (
    Account,
    InsufficientBalance,
    LedgerBatch,
    send_accounts_for_trading,
    user_accounts,
)

REJECTION_CODES = {MAKER_WOULD_TAKE: "would_take", STOP_WOULD_TRIGGER: "would_trigger"}
logger = logging.getLogger(__name__)


def place_order(*, owner_id: int, market: Market, request: OrderRequest) -> Order:
    """Place an order for `owner_id` and match it. Returns the saved order (its trades saved too,
    and listed in `order.new_fills`, oldest first, so that a caller needs no query for them).

    Refusals raise an `ExchangeError` and change nothing. A repeated `client_order_id` in the
    same market is refused as a duplicate (Binance -2010), never placed or charged twice.
    """
    request = check_shape(request)
    check_filters(market, request)  # before any lock, on the caller's copy of the market ...
    with market_writer(market.pk) as book, transaction.atomic(durable=True):
        locked = lock_market(market.pk)
        if locked.status != Market.Status.TRADING:
            raise MarketClosed(locked.symbol)
        check_filters(locked, request)  # ... which may be seconds old (the API keeps markets)
        return _place_locked(book, locked, owner_id, request)


def place_orders(
    *, owner_id: int, market: Market, requests: list[OrderRequest]
) -> list[Order | ExchangeError]:
    """Place several orders for one owner in one market, in order, in one transaction (a bot's
    quotes for a tick): `place_batch` with one owner. Each order is all or nothing on its own:
    a refused one is returned as its `ExchangeError` in its place, the others stand. Should the
    lot be rolled back as a whole, each is placed on its own."""
    try:
        return place_batch(market=market, entries=[(owner_id, r) for r in requests])
    except BatchRolledBack:  # e.g. a balance spent by another market's order a moment earlier
        logger.info(
            "a batch of %d orders was rolled back; placing them one by one",
            len(requests),
            exc_info=True,
        )
    results: list[Order | ExchangeError] = []
    for request in requests:
        try:
            results.append(place_order(owner_id=owner_id, market=market, request=request))
        except ExchangeError as refused:
            results.append(refused)
    return results


def place_batch(
    *, market: Market, entries: Sequence[tuple[int, OrderRequest]]
) -> list[Order | ExchangeError]:
    """Place orders of any owners in one market, in the order given, in one transaction:
    `place_batches` with one market."""
    return place_batches([(market, entries)])[0]


def place_batches(
    groups: Sequence[tuple[Market, Sequence[tuple[int, OrderRequest]]]],
    *,
    skip_busy: bool = False,
    wait_for_first: bool = False,
    recheck_keys: Sequence[Sequence[int | None]] | None = None,
) -> list[list[Order | ExchangeError] | None]:
    """Place orders of any owners in several markets of one offering, each market's in the
    order given, in one transaction: what `place_order` does for each, with the markets locked
    (in id order, so that concurrent batches cannot deadlock), one read and one write of each
    kind for all of them, and the transaction committed once for the lot (group commit: the
    API's order desk, desk.py, sends the orders that arrive together). Returns, for each group
    in the order given, each entry's outcome: its saved order (with `new_fills`) or the
    `ExchangeError` that refused it, which changed nothing.

    Every refusal is found before anything is written, so no order needs a savepoint: the order
    ids are taken from the table's sequence up front, each owner's balances are followed in
    memory from order to order, across the markets too (`LedgerBatch.follow`; an owner's KRW is
    one account in every KRW market), and the engine refuses an order without changing its
    book. Anything else that goes wrong rolls the whole lot back and raises `BatchRolledBack`,
    after which the caller may place the orders one by one; an error once the transaction may
    have committed is raised as it is. On PostgreSQL the COMMIT goes out behind the writes, in
    their round trip (`sqlrows.send_commit`): an error after it was sent is raised as it is,
    unless the database refused a statement before it (then PostgreSQL skipped the COMMIT).

    With `skip_busy`, markets whose rows another transaction holds locked are left out, and
    their groups' outcomes are None (nothing of them was placed): two processes' batches then
    work on different markets at once instead of each waiting for all of the other's. If every
    market is busy, or with `wait_for_first` (the first group's orders were left out before:
    they must not be left out for ever), it first waits for the first group's market, at most
    `BUSY_WAIT_MS`, then takes what is free of the others; if it got none, all are None, so
    that a caller may try again with the orders that arrived meanwhile.

    `recheck_keys`, for each group each entry's API key to check again (or None): an entry
    whose key may no longer act (`apikeys.usable_key_ids`) is refused with `ApiKeyRejected`,
    nothing of it placed. The keys are read with the locks, in their round trip (the order desk
    checks again the keys its web processes found usable a few seconds earlier)."""
    markets = [market for market, _ in groups]
    entries = {market.pk: market_entries for market, market_entries in groups}
    if len(entries) != len(groups) or len({m.offering_id for m in markets}) > 1:
        raise ValueError("a batch holds distinct markets of one offering")
    ids = sorted(entries)
    keys = {} if recheck_keys is None else dict(zip(entries, recheck_keys, strict=True))
    outcomes: dict[int, list[Order | ExchangeError]] = {}
    decided = False  # from here on the transaction may have committed
    commit = _Commit()
    with ExitStack() as writers:  # this process's locks first, in id order, then the rows'
        books = {pk: writers.enter_context(market_writer(pk)) for pk in ids}
        try:
            with transaction.atomic(durable=True):
                locked, reads = _lock_and_read(
                    groups, books, keys, skip_busy=skip_busy, wait_for_first=wait_for_first
                )
                try:
                    outcomes = _place_batches_locked(
                        [(books[market.pk], market, entries[market.pk]) for market in locked],
                        reads,
                        keys,
                        commit=commit,
                    )
                except BaseException:
                    decided = commit.sent and not commit.refused
                    raise
                if commit.sent:
                    sqlrows.check_committed()
                decided = True  # the atomic block's end commits, if the COMMIT was not sent
        except _AllBusy:
            return [None] * len(groups)
        except BaseException as error:
            for book in books.values():  # they may hold orders of a transaction not committed
                book.engine = None
            if not decided or isinstance(error, IntegrityError | sqlrows.CommitRolledBack):
                raise BatchRolledBack() from error
            raise  # COMMIT failed (committed or not, nobody knows) or a commit hook did
    return [outcomes.get(market.pk) for market in markets]


class _Commit:
    """A batch's COMMIT: on PostgreSQL sent behind its writes, in their round trip
    (`sqlrows.send_commit`). `sent`: it went, or may have (from then on the batch may have
    committed); `refused`: PostgreSQL refused a statement before it, so it skipped it."""

    def __init__(self) -> None:
        self.sent = self.refused = False
        self._made: Callable[[], None] | None = None

    def __call__(self) -> None:
        """Send it, last in the writes' pipeline (`writes`)."""
        self.sent = True  # should sending fail, it may have gone
        self._made = sqlrows.send_commit()
        self.sent = self._made is not None

    @contextmanager
    def writes(self):
        """The writes' pipeline: notes, as it ends, whether a refusal left the transaction
        failed (read then, before anything else could change it), and checks that PostgreSQL
        answered the COMMIT by committing (sqlrows.CommitRolledBack if not)."""
        try:
            with sqlrows.pipeline():
                yield
        except BaseException:
            self.refused = sqlrows.transaction_failed()
            raise
        if self._made is not None:
            self._made()


class BatchRolledBack(Exception):
    """A batch failed and its transaction was rolled back: none of its orders was placed."""


class _AllBusy(Exception):
    """Every market of a batch stayed locked by other transactions: nothing was placed."""


BUSY_WAIT_MS = 20


def _lock_and_read(groups, books, keys, *, skip_busy: bool, wait_for_first: bool):
    """Lock the batch's markets (see `place_batches`) and read what placing in them needs:
    (locked markets, `_Reads`). On PostgreSQL that is one round trip (the transaction's BEGIN
    goes with it, `sqlrows.pipeline`): the locks, and the reads behind them, go out together
    (the server runs them in order, so the reads see the markets as locked; those of markets
    left out were read for nothing). Raises _AllBusy if it got no market."""
    if not (skip_busy and connection.features.has_select_for_update_skip_locked):
        locked = lock_markets([market.pk for market, _ in groups])  # SQLite: one writer anyway
        with sqlrows.pipeline():
            read = _send_reads(groups, books, keys)
        return locked, read()
    first, others = groups[0][0].pk, sorted(market.pk for market, _ in groups[1:])
    if not wait_for_first:
        with sqlrows.pipeline():  # sent together; the block's end waits for all the answers
            free = send_lock_markets([first, *others], skip_locked=True)
            read = _send_reads(groups, books, keys)
        if locked := free():
            return locked, read()
    return _wait_for_first(groups, books, keys, first, others)


def _wait_for_first(groups, books, keys, first: int, others: list[int]):
    """First wait for market `first`, at most BUSY_WAIT_MS (in PostgreSQL's queue for its lock,
    so ahead of those who ask later), then lock what is free of the others, and read: one round
    trip if the first market came in time; if not, one more: the wait is rolled back (to a
    savepoint) and the others are tried. Deadlock-free: it waits only while holding no market
    (the ledger's row locks wait as they always do: the timeout is set back before them)."""
    try:
        with sqlrows.pipeline():
            _send_command("SAVEPOINT busy_wait")
            sqlrows.send(_KEEP_LOCK_TIMEOUT, [f"{BUSY_WAIT_MS}ms"])
            waited = send_lock_markets([first])
            _send_command("RELEASE SAVEPOINT busy_wait")
            sqlrows.send(_RESTORE_LOCK_TIMEOUT, [])
            free = send_lock_markets(others, skip_locked=True)
            read = _send_reads(groups, books, keys)
        return sorted([*waited(), *free()], key=lambda market: market.pk), read()
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
    # the wait ran out: undone, timeout too (not in the pipeline below: psycopg forgets its
    # prepared statements when it sees a rollback, which those sent after it would still use)
    _send_command("ROLLBACK TO SAVEPOINT busy_wait")
    with sqlrows.pipeline():
        _send_command("RELEASE SAVEPOINT busy_wait")
        free = send_lock_markets(others, skip_locked=True)
        read = _send_reads(groups, books, keys)
    if locked := free():
        return locked, read()
    raise _AllBusy()


LOCK_NOT_AVAILABLE = "55P03"
# the transaction's lock timeout kept in a setting of its own, to be set back after the wait
_KEEP_LOCK_TIMEOUT = (
    "SELECT set_config('blockcampus.lock_timeout', current_setting('lock_timeout'), true),"
    " set_config('lock_timeout', %s, true)"
)
_RESTORE_LOCK_TIMEOUT = (
    "SELECT set_config('lock_timeout', current_setting('blockcampus.lock_timeout'), true)"
)


def _send_command(sql: str) -> None:
    """A statement without parameters or rows (a savepoint's), on Django's own cursor."""
    with connection.cursor() as cursor:
        cursor.execute(sql)


def _closed(market: Market, request: OrderRequest) -> ExchangeError:
    """What `place_order` answers in a halted market: a malformed order's own error first."""
    try:
        check_filters(market, check_shape(request))
    except ExchangeError as refused:
        return refused
    return MarketClosed(market.symbol)


@dataclass
class _Reads:
    """What a batch reads before placing: the owners' accounts (and the fee accounts), the client
    order ids already used, fresh order ids, per market the changes its engine catches up on
    (see `engines.send_catch_up`), per market the resting orders its orders are likely to fill
    (`makers.likely_makers`), and of the API keys to check again those that may act."""

    accounts: list[Account]
    taken: dict[int, set[tuple[int, str]]]
    order_ids: list[int]
    changed: dict[int, Caught | None]
    makers: dict[int, list[Order]]
    usable_keys: set[int]


def _send_reads(groups, books, keys) -> Callable[[], _Reads]:
    """Send the reads of a batch's (market, entries) groups (and `keys`, their entries' API keys
    to check again, by market); the function returned reads them (inside `sqlrows.pipeline()`,
    all in one round trip)."""
    makers = likely_makers(groups, books)
    accounts = _send_batch_accounts(groups, makers.values())
    taken = _send_taken_in_markets(groups)
    order_ids = _send_new_order_ids(sum(len(entries) for _, entries in groups))
    changed = {market.pk: send_catch_up(books[market.pk], market.pk) for market, _ in groups}
    maker_rows = send_orders(sorted(makers)) if makers else list
    usable = send_usable_key_ids({k for ks in keys.values() for k in ks} - {None})

    def read() -> _Reads:
        changes = {pk: f() for pk, f in changed.items()}
        found = _Reads(accounts(), taken(), order_ids(), changes, {}, usable())
        for order in maker_rows():
            found.makers.setdefault(order.market_id, []).append(order)
        return found

    return read


def _place_batches_locked(
    groups, reads: _Reads, keys, *, commit: _Commit
) -> dict[int, list[Order | ExchangeError]]:
    """`groups`: (book, locked market, entries), in market id order; `reads`: what
    `_send_reads` read for them (and perhaps for more); `keys`: by market, each entry's API key
    to check again, or None (an entry whose key may not act is refused first). `commit` is sent
    once every write is, in their pipeline; if nothing is to be written, not at all. Nothing
    after it may fail: the batch may have committed (so nothing here reads the database, or
    checks what could only be checked before the COMMIT)."""
    refused = {
        locked.pk: [
            key_no_longer_usable() if key is not None and key not in reads.usable_keys else None
            for key in keys.get(locked.pk) or [None] * len(entries)
        ]
        for _, locked, entries in groups
    }
    outcomes: dict[int, list[Order | ExchangeError]] = {
        locked.pk: [
            no or _closed(locked, request)
            for (_, request), no in zip(entries, refused[locked.pk], strict=True)
        ]
        for _, locked, entries in groups
        if locked.status != Market.Status.TRADING
    }
    groups = [group for group in groups if group[1].status == Market.Status.TRADING]
    if not groups:
        return outcomes
    ledger = LedgerBatch(groups[0][1].offering_id, follow=True)
    accounts: dict = {}
    fee_accounts: dict = {}
    file_accounts(reads.accounts, accounts, fee_accounts)
    _add_missing_accounts([(locked, entries) for _, locked, entries in groups], accounts)
    order_ids = iter(reads.order_ids)
    settled = []
    deferred = Deferred()  # crossing orders' makers read for all markets at once
    for book, locked, entries in groups:
        units = MarketUnits(locked.tick_size, locked.lot_size)
        engine = engine_for(book, locked, changed=reads.changed[locked.pk])
        settlement = Settlement(locked, units, ledger, accounts=accounts, fee_accounts=fee_accounts)
        settlement.preload(reads.makers.get(locked.pk, ()))
        mark_changed(book, locked)
        ids = [next(order_ids) for _ in entries]
        outcomes[locked.pk], placed = _place_in_market(
            locked, units, engine, settlement, entries, ids, reads.taken[locked.pk], deferred,
            refused[locked.pk],
        )  # fmt: skip
        settled.append((locked, settlement, engine, units, placed))
    deferred.settle()
    with commit.writes():  # on PostgreSQL one round trip for the writes and the COMMIT
        trades_saved = send_settlements([settlement for _, settlement, _, _, _ in settled])
        # the markets are there (this transaction holds their rows): their count is not read
        _send_markets([(locked, engine, units) for locked, _, engine, units, _ in settled])
        ledger_saved = ledger.send()
        commit()
    trades_saved()
    ledger_saved()
    messages = [
        message
        for locked, settlement, engine, units, placed in settled
        for message in announcements(
            locked, settlement, engine, units, placed={o.pk for o in placed}
        )
    ]
    publish_on_commit(messages + positions(ledger.offering_id, accounts, ledger))
    for _, settlement, _, _, placed in settled:
        for order in placed:
            order.new_fills = [
                t for t in settlement.trades if order.pk in (t.buyer_order_id, t.seller_order_id)
            ]
    return outcomes


def _place_in_market(
    locked, units, engine, settlement, entries, order_ids, taken, deferred, refused
):
    """Admit and match one market's orders of a batch, in order; (outcomes, placed orders).
    What they do to orders and accounts not read yet waits in `deferred`. `refused`: for each
    entry, the error it is refused with before anything is looked at (its key), or None."""
    ledger = settlement.batch
    assets = (locked.base_id, locked.quote_id)
    outcomes: list[Order | ExchangeError] = []
    placed: list[Order] = []
    for (owner_id, request), order_id, no in zip(entries, order_ids, refused, strict=True):
        if no is not None:
            outcomes.append(no)
            continue
        deferred.settle_touching(owner_id)
        accounts = {code: settlement.accounts[(owner_id, code)] for code in assets}
        try:
            order, result = _admit(
                locked, units, engine, accounts, owner_id, request, order_id, taken
            )
        except ExchangeError as refused:  # nothing of it was written, the engine is as it was
            outcomes.append(refused)
            continue
        taken.add((owner_id, order.client_order_id))
        if order.held:
            ledger.hold(
                accounts[held_asset(order, locked)], order.held, reference=f"order:{order.pk}"
            )
        settlement.track(order, new=True)
        _settle_market_order_hold(order, result, units, locked, accounts, ledger)
        deferred.apply(settlement, result)
        placed.append(order)
        outcomes.append(order)
    return outcomes, placed


def _admit(locked, units, engine, accounts, owner_id, request, order_id, taken):
    """Check one order of a batch against its owner's `accounts` (as the batch has left them)
    and give it to the engine: (order, engine result), or an ExchangeError raised before
    anything changed."""
    request = check_shape(request)
    check_filters(locked, request)
    client_id = request.client_order_id or _fresh_client_id()
    if (owner_id, client_id) in taken:
        raise duplicate_order()
    order = _new_order(locked, owner_id, client_id, request)
    order.pk, order.book_version = order_id, locked.book_version
    budget = _plan_hold(order, request, locked, units, accounts, engine)
    # Selling for a quote amount is the one order whose need is known only after matching:
    # keep the book as it was, to put back if the sale turns out to need more than is there.
    kept = copy.deepcopy(engine) if _sells_for_quote(request) else None
    result = engine.submit(_engine_order(order, request, units, budget))
    if result.status == OrderStatus.REJECTED:  # the engine changed nothing
        raise OrderRejected(
            result.reject_reason, code=REJECTION_CODES.get(result.reject_reason, "rejected")
        )
    if kept is not None and result.executed_quantity:
        try:
            _check_market_sale(units.quantity(result.executed_quantity), accounts[locked.base_id])
        except ExchangeError:
            engine.take_state_of(kept)
            raise
    return order, result


def _sells_for_quote(request: OrderRequest) -> bool:
    return (
        request.type == Order.Type.MARKET
        and request.side == Order.Side.SELL
        and (request.quote_order_qty is not None)
    )


def _wanted_accounts(groups) -> dict[int, set[str]]:
    """owner: the assets of the markets they place in, of (market, entries) groups."""
    wanted: dict[int, set[str]] = {}
    for market, entries in groups:
        for owner, _ in entries:
            wanted.setdefault(owner, set()).update((market.base_id, market.quote_id))
    return wanted


def _send_batch_accounts(groups, makers=()) -> Callable[[], list[Account]]:
    """Every owner's accounts in the assets of the markets they place in, and the fee accounts,
    in one query, sent (`_add_missing_accounts` then creates those not there yet); also those
    of the (market, owner) `makers` in the market's assets."""
    wanted = _wanted_accounts(groups)
    for market, owner in makers:
        wanted.setdefault(owner, set()).update((market.base_id, market.quote_id))
    return send_accounts_for_trading(
        offering_id=groups[0][0].offering_id,
        owner_ids=sorted(wanted),
        asset_codes=sorted({code for codes in wanted.values() for code in codes}),
        fees=True,
        only={(owner, code) for owner, codes in wanted.items() for code in codes},
    )


def _add_missing_accounts(groups, accounts: dict) -> None:
    """Create, into `accounts`, the (owner, asset) accounts of the groups not read yet."""
    wanted = _wanted_accounts(groups)
    offering_id = groups[0][0].offering_id
    for owner in sorted(wanted):
        missing = sorted(code for code in wanted[owner] if (owner, code) not in accounts)
        if missing:
            mine = user_accounts(offering_id=offering_id, owner_id=owner, asset_codes=missing)
            accounts.update({(owner, code): account for code, account in mine.items()})


def _taken_pairs(market: Market, entries) -> set[tuple[int, str]]:
    """Which (owner, client order id) pairs of a market's entries are already used in it."""
    return _send_taken_in_markets([(market, entries)])()[market.pk]


def _send_taken_in_markets(groups) -> Callable[[], dict[int, set[tuple[int, str]]]]:
    """For each market of (market, entries) groups, which (owner, client order id) pairs of its
    entries are already used in it: one query for all, sent (the function returned reads it,
    `sqlrows.send`)."""
    taken: dict[int, set[tuple[int, str]]] = {market.pk: set() for market, _ in groups}
    wanted = sorted(
        {r.client_order_id for _, entries in groups for _, r in entries}
        - {None}  # fresh ids need no look-up
    )
    if not wanted:
        return lambda: taken
    market, owner = sqlrows.column(Order, "market"), sqlrows.column(Order, "owner")
    client_id = sqlrows.column(Order, "client_order_id")
    market_in, market_params = sqlrows.in_list(market, sorted(taken), "bigint")
    owners = sorted({o for _, entries in groups for o, _ in entries})
    owner_in, owner_params = sqlrows.in_list(owner, owners, "bigint")
    wanted_in, wanted_params = sqlrows.in_list(client_id, wanted, "text")
    rows = sqlrows.send(  # Binance clients name every order: one prepared text
        f"SELECT {market}, {owner}, {client_id} FROM {sqlrows.table(Order)}"  # noqa: S608 (names from _meta, values as parameters)
        f" WHERE {market_in} AND {owner_in} AND {wanted_in}",
        [*market_params, *owner_params, *wanted_params],
    )

    def read() -> dict[int, set[tuple[int, str]]]:
        for market_id, owner_id, used in rows():
            taken[market_id].add((owner_id, used))
        return taken

    return read


def _send_new_order_ids(count: int) -> Callable[[], list[int]]:
    """`count` order ids, ascending, for rows this transaction will insert; sent on PostgreSQL
    (the function returned reads them, `sqlrows.send`), taken at once elsewhere. Taken under
    the market's lock, so they are above every id the market's engine has seen."""
    table = Order._meta.db_table
    if connection.vendor == "postgresql":
        rows = sqlrows.send(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return lambda: sorted(row[0] for row in rows())
    with sqlrows.prepared() as cursor:
        # SQLite: writers are serialised (transactions begin IMMEDIATE), so the ids after the
        # highest ever given out are free; the table's sequence is moved past them, as
        # PostgreSQL's is, so that ids of refused orders (which the engine saw) are not reused.
        sql = f"SELECT MAX(n) FROM (SELECT MAX(id) AS n FROM {table} UNION ALL SELECT seq FROM sqlite_sequence WHERE name = %s)"  # noqa: S608 (a model's table)
        cursor.execute(sql, [table])
        last = cursor.fetchone()[0] or 0
        cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
        cursor.execute(
            "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, last + count]
        )
    return lambda: list(range(last + 1, last + 1 + count))


def _place_locked(book, locked: Market, owner_id: int, request: OrderRequest) -> Order:
    """Place and match one checked order in a market its caller has locked; its stream
    messages go out on commit."""
    client_id = _client_order_id(locked, owner_id, request)
    units = MarketUnits(locked.tick_size, locked.lot_size)
    engine = engine_for(book, locked)
    accounts = user_accounts(
        offering_id=locked.offering_id,
        owner_id=owner_id,
        asset_codes=[locked.base_id, locked.quote_id],
    )
    order = _new_order(locked, owner_id, client_id, request)
    budget = _plan_hold(order, request, locked, units, accounts, engine)
    mark_changed(book, locked)  # refusals before this leave the engine as it was
    order.book_version = locked.book_version
    sqlrows.insert([order])  # held is already what it will lock: a resting order needs no UPDATE
    batch = LedgerBatch(locked.offering_id)
    if order.held:
        batch.hold(accounts[held_asset(order, locked)], order.held, reference=f"order:{order.pk}")
    result = engine.submit(_engine_order(order, request, units, budget))
    if result.status == OrderStatus.REJECTED:
        raise OrderRejected(
            result.reject_reason, code=REJECTION_CODES.get(result.reject_reason, "rejected")
        )
    settlement = Settlement(locked, units, batch)
    settlement.track(order)
    settlement.accounts.update({(owner_id, code): a for code, a in accounts.items()})
    _settle_market_order_hold(order, result, units, locked, accounts, batch)
    settlement.apply(result)
    settlement.finish()
    _commit_ledger(batch)
    _save_market(locked, engine, units)
    announce(locked, settlement, batch, engine, units, placed={order.pk})
    order.new_fills = [
        t for t in settlement.trades if order.pk in (t.buyer_order_id, t.seller_order_id)
    ]
    return order


def lock_market(market_id: int) -> Market:
    """The market row, locked until the transaction ends: the cross-process half of "one writer
    per market". Only the market row: locking the joined asset rows too would make every market
    quoted in the same asset (all the KRW ones) wait for each other."""
    [market] = lock_markets([market_id])
    return market


def lock_markets(market_ids: list[int], *, skip_locked: bool = False) -> list[Market]:
    """`lock_market` for several markets in one statement, in id order (every writer that holds
    more than one market locks them in that order, so none waits for another in a cycle). With
    `skip_locked`, only those no other transaction holds, without waiting (where the database
    cannot tell, all of them, waiting)."""
    return send_lock_markets(market_ids, skip_locked=skip_locked)()


def send_lock_markets(
    market_ids: list[int], *, skip_locked: bool = False
) -> Callable[[], list[Market]]:
    """`lock_markets`, sent: the function returned reads the locked markets (`sqlrows.send`)."""
    where, params = sqlrows.in_list("m.id", sorted(market_ids), "bigint")
    rows = send_market_rows(where, params, for_update=True, skip_locked=skip_locked)

    def locked() -> list[Market]:
        markets = rows()
        if skip_locked and connection.features.has_select_for_update_skip_locked:
            return markets
        if len(markets) != len(set(market_ids)):
            raise Market.DoesNotExist(f"markets {sorted(market_ids)}")
        return markets

    return locked


def cancel_order(
    *,
    owner_id: int,
    market: Market,
    order_id: int | None = None,
    client_order_id: str | None = None,
) -> Order:
    """Cancel one of the owner's open orders and release its hold. Unknown or closed: -2011."""
    with market_writer(market.pk) as book, transaction.atomic(durable=True):
        locked = lock_market(market.pk)
        mine = Order.objects.filter(market=locked, owner_id=owner_id, status__in=OPEN_STATUSES)
        order = (
            mine.filter(pk=order_id)
            if order_id is not None
            else mine.filter(client_order_id=client_order_id)
        ).first()
        if order is None:
            raise CancelRejected(
                "No open order of yours matches that orderId or origClientOrderId."
            )
        _cancel_locked(book, locked, [order])
        return order


def cancel_open_orders(*, owner_id: int, market: Market) -> list[Order]:
    """Cancel every open order the owner has in the market (Binance DELETE openOrders)."""
    with market_writer(market.pk) as book, transaction.atomic(durable=True):
        locked = lock_market(market.pk)
        orders = list(
            Order.objects.filter(
                market=locked, owner_id=owner_id, status__in=OPEN_STATUSES
            ).order_by("pk")
        )
        if not orders:
            raise CancelRejected("You have no open orders in this market.")
        _cancel_locked(book, locked, orders)
        return orders


def _cancel_locked(book, market: Market, orders: list[Order]) -> None:
    units = MarketUnits(market.tick_size, market.lot_size)
    engine = engine_for(book, market)
    mark_changed(book, market)
    batch = LedgerBatch(market.offering_id)
    settlement = Settlement(market, units, batch)
    accounts = user_accounts(
        offering_id=market.offering_id,
        owner_id=orders[0].owner_id,
        asset_codes=[market.base_id, market.quote_id],
    )
    settlement.accounts.update({(orders[0].owner_id, code): a for code, a in accounts.items()})
    for order in orders:
        try:
            engine.cancel(order.pk)
        except UnknownOrder:
            raise CancelRejected("The order is no longer on the book.") from None
        settlement.track(order)
        settlement.cancel(order)
    settlement.finish()
    _commit_ledger(batch)
    _save_market(market, engine, units)
    announce(market, settlement, batch, engine, units)


def _client_order_id(market: Market, owner_id: int, request: OrderRequest) -> str:
    """The caller's id, refused if already used in this market; or a fresh one, which needs no
    look-up (22 random characters; the unique constraint still stands behind it)."""
    if request.client_order_id is None:
        return _fresh_client_id()
    if _taken_pairs(market, [(owner_id, request)]):  # no race: the caller holds the lock
        raise duplicate_order()
    return request.client_order_id


def _fresh_client_id() -> str:
    return "bc-" + secrets.token_urlsafe(16)[:22]


def _new_order(market: Market, owner_id: int, client_id: str, request: OrderRequest) -> Order:
    return Order(
        market=market,
        owner_id=owner_id,
        client_order_id=client_id,
        side=request.side,
        type=request.type,
        time_in_force=request.time_in_force or ("GTC" if request.type != Order.Type.MARKET else ""),
        price=request.price,
        stop_price=request.stop_price,
        orig_qty=request.quantity,
        orig_quote_order_qty=request.quote_order_qty,
        self_trade_prevention_mode=request.self_trade_prevention_mode or "EXPIRE_MAKER",
    )


def _plan_hold(
    order: Order, request: OrderRequest, market: Market, units: MarketUnits, accounts, engine
) -> int | None:
    """Check what a resting order must lock and set `order.held` to it (a market order holds
    after matching); return the engine's quote budget for a market buy."""
    account = accounts[held_asset(order, market)]
    if order.type == Order.Type.MARKET:
        if order.side == Order.Side.SELL:
            if order.orig_qty is not None and order.orig_qty > account.available:
                raise insufficient_balance(
                    f"Selling {order.orig_qty.normalize():f} {account.asset_id} needs that much "
                    f"available; you have {account.available.normalize():f}."
                )
            return None  # held after matching, from what was actually sold
        return _market_buy_budget(order, request, units, account, engine)
    amount = order.orig_qty * order.price if order.side == Order.Side.BUY else order.orig_qty
    if amount > account.available:
        raise insufficient_balance(
            f"This order needs {amount.normalize():f} {account.asset_id}; you have "
            f"{account.available.normalize():f} available."
        )
    order.held = amount
    return None


def _market_buy_budget(order, request, units: MarketUnits, account, engine) -> int:
    """Refuse a market buy the balance cannot pay for in full, as Binance does (-2010), rather
    than fill part of it: by quote amount, that amount; by quantity, what the book would cost."""
    if request.quote_order_qty is not None:
        needed = request.quote_order_qty
    else:
        needed = units.notional(_cost_of_buying(engine, units.to_lots(order.orig_qty)))
    if needed > account.available or account.available <= 0:
        raise insufficient_balance(
            f"This market buy needs about {needed.normalize():f} {account.asset_id} at the "
            f"current asks; you have {account.available.normalize():f} available."
        )
    return units.notional_units_within(
        min(account.available, needed) if needed else account.available
    )


def _cost_of_buying(engine, lots: int) -> int:
    """Notional units to buy `lots` from the asks, best first (what the book can fill)."""
    cost = 0
    for price, available in engine.depth(limit=1_000_000).asks:
        take = min(lots, available)
        cost += price * take
        lots -= take
        if lots == 0:
            break
    return cost


def _settle_market_order_hold(order, result, units, market, accounts, batch) -> None:
    """A market order holds exactly what it executed, just before its trades consume it."""
    if order.type != Order.Type.MARKET or not result.executed_quantity:
        return
    amount = (
        units.notional(result.executed_notional)
        if order.side == Order.Side.BUY
        else units.quantity(result.executed_quantity)
    )
    account = accounts[held_asset(order, market)]
    if order.side == Order.Side.SELL:
        _check_market_sale(amount, account)
    elif amount > account.available:
        raise insufficient_balance()
    order.held = amount
    batch.hold(account, amount, reference=f"order:{order.pk}")


def _check_market_sale(amount, account) -> None:
    if amount > account.available:
        raise insufficient_balance(
            f"Selling needs {amount.normalize():f} {account.asset_id}; you have "
            f"{account.available.normalize():f}."
        )


def _engine_order(
    order: Order, request: OrderRequest, units: MarketUnits, budget: int | None
) -> EngineOrder:
    return EngineOrder(
        order_id=order.pk,
        account=order.owner_id,
        side=order.side,
        kind=order.type,
        price=units.to_ticks(order.price) if order.price is not None else None,
        quantity=units.to_lots(order.orig_qty) if order.orig_qty is not None else None,
        quote_quantity=(
            units.notional_units_within(request.quote_order_qty)
            if request.quote_order_qty is not None
            else None
        ),
        quote_budget=budget,
        time_in_force=order.time_in_force or "GTC",
        stop_price=units.to_ticks(order.stop_price) if order.stop_price is not None else None,
        self_trade_prevention=order.self_trade_prevention_mode,
    )


def _commit_ledger(batch: LedgerBatch) -> None:
    try:
        batch.commit()
    except InsufficientBalance:
        raise insufficient_balance() from None


def _save_market(market: Market, engine, units: MarketUnits) -> None:
    _send_markets([(market, engine, units)])()


def _send_markets(changed: list[tuple[Market, object, MarketUnits]]) -> Callable[[], None]:
    """Each market's new book version and last price: one statement for all on PostgreSQL.
    Sent now; the function returned checks that every market was there (inside
    `sqlrows.pipeline()`, the answer is waited for only then)."""
    for market, engine, units in changed:
        if engine.last_price is not None:
            market.last_price = units.price(engine.last_price)
    if connection.vendor != "postgresql":
        for market, _, _ in changed:
            sqlrows.update(market, ["book_version", "last_price"])
        return lambda: None
    markets = [market for market, _, _ in changed]
    updated = sqlrows.send(
        f"UPDATE {sqlrows.table(Market)} AS m SET book_version = v.book_version, "  # noqa: S608 (a model's table)
        "last_price = v.last_price FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[]) "
        "AS v(id, book_version, last_price) WHERE m.id = v.id RETURNING m.id",
        [
            sqlrows.array(m.pk for m in markets),
            sqlrows.array(m.book_version for m in markets),
            sqlrows.array(m.last_price for m in markets),
        ],
    )

    def check() -> None:
        if len(updated()) != len(markets):
            raise Market.DoesNotExist(f"markets {[m.pk for m in markets]} were not all updated")

    return check
