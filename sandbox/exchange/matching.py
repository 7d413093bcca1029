"""The matching walk: one incoming order taking liquidity from the opposite side of the book.

This is the engine's hot path, kept in one small class so that ``engine.py`` can stay about
placing, cancelling and triggering. A ``Taker`` only ever touches the book side it is given and
the engine's map of resting orders (to forget makers that leave the book). Standard library only.
"""

from __future__ import annotations

from sandbox.exchange.book import BookSide, Level, RestingOrder
from sandbox.exchange.orders import (
    ExpiredOrder,
    MakerUpdate,
    Order,
    OrderKind,
    OrderStatus,
    SelfTradePrevention,
    Side,
    SubmitResult,
    Trade,
)

# Enum members looked up once: in Python 3.11 each ``OrderKind.MARKET`` costs about 0.2 us.
_BUY = Side.BUY
_MARKET = OrderKind.MARKET
_EXPIRED = OrderStatus.EXPIRED
_EXPIRED_IN_MATCH = OrderStatus.EXPIRED_IN_MATCH
_NO_STP = SelfTradePrevention.NONE
_EXPIRES_MAKER = frozenset({SelfTradePrevention.EXPIRE_MAKER, SelfTradePrevention.EXPIRE_BOTH})
_EXPIRES_TAKER = frozenset({SelfTradePrevention.EXPIRE_TAKER, SelfTradePrevention.EXPIRE_BOTH})
_FILLED = OrderStatus.FILLED
_PARTIALLY_FILLED = OrderStatus.PARTIALLY_FILLED
# Building a NamedTuple through tuple.__new__ skips its Python-level __new__: a third of the
# cost of a result on the hot path. Field order is the NamedTuple's, so every field is given.
_new_tuple = tuple.__new__
_ANY_PRICE = float("-inf")  # the limit key of a MARKET order: every level is within reach


