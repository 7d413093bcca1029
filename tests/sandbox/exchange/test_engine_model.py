"""The engine against a slow, obviously correct reference model, on random order streams.

The model keeps open orders in a dict and, for every lot it matches, scans them all for the best
price then the lowest order_id. It decides fill-or-kill by trying the order on a copy of itself.
It shares nothing with the engine but the value types, so the two agreeing on every result, book
and last price after every step is evidence that the engine's indexes, lazy deletion and stop
heaps implement the rules rather than something near them.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.exchange.engine import (
    MAKER_WOULD_TAKE,
    STOP_KINDS,
    STOP_WOULD_TRIGGER,
    BookDepth,
    CancelResult,
    ExpiredOrder,
    MakerUpdate,
    MatchingEngine,
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
)

BUY, SELL = Side.BUY, Side.SELL
STP = SelfTradePrevention


@dataclass
class OpenEntry:
    order: Order
    executed: int = 0
    notional: int = 0
    triggered: bool = False

    @property
    def left(self) -> int:
        return self.order.quantity - self.executed


def reaches_stop(order: Order, price: int) -> bool:
    falls = (order.kind is OrderKind.STOP_LOSS_LIMIT and order.side is SELL) or (
        order.kind is OrderKind.TAKE_PROFIT_LIMIT and order.side is BUY
    )
    return price <= order.stop_price if falls else price >= order.stop_price


def crosses(taker: Order, maker: Order) -> bool:
    if taker.kind is OrderKind.MARKET:
        return True
    return maker.price <= taker.price if taker.side is BUY else maker.price >= taker.price


class ReferenceBook:
    def __init__(self) -> None:
        self.open: dict[int, OpenEntry] = {}
        self.pending: dict[int, Order] = {}
        self.last_price: int | None = None
        self.seq = 1

    # -- commands ----------------------------------------------------------------------------

    def submit(self, order: Order) -> SubmitResult:
        if order.kind is OrderKind.LIMIT_MAKER:
            return self.place_maker(order)
        if order.kind in STOP_KINDS:
            return self.place_stop(order)
        result = self.execute(order, triggered=False)
        return result._replace(triggered=self.cascade(result.trades))

    def cancel(self, order_id: int) -> CancelResult:
        if order_id in self.open:
            entry = self.open.pop(order_id)
            return CancelResult(
                order_id, entry.order.account, entry.executed, entry.notional, entry.left, False
            )
        if order_id in self.pending:
            order = self.pending.pop(order_id)
            return CancelResult(order_id, order.account, 0, 0, order.quantity, True)
        raise UnknownOrder(order_id)

    def place_maker(self, order: Order) -> SubmitResult:
        if any(self.opposes(order, e) and crosses(order, e.order) for e in self.open.values()):
            return SubmitResult(
                order.order_id,
                order.account,
                OrderStatus.REJECTED,
                reject_reason=MAKER_WOULD_TAKE,
            )
        self.open[order.order_id] = OpenEntry(order)
        return SubmitResult(order.order_id, order.account, OrderStatus.NEW, on_book=True)

    def place_stop(self, order: Order) -> SubmitResult:
        if self.last_price is not None and reaches_stop(order, self.last_price):
            status, reason = OrderStatus.REJECTED, STOP_WOULD_TRIGGER
            return SubmitResult(order.order_id, order.account, status, reject_reason=reason)
        self.pending[order.order_id] = order
        return SubmitResult(order.order_id, order.account, OrderStatus.NEW)

    def cascade(self, trades: tuple[Trade, ...]) -> tuple[SubmitResult, ...]:
        fired: dict[int, Order] = {}
        self.fire(trades, fired)
        results = []
        while fired:
            stop = fired.pop(min(fired))
            result = self.execute(stop, triggered=True)
            results.append(result)
            self.fire(result.trades, fired)
        return tuple(results)

    def fire(self, trades: tuple[Trade, ...], fired: dict[int, Order]) -> None:
        for order_id, stop in list(self.pending.items()):
            if any(reaches_stop(stop, trade.price) for trade in trades):
                fired[order_id] = self.pending.pop(order_id)

    # -- matching ----------------------------------------------------------------------------

    def execute(self, order: Order, *, triggered: bool) -> SubmitResult:
        if order.time_in_force is TimeInForce.FOK and order.kind is not OrderKind.MARKET:
            trial = copy.deepcopy(self)
            if trial.match(order, triggered=triggered).status is not OrderStatus.FILLED:
                return SubmitResult(order.order_id, order.account, OrderStatus.EXPIRED)
        return self.match(order, triggered=triggered)

    def opposes(self, taker: Order, entry: OpenEntry) -> bool:
        return entry.order.side is not taker.side

    def best_maker(self, taker: Order) -> OpenEntry | None:
        candidates = [
            e for e in self.open.values() if self.opposes(taker, e) and crosses(taker, e.order)
        ]
        sign = 1 if taker.side is BUY else -1
        return min(candidates, key=lambda e: (sign * e.order.price, e.order.order_id), default=None)

    def match(self, order: Order, *, triggered: bool) -> SubmitResult:
        wanted = order.quantity  # None: as many lots as quote_quantity buys
        caps = [c for c in (order.quote_quantity, order.quote_budget) if c is not None]
        cap = min(caps) if caps else None
        executed = notional = 0
        trades, updates, expired = [], [], []
        status = None
        while status is None and (wanted is None or executed < wanted):
            maker = self.best_maker(order)
            if maker is None:
                break
            mode = order.self_trade_prevention
            if maker.order.account == order.account and mode is not STP.NONE:
                if mode in (STP.EXPIRE_MAKER, STP.EXPIRE_BOTH):
                    del self.open[maker.order.order_id]
                    expired.append(
                        ExpiredOrder(
                            maker.order.order_id,
                            maker.order.account,
                            maker.executed,
                            maker.notional,
                            maker.left,
                        )
                    )
                if mode in (STP.EXPIRE_TAKER, STP.EXPIRE_BOTH):
                    status = OrderStatus.EXPIRED_IN_MATCH
                continue
            price = maker.order.price
            lots = maker.left if wanted is None else min(maker.left, wanted - executed)
            if cap is not None:
                lots = min(lots, (cap - notional) // price)
            if lots == 0:
                target_binds = order.quote_quantity is not None and cap == order.quote_quantity
                done = target_binds and executed > 0
                status = OrderStatus.FILLED if done else OrderStatus.EXPIRED
                break
            executed += lots
            notional += lots * price
            maker.executed += lots
            maker.notional += lots * price
            trades.append(
                Trade(
                    self.seq,
                    price,
                    lots,
                    maker.order.order_id,
                    order.order_id,
                    maker.order.account,
                    order.account,
                    order.side,
                )
            )
            self.seq += 1
            self.last_price = price
            maker_status = OrderStatus.PARTIALLY_FILLED if maker.left else OrderStatus.FILLED
            updates.append(
                MakerUpdate(
                    maker.order.order_id,
                    maker.order.account,
                    maker_status,
                    maker.executed,
                    maker.notional,
                )
            )
            if not maker.left:
                del self.open[maker.order.order_id]
        on_book = False
        if status is None:
            if executed == wanted or notional == order.quote_quantity:
                status = OrderStatus.FILLED
            elif order.kind is OrderKind.MARKET or order.time_in_force is not TimeInForce.GTC:
                status = OrderStatus.EXPIRED
            else:
                self.open[order.order_id] = OpenEntry(order, executed, notional, triggered)
                on_book = True
                status = OrderStatus.PARTIALLY_FILLED if executed else OrderStatus.NEW
        return SubmitResult(
            order.order_id,
            order.account,
            status,
            executed,
            notional,
            tuple(trades),
            tuple(updates),
            tuple(expired),
            (),
            on_book,
        )

    # -- queries -----------------------------------------------------------------------------

    def open_orders(self) -> tuple[OpenOrder, ...]:
        rows = [OpenOrder(e.order, e.executed, e.notional, e.triggered) for e in self.open.values()]
        rows += [OpenOrder(order) for order in self.pending.values()]
        return tuple(sorted(rows, key=lambda row: row.order.order_id))

    def depth(self) -> BookDepth:
        levels: dict[Side, dict[int, int]] = {BUY: defaultdict(int), SELL: defaultdict(int)}
        for entry in self.open.values():
            levels[entry.order.side][entry.order.price] += entry.left
        bids = tuple(sorted(levels[BUY].items(), reverse=True))
        return BookDepth(bids, tuple(sorted(levels[SELL].items())))


# -- random order streams ------------------------------------------------------------------------

prices = st.integers(min_value=96, max_value=104)
lots = st.integers(min_value=1, max_value=5)
time_in_force = st.sampled_from([TimeInForce.GTC] * 3 + [TimeInForce.IOC, TimeInForce.FOK])


@st.composite
def order_fields(draw) -> dict:
    kind = draw(st.sampled_from(list(OrderKind) + [OrderKind.LIMIT] * 3))
    side = draw(st.sampled_from([BUY, SELL]))
    fields = {
        "kind": kind,
        "side": side,
        "account": draw(st.sampled_from("abc")),
        "self_trade_prevention": draw(st.sampled_from(list(STP))),
    }
    if kind is OrderKind.MARKET:
        if draw(st.booleans()):
            fields["quantity"] = draw(st.integers(min_value=1, max_value=12))
        else:
            fields["quote_quantity"] = draw(st.integers(min_value=1, max_value=1_200))
    else:
        fields |= {"price": draw(prices), "quantity": draw(lots)}
        if kind is not OrderKind.LIMIT_MAKER:
            fields["time_in_force"] = draw(time_in_force)
    if kind in STOP_KINDS:
        fields["stop_price"] = draw(prices)
    if side is BUY and draw(st.integers(0, 3)) == 0:
        fields["quote_budget"] = draw(st.integers(min_value=1, max_value=1_200))
    return fields


actions = st.lists(
    st.one_of(
        order_fields().map(lambda fields: ("submit", fields)),
        order_fields().map(lambda fields: ("submit", fields)),
        st.integers(min_value=0, max_value=11).map(lambda back: ("cancel", back)),
        st.just(("restore", None)),
    ),
    min_size=30,
    max_size=120,
)


def cancel_target(back: int, last_id: int) -> int:
    """One of the latest ids (open or done), or with ``back == 0`` one not used yet."""
    return max(1, last_id + 1 - back)


def restored(engine: MatchingEngine) -> MatchingEngine:
    return MatchingEngine.restore(
        engine.open_orders(), last_price=engine.last_price, next_trade_seq=engine.next_trade_seq
    )


def cancel_outcome(book: MatchingEngine | ReferenceBook, order_id: int):
    try:
        return book.cancel(order_id)
    except UnknownOrder as error:
        return ("unknown", error.order_id)


def assert_same_state(engine: MatchingEngine, model: ReferenceBook) -> None:
    assert engine.open_orders() == model.open_orders()
    assert engine.depth(limit=1_000) == model.depth()
    assert engine.last_price == model.last_price
    assert engine.next_trade_seq == model.seq
    depth = model.depth()
    assert engine.best_bid == (depth.bids[0][0] if depth.bids else None)
    assert engine.best_ask == (depth.asks[0][0] if depth.asks else None)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions)
def test_engine_agrees_with_the_reference_model_on_any_order_stream(stream):
    engine, model = MatchingEngine(), ReferenceBook()
    last_id = 0
    for action, argument in stream:
        if action == "submit":
            last_id += 1
            order = Order(order_id=last_id, **argument)
            assert engine.submit(order) == model.submit(order)
        elif action == "cancel":
            order_id = cancel_target(argument, last_id)
            assert cancel_outcome(engine, order_id) == cancel_outcome(model, order_id)
        else:
            engine = restored(engine)
        assert_same_state(engine, model)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions)
def test_a_restored_engine_continues_exactly_like_the_original(stream):
    original, restarted = MatchingEngine(), MatchingEngine()
    for step, (action, argument) in enumerate(stream, start=1):
        if action == "submit":
            order = Order(order_id=step, **argument)
            assert original.submit(order) == restarted.submit(order)
        elif action == "cancel":
            order_id = cancel_target(argument, step)
            assert cancel_outcome(original, order_id) == cancel_outcome(restarted, order_id)
        restarted = restored(restarted)
        assert restarted.open_orders() == original.open_orders()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions)
def test_the_makers_an_order_would_meet_first_are_those_it_trades_with_in_turn(stream):
    """`first_makers` names ahead, without changing the book, the resting orders an order will
    trade with (the exchange reads them before it places a batch): its trades' makers are the
    first of them, in turn, unless it meets its owner's own orders (self-trade prevention) or
    triggers stops (whose trades are their own)."""
    engine = MatchingEngine()
    for n, (action, argument) in enumerate(stream, start=1):
        if action != "submit":
            continue
        order = Order(order_id=n, **argument)
        if order.kind not in (OrderKind.LIMIT, OrderKind.MARKET) or order.quantity is None:
            engine.submit(order)
            continue
        price = order.price if order.kind is OrderKind.LIMIT else None
        before = engine.open_orders()
        predicted = engine.first_makers(order.side, price, order.quantity, limit=10**6)
        assert engine.open_orders() == before  # it changes nothing
        result = engine.submit(order)
        if order.account in {account for _, account in predicted}:
            continue
        makers = [trade.maker_order_id for trade in result.trades]
        assert makers == [order_id for order_id, _ in predicted][: len(makers)]
