"""The matching engine of one market: a pure, deterministic, in-memory limit order book.

Prices are integer ticks and quantities integer lots; a notional is ``price * quantity`` in the
same integer units. The service layer converts Decimals at its boundary, serialises calls per
market and persists every result. The engine keeps no clock, draws no random numbers and imports
only the standard library, so the same orders always give the same results.

What callers may rely on (Binance Spot semantics unless said otherwise):

- Price-time priority, where time is the ``order_id`` (the database pk, strictly increasing). A
  triggered stop queues at its price by its order_id too, so a book rebuilt from the open orders
  in the database (``MatchingEngine.restore``) is the same book, queue order included.
- A trade executes at the maker's price.
- LIMIT GTC rests its remainder; IOC expires it; FOK fills completely or expires with no trade and
  no other effect. MARKET never rests. LIMIT_MAKER that would take is REJECTED, changing nothing.
- ``quote_quantity`` (MARKET only, Binance quoteOrderQty) trades whole lots for as long as what is
  left of it buys one more lot at the next maker's price; the order is FILLED when it has traded
  and what is left cannot buy that lot or is zero, EXPIRED when the book runs out. ``quote_budget``
  (BUY only) is the caller's held funds: when the next lot is unaffordable matching stops and the
  rest of the order EXPIRES.
- Self-trade prevention follows the taker's mode; makers it removes and a taker it ends are
  EXPIRED_IN_MATCH (a taker it ends keeps its earlier fills).
- Stop orders wait off the book until a trade prints at or through their stop price (STOP_LOSS:
  sell at <=, buy at >=; TAKE_PROFIT: sell at >=, buy at <=); one placed when the last price
  already satisfies that is REJECTED. A triggered stop enters as a limit order with its own time in
  force (GTC by default). Every print of a sweep counts, not only the last. Triggered stops enter
  one at a time, lowest order_id first, and may trigger more (a cascade).

Persisting a ``SubmitResult``: apply the order's own fields, its trades, maker updates and expired
makers, then each result in ``triggered`` in order (each one a stop that has now entered the book;
their own ``triggered`` is empty). A later update to an order supersedes an earlier one: a resting
taker may be hit by a stop it triggered.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from heapq import heappop, heappush

from sandbox.exchange.book import BookSide, PendingStops, RestingOrder
from sandbox.exchange.matching import Taker
from sandbox.exchange.orders import (
    MAKER_WOULD_TAKE,
    STOP_KINDS,
    STOP_WOULD_TRIGGER,
    BookDepth,
    CancelResult,
    ExpiredOrder,
    InvalidOrder,
    MakerUpdate,
    OpenOrder,
    Order,
    OrderKind,
    OrderStatus,
    SelfTradePrevention,
    Side,
    SubmitResult,
    TimeInForce,
    Trade,
    UnknownOrder,
    stop_is_triggered_by,
    stop_triggers_on_fall,
)

__all__ = [
    "MAKER_WOULD_TAKE",
    "STOP_KINDS",
    "STOP_WOULD_TRIGGER",
    "BookDepth",
    "CancelResult",
    "ExpiredOrder",
    "InvalidOrder",
    "MakerUpdate",
    "MatchingEngine",
    "OpenOrder",
    "Order",
    "OrderKind",
    "OrderStatus",
    "SelfTradePrevention",
    "Side",
    "SubmitResult",
    "TimeInForce",
    "Trade",
    "UnknownOrder",
]

# Enum members looked up once: in Python 3.11 each ``OrderKind.LIMIT`` costs about 0.2 us.
_BUY = Side.BUY
_LIMIT = OrderKind.LIMIT
_LIMIT_MAKER = OrderKind.LIMIT_MAKER
_MARKET = OrderKind.MARKET
_GTC = TimeInForce.GTC
_FOK = TimeInForce.FOK
_NEW = OrderStatus.NEW
_PARTIALLY_FILLED = OrderStatus.PARTIALLY_FILLED
_FILLED = OrderStatus.FILLED
_EXPIRED = OrderStatus.EXPIRED
_REJECTED = OrderStatus.REJECTED
_CANCELED = OrderStatus.CANCELED
_new_tuple = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (hot path)


class MatchingEngine:
    """The order book of one market. Not thread-safe: one writer per market."""

    __slots__ = ("_asks", "_bids", "_last_order_id", "_last_price", "_orders", "_seq", "_stops")

    def __init__(self, *, last_price: int | None = None, next_trade_seq: int = 1) -> None:
        self._bids = BookSide(1)
        self._asks = BookSide(-1)
        self._orders: dict[int, RestingOrder] = {}
        self._stops = PendingStops()
        self._last_price = last_price
        self._last_order_id = 0
        self._seq = next_trade_seq

    # -- commands ---------------------------------------------------------------------------

    def submit(self, order: Order) -> SubmitResult:
        """Match, rest, reject or park ``order``. Its order_id must exceed every earlier one."""
        if order.order_id <= self._last_order_id:
            raise InvalidOrder(f"order_id {order.order_id} is not above {self._last_order_id}")
        self._last_order_id = order.order_id
        kind = order.kind
        if kind is _LIMIT:
            # Inlined crossing check: most orders rest without matching, and a call costs.
            if order.side is _BUY:
                keys = self._asks.keys
                if not keys or -keys[-1] > order.price:  # type: ignore[operator]
                    return self._place_passive(order, self._bids)
            else:
                keys = self._bids.keys
                if not keys or keys[-1] < order.price:  # type: ignore[operator]
                    return self._place_passive(order, self._asks)
        if kind is _LIMIT or kind is _MARKET:
            taker = self._execute(order, stop_triggered=False)
            return taker.result(self._run_triggers(taker) if self._stops.entries else ())
        if kind is _LIMIT_MAKER:
            return self._place_maker(order)
        return self._place_stop(order)

    def cancel(self, order_id: int) -> CancelResult:
        """Remove a resting order or a pending stop; raises ``UnknownOrder`` for any other id."""
        entry = self._orders.pop(order_id, None)
        if entry is not None:
            remaining = entry.remaining
            (self._bids if entry.order.side is _BUY else self._asks).withdraw(entry)
            return _cancelled(entry, remaining, was_pending_stop=False)
        entry = self._stops.remove(order_id)
        if entry is not None:
            return _cancelled(entry, entry.remaining, was_pending_stop=True)
        raise UnknownOrder(order_id)

    @classmethod
    def restore(
        cls,
        open_orders: Iterable[OpenOrder],
        *,
        last_price: int | None = None,
        next_trade_seq: int = 1,
    ) -> MatchingEngine:
        """Rebuild a book from its open orders, in order_id order and without matching.

        Raises ``InvalidOrder`` for an order that could not be open, or if bids and asks cross.
        """
        engine = cls(last_price=last_price, next_trade_seq=next_trade_seq)
        for open_order in sorted(open_orders, key=lambda o: o.order.order_id):
            engine._reopen(open_order)
        bid, ask = engine.best_bid, engine.best_ask
        if bid is not None and ask is not None and bid >= ask:
            raise InvalidOrder(f"restored book is crossed: bid {bid} >= ask {ask}")
        return engine

    def replace(self, order_id: int, open_order: OpenOrder | None) -> None:
        """Make one order what another writer left it as: ``open_order`` (resting, or a pending
        stop), or gone if None. No matching happens: the other writer already matched. Queue
        order stays order_id order, so catching up this way gives the book ``restore`` would."""
        entry = self._orders.get(order_id) or self._stops.entries.get(order_id)
        if entry is not None:
            self.cancel(order_id)
        if open_order is not None:
            self._reopen(open_order)
        self._last_order_id = max(self._last_order_id, order_id)

    def take_state_of(self, other: MatchingEngine) -> None:
        """Become `other` (a copy of this engine taken earlier): undo what came after it."""
        for name in self.__slots__:
            setattr(self, name, getattr(other, name))

    def set_last_price(self, price: int | None) -> None:
        """The last trade price, as another writer's trades left it (stops compare with it)."""
        self._last_price = price

    # -- queries ----------------------------------------------------------------------------

    @property
    def best_bid(self) -> int | None:
        return self._bids.best_price

    @property
    def best_ask(self) -> int | None:
        return self._asks.best_price

    @property
    def last_price(self) -> int | None:
        """The price of the latest trade, or what ``restore`` was given."""
        return self._last_price

    @property
    def next_trade_seq(self) -> int:
        return self._seq

    def first_makers(
        self, side: str, price: int | None, quantity: int, *, limit: int
    ) -> list[tuple[int, Hashable]]:
        """(order_id, account) of the resting orders that an order to `side` at `price` (None:
        any price) would meet first, in priority order, until their lots reach `quantity`, and
        at most `limit` of them. Changes nothing: the exchange reads those orders ahead of
        placing a batch. Self-trade prevention and triggered stops can make an order meet
        others as well."""
        book = self._asks if side == _BUY else self._bids
        if price is None:
            reach: float = float("-inf")
        else:
            reach = -price if side == _BUY else price
        found: list[tuple[int, Hashable]] = []
        left = quantity
        for key in reversed(book.keys):
            if key < reach:
                break
            for entry in book.levels[key].queue:
                if entry.remaining:
                    found.append((entry.order_id, entry.account))
                    left -= entry.remaining
                    if left <= 0 or len(found) >= limit:
                        return found
        return found

    def depth(self, limit: int = 100) -> BookDepth:
        return BookDepth(self._bids.depth(limit), self._asks.depth(limit))

    def level_quantity(self, side: str, price: int) -> int:
        """Lots resting at one price on one side (0 when the level is empty)."""
        book = self._bids if side == Side.BUY else self._asks
        level = book.levels.get(price * book.sign)
        return level.quantity if level is not None else 0

    def get_order(self, order_id: int) -> OpenOrder | None:
        entry = self._orders.get(order_id) or self._stops.entries.get(order_id)
        return None if entry is None else _open_order(entry)

    def open_orders(self) -> tuple[OpenOrder, ...]:
        """Every resting order and pending stop by order_id: the book's whole state, since queue
        order is order_id order. Comparable with ==; ``restore`` takes it back."""
        entries = [*self._orders.values(), *self._stops.entries.values()]
        return tuple(_open_order(e) for e in sorted(entries, key=lambda e: e.order_id))

    # -- placing ----------------------------------------------------------------------------

    def _execute(self, order: Order, *, stop_triggered: bool) -> Taker:
        taker = Taker(order, self._seq)
        book = self._asks if order.side is _BUY else self._bids
        fill_or_kill = order.time_in_force is _FOK and order.kind is not _MARKET
        if fill_or_kill and not taker.can_fill(book):
            taker.status = _EXPIRED
            return taker
        taker.take(book, self._orders)
        if taker.status is None:
            self._finish(taker, stop_triggered)
        if taker.trades:
            self._seq = taker.next_seq
            self._last_price = taker.trades[-1].price
        return taker

    def _finish(self, taker: Taker, stop_triggered: bool) -> None:
        order = taker.order
        if not taker.remaining or taker.notional == order.quote_quantity:
            taker.status = _FILLED
        elif order.kind is _MARKET or order.time_in_force is not _GTC:
            taker.status = _EXPIRED
        else:
            executed = taker.executed
            self._rest(
                RestingOrder(order, taker.remaining, executed, taker.notional, stop_triggered)
            )
            taker.on_book = True
            taker.status = _PARTIALLY_FILLED if executed else _NEW

    def _rest(self, entry: RestingOrder) -> None:
        self._orders[entry.order_id] = entry
        (self._bids if entry.order.side is _BUY else self._asks).add(entry)

    def _crosses(self, order: Order) -> bool:
        """Whether a priced order would trade on arrival."""
        if order.side is _BUY:
            keys = self._asks.keys
            return bool(keys) and -keys[-1] <= order.price  # type: ignore[operator]
        keys = self._bids.keys
        return bool(keys) and keys[-1] >= order.price  # type: ignore[operator]

    def _place_passive(self, order: Order, book: BookSide) -> SubmitResult:
        """A limit order that cannot trade on arrival: GTC rests on ``book``, IOC and FOK
        expire."""
        if order.time_in_force is not _GTC:
            return SubmitResult(order.order_id, order.account, _EXPIRED)
        entry = RestingOrder(order, order.quantity)  # type: ignore[arg-type]
        self._orders[order.order_id] = entry
        book.add(entry)
        fields = (order.order_id, order.account, _NEW, 0, 0, (), (), (), (), True, None)
        return _new_tuple(SubmitResult, fields)

    def _place_maker(self, order: Order) -> SubmitResult:
        if self._crosses(order):
            status, reason = _REJECTED, MAKER_WOULD_TAKE
            return SubmitResult(order.order_id, order.account, status, reject_reason=reason)
        self._rest(RestingOrder(order, order.quantity))  # type: ignore[arg-type]
        return SubmitResult(order.order_id, order.account, _NEW, on_book=True)

    def _place_stop(self, order: Order) -> SubmitResult:
        if self._last_price is not None and stop_is_triggered_by(order, self._last_price):
            status, reason = _REJECTED, STOP_WOULD_TRIGGER
            return SubmitResult(order.order_id, order.account, status, reject_reason=reason)
        self._park(RestingOrder(order, order.quantity))  # type: ignore[arg-type]
        return SubmitResult(order.order_id, order.account, _NEW)

    def _park(self, entry: RestingOrder) -> None:
        order = entry.order
        self._stops.add(entry, order.stop_price, stop_triggers_on_fall(order))  # type: ignore[arg-type]

    def _reopen(self, open_order: OpenOrder) -> None:
        _check_reopenable(open_order)
        order = open_order.order
        self._last_order_id = max(self._last_order_id, order.order_id)
        executed, notional = open_order.executed_quantity, open_order.executed_notional
        remaining = open_order.remaining_quantity
        entry = RestingOrder(order, remaining, executed, notional, open_order.stop_triggered)
        if open_order.is_pending_stop:
            self._park(entry)
        else:
            self._rest(entry)

    # -- stops ------------------------------------------------------------------------------

    def _run_triggers(self, taker: Taker) -> tuple[SubmitResult, ...]:
        """Enter the stops that ``taker``'s trades triggered, lowest order_id first, cascading."""
        ready: list[tuple[int, Order]] = []
        results: list[SubmitResult] = []
        self._trigger(taker, ready)
        while ready:
            stop = self._execute(heappop(ready)[1], stop_triggered=True)
            self._trigger(stop, ready)
            results.append(stop.result(()))
        return tuple(results)

    def _trigger(self, taker: Taker, ready: list[tuple[int, Order]]) -> None:
        trades = taker.trades
        if trades and self._stops.entries:
            # A sweep prints from its best price to its worst, so its ends bound every print.
            first, last = trades[0].price, trades[-1].price
            low, high = (first, last) if first < last else (last, first)
            for entry in self._stops.pop_triggered(low, high):
                heappush(ready, (entry.order_id, entry.order))