class Taker:
    """One incoming order's state while it matches.

    ``limit_key`` is the key (see ``BookSide``) of the worst level it may take. ``remaining`` is
    in lots; a quote_quantity order starts at quote_quantity lots, an exact bound because no lot
    costs less than one tick. ``quote_left`` is what it may still spend, or None if unbounded.
    ``status`` stays None until matching decides it (self-trade prevention, an unaffordable lot)
    or the engine does. Trades are numbered from ``next_seq``, which the engine reads back.
    """

    __slots__ = (
        "executed",
        "expired_makers",
        "limit_key",
        "maker_updates",
        "next_seq",
        "notional",
        "on_book",
        "order",
        "quote_left",
        "remaining",
        "status",
        "trades",
    )

    def __init__(self, order: Order, next_seq: int) -> None:
        self.order = order
        if order.kind is _MARKET:
            self.limit_key: float = _ANY_PRICE
        else:
            self.limit_key = -order.price if order.side is _BUY else order.price  # type: ignore[operator]
        self.remaining: int = order.quantity or order.quote_quantity  # type: ignore[assignment]
        cap, budget = order.quote_quantity, order.quote_budget
        if budget is not None and (cap is None or budget < cap):
            cap = budget
        self.quote_left = cap
        self.executed = 0
        self.notional = 0
        self.status: OrderStatus | None = None
        self.on_book = False
        self.next_seq = next_seq
        self.trades: list[Trade] = []
        self.maker_updates: list[MakerUpdate] = []
        self.expired_makers: list[ExpiredOrder] | None = None  # rare: made on first use

    def result(self, triggered: tuple[SubmitResult, ...]) -> SubmitResult:
        order, expired = self.order, self.expired_makers
        fields = (
            order.order_id,
            order.account,
            self.status,
            self.executed,
            self.notional,
            tuple(self.trades),
            tuple(self.maker_updates),
            tuple(expired) if expired else (),
            triggered,
            self.on_book,
            None,
        )
        return _new_tuple(SubmitResult, fields)

    def take(self, book: BookSide, orders: dict[int, RestingOrder]) -> None:
        """Trade against ``book`` best level first, within the limit price, until the order is
        done; makers that leave the book are dropped from ``orders``."""
        keys, levels = book.keys, book.levels
        while keys and keys[-1] >= self.limit_key:
            level = levels[keys[-1]]
            self._take_level(level, orders)
            if not level.quantity:
                book.drop_best()
            if self.status is not None or not self.remaining:
                return

    def _take_level(self, level: Level, orders: dict[int, RestingOrder]) -> None:
        # The hot path: one function for a level's whole walk, fills included, with the taker's
        # running figures in locals and written back once; a call or an attribute write per fill
        # would cost more than the fill.
        queue, price = level.queue, level.price
        order = self.order
        order_id, account, side = order.order_id, order.account, order.side
        stp_applies = order.self_trade_prevention is not _NO_STP
        remaining, quote_left, seq = self.remaining, self.quote_left, self.next_seq
        add_trade, add_update = self.trades.append, self.maker_updates.append
        filled = filled_notional = 0
        unaffordable = False
        while queue:
            maker = queue[0]
            left = maker.remaining
            if not left:  # cancelled earlier, cleared now
                queue.popleft()
                continue
            if stp_applies and maker.account == account:
                if self._prevent_self_trade(maker, level, orders):
                    continue
                break
            quantity = left if left < remaining else remaining
            if quote_left is not None:
                affordable = quote_left // price
                if affordable < quantity:
                    quantity = affordable
                    if not quantity:
                        unaffordable = True
                        break
                quote_left -= price * quantity
            notional = price * quantity
            maker.remaining = left = left - quantity
            maker.executed_quantity += quantity
            maker.executed_notional += notional
            remaining -= quantity
            filled += quantity
            filled_notional += notional
            maker_id, maker_account = maker.order_id, maker.account
            add_trade(
                _new_tuple(
                    Trade, (seq, price, quantity, maker_id, order_id, maker_account, account, side)
                )
            )
            seq += 1
            if left:
                status = _PARTIALLY_FILLED
            else:
                status = _FILLED
                queue.popleft()
                del orders[maker_id]
            update = (
                maker_id,
                maker_account,
                status,
                maker.executed_quantity,
                maker.executed_notional,
            )
            add_update(_new_tuple(MakerUpdate, update))
            if not remaining:
                break
        level.quantity -= filled
        self.remaining = remaining
        self.executed += filled
        self.notional += filled_notional
        self.quote_left = quote_left
        self.next_seq = seq
        if unaffordable:
            self.status = self._out_of_quote()

    def _out_of_quote(self) -> OrderStatus:
        """The status of an order that cannot afford its next lot: FILLED if its quote_quantity
        (rather than its budget) is what ran out, after some fills; EXPIRED otherwise."""
        target = self.order.quote_quantity
        if self.executed and target is not None and target - self.notional == self.quote_left:
            return _FILLED
        return _EXPIRED

    def _prevent_self_trade(
        self, maker: RestingOrder, level: Level, orders: dict[int, RestingOrder]
    ) -> bool:
        """Apply this order's self-trade prevention to ``maker``, at the front of ``level``;
        True if matching goes on."""
        mode = self.order.self_trade_prevention
        if mode in _EXPIRES_MAKER:
            level.queue.popleft()
            level.quantity -= maker.remaining
            del orders[maker.order_id]
            executed, notional = maker.executed_quantity, maker.executed_notional
            expired = ExpiredOrder(
                maker.order_id, maker.account, executed, notional, maker.remaining
            )
            if self.expired_makers is None:
                self.expired_makers = []
            self.expired_makers.append(expired)
            maker.remaining = 0
        if mode in _EXPIRES_TAKER:
            self.status = _EXPIRED_IN_MATCH
            return False
        return True

    def can_fill(self, book: BookSide) -> bool:
        """Whether this order would fill completely, walking ``book`` as ``take`` would but
        changing nothing: the fill-or-kill check."""
        needed, quote_left = self.remaining, self.quote_left
        account, mode = self.order.account, self.order.self_trade_prevention
        for level in book.levels_from_best():
            if level.price * book.sign < self.limit_key:
                return False
            for maker in level.queue:
                if not maker.remaining:
                    continue
                if maker.account == account and mode is not _NO_STP:
                    if mode in _EXPIRES_TAKER:
                        return False
                    continue
                quantity = min(maker.remaining, needed)
                if quote_left is not None:
                    quantity = min(quantity, quote_left // level.price)
                    if not quantity:
                        return False
                    quote_left -= quantity * level.price
                needed -= quantity
                if not needed:
                    return True
        return False