def _check_reopenable(open_order: OpenOrder) -> None:
    order = open_order.order
    if order.kind is _MARKET:
        raise InvalidOrder(f"order {order.order_id} is a MARKET order, which never rests")
    if order.time_in_force is not _GTC and not open_order.is_pending_stop:
        raise InvalidOrder(f"order {order.order_id} is {order.time_in_force}, which never rests")
    if not 0 <= open_order.executed_quantity < order.quantity:  # type: ignore[operator]
        raise InvalidOrder(f"order {order.order_id} has nothing left to rest")
    if order.kind not in STOP_KINDS and open_order.stop_triggered:
        raise InvalidOrder(f"order {order.order_id} is not a stop")
    if open_order.is_pending_stop and open_order.executed_quantity:
        raise InvalidOrder(f"pending stop {order.order_id} cannot have executed")


def _open_order(entry: RestingOrder) -> OpenOrder:
    return OpenOrder(
        entry.order, entry.executed_quantity, entry.executed_notional, entry.stop_triggered
    )


def _cancelled(entry: RestingOrder, remaining: int, *, was_pending_stop: bool) -> CancelResult:
    executed, notional = entry.executed_quantity, entry.executed_notional
    fields = (entry.order_id, entry.account, executed, notional, remaining, was_pending_stop)
    return _new_tuple(CancelResult, (*fields, _CANCELED))
