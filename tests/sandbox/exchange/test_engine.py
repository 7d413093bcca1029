"""Unit tests of the matching engine: one behaviour each, given / when / then."""

from __future__ import annotations

import ast
import sys
from functools import partial
from pathlib import Path

import pytest

from sandbox.exchange.engine import (
    MAKER_WOULD_TAKE,
    STOP_WOULD_TRIGGER,
    BookDepth,
    ExpiredOrder,
    InvalidOrder,
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
LIMIT, MARKET, LIMIT_MAKER = OrderKind.LIMIT, OrderKind.MARKET, OrderKind.LIMIT_MAKER
STOP_LOSS, TAKE_PROFIT = OrderKind.STOP_LOSS_LIMIT, OrderKind.TAKE_PROFIT_LIMIT
IOC, FOK = TimeInForce.IOC, TimeInForce.FOK
STP = SelfTradePrevention


class Market:
    """An engine with order ids handed out in sequence, as the database would."""

    def __init__(self, engine: MatchingEngine | None = None) -> None:
        self.engine = engine or MatchingEngine()
        self.last_id = 0

    def order(self, side: Side, price: int | None = None, quantity: int | None = None, **fields):
        self.last_id += 1
        fields.setdefault("account", "alice" if side is BUY else "bob")
        return Order(order_id=self.last_id, side=side, price=price, quantity=quantity, **fields)

    def place(self, side: Side, price=None, quantity=None, **fields) -> SubmitResult:
        return self.engine.submit(self.order(side, price, quantity, **fields))

    def print_trade(self, price: int) -> SubmitResult:
        """Make the last trade price ``price``, between two accounts nobody else uses."""
        self.place(SELL, price, 1, account="printer-maker")
        result = self.place(BUY, price, 1, account="printer-taker", time_in_force=IOC)
        assert [t.price for t in result.trades] == [price]
        return result


@pytest.fixture
def market() -> Market:
    return Market()


# -- resting and priority --------------------------------------------------------------------


def test_limit_order_that_does_not_cross_rests_as_new(market):
    market.place(SELL, 105, 3)

    result = market.place(BUY, 100, 2)

    assert (result.status, result.on_book, result.trades) == (OrderStatus.NEW, True, ())
    assert market.engine.depth() == BookDepth(bids=((100, 2),), asks=((105, 3),))


def test_trade_executes_at_the_makers_price(market):
    market.place(SELL, 100, 1)

    result = market.place(BUY, 105, 1)

    assert result.trades[0].price == 100
    assert result.executed_notional == 100


def test_better_price_fills_before_an_earlier_order_at_a_worse_price(market):
    worse = market.place(SELL, 101, 1)
    better = market.place(SELL, 100, 1)

    result = market.place(BUY, 101, 1)

    assert [t.maker_order_id for t in result.trades] == [better.order_id]
    assert market.engine.get_order(worse.order_id) is not None


def test_orders_at_one_price_fill_in_order_id_order(market):
    first = market.place(SELL, 100, 1, account="carol")
    second = market.place(SELL, 100, 1, account="dave")

    result = market.place(BUY, 100, 2)

    assert [t.maker_order_id for t in result.trades] == [first.order_id, second.order_id]


def test_taker_sweeps_levels_within_its_limit_and_rests_the_rest(market):
    market.place(SELL, 100, 2)
    market.place(SELL, 101, 2)
    market.place(SELL, 103, 5)

    result = market.place(BUY, 102, 6)

    assert [(t.price, t.quantity) for t in result.trades] == [(100, 2), (101, 2)]
    assert (result.status, result.executed_quantity) == (OrderStatus.PARTIALLY_FILLED, 4)
    assert market.engine.depth() == BookDepth(bids=((102, 2),), asks=((103, 5),))


def test_trade_names_both_orders_accounts_and_the_takers_side(market):
    maker = market.place(BUY, 100, 1, account="carol")

    result = market.place(SELL, 100, 1, account="dave")

    assert result.trades == (
        Trade(1, 100, 1, maker.order_id, result.order_id, "carol", "dave", SELL),
    )


def test_maker_updates_report_cumulative_fills_and_status(market):
    maker = market.place(SELL, 100, 5)

    first = market.place(BUY, 100, 2)
    second = market.place(BUY, 100, 3)

    assert first.maker_updates == (
        MakerUpdate(maker.order_id, "bob", OrderStatus.PARTIALLY_FILLED, 2, 200),
    )
    assert second.maker_updates == (MakerUpdate(maker.order_id, "bob", OrderStatus.FILLED, 5, 500),)


def test_executed_notional_sums_each_trade_at_its_own_price(market):
    market.place(SELL, 100, 1)
    market.place(SELL, 102, 2)

    result = market.place(BUY, 110, 3)

    assert result.executed_notional == 100 + 2 * 102


def test_trades_are_numbered_consecutively_across_submits(market):
    market.place(SELL, 100, 1)
    market.place(SELL, 101, 1)
    market.place(SELL, 102, 1)

    first = market.place(BUY, 101, 2)
    second = market.place(BUY, 102, 1)

    assert [t.seq for t in first.trades + second.trades] == [1, 2, 3]
    assert market.engine.next_trade_seq == 4


def test_filled_maker_leaves_the_book(market):
    maker = market.place(SELL, 100, 1)

    market.place(BUY, 100, 1)

    assert market.engine.get_order(maker.order_id) is None
    assert market.engine.best_ask is None


# -- time in force ---------------------------------------------------------------------------


def test_ioc_remainder_expires_and_does_not_rest(market):
    market.place(SELL, 100, 1)

    result = market.place(BUY, 100, 3, time_in_force=IOC)

    assert (result.status, result.executed_quantity, result.on_book) == (
        OrderStatus.EXPIRED,
        1,
        False,
    )
    assert market.engine.best_bid is None


def test_ioc_that_cannot_trade_expires_without_trades(market):
    market.place(SELL, 105, 1)

    result = market.place(BUY, 100, 1, time_in_force=IOC)

    assert (result.status, result.trades) == (OrderStatus.EXPIRED, ())
    assert market.engine.open_orders()[0].order.price == 105
    assert len(market.engine.open_orders()) == 1


def test_fok_that_cannot_fill_completely_changes_nothing(market):
    market.place(SELL, 100, 2)
    market.place(SELL, 101, 2)
    before = market.engine.open_orders()

    result = market.place(BUY, 101, 5, time_in_force=FOK)

    assert (result.status, result.trades, result.executed_quantity) == (OrderStatus.EXPIRED, (), 0)
    assert market.engine.open_orders() == before
    assert (market.engine.last_price, market.engine.next_trade_seq) == (None, 1)


def test_fok_that_can_fill_completely_fills(market):
    market.place(SELL, 100, 2)
    market.place(SELL, 101, 3)

    result = market.place(BUY, 101, 5, time_in_force=FOK)

    assert (result.status, result.executed_quantity) == (OrderStatus.FILLED, 5)


def test_fok_that_its_quote_budget_cannot_pay_for_changes_nothing(market):
    market.place(SELL, 100, 2, account="carol")
    market.place(SELL, 100, 1, account="dave")
    before = market.engine.open_orders()

    result = market.place(BUY, 100, 3, time_in_force=FOK, quote_budget=299)

    assert (result.status, result.trades) == (OrderStatus.EXPIRED, ())
    assert market.engine.open_orders() == before


def test_fok_does_not_count_liquidity_beyond_its_limit_price(market):
    market.place(SELL, 100, 2)
    market.place(SELL, 102, 10)

    result = market.place(BUY, 101, 3, time_in_force=FOK)

    assert result.status == OrderStatus.EXPIRED
    assert market.engine.depth().asks == ((100, 2), (102, 10))


def test_fok_blocked_by_own_order_under_expire_taker_leaves_that_order(market):
    own = market.place(SELL, 100, 2, account="alice")
    market.place(SELL, 100, 5, account="bob")

    result = market.place(BUY, 100, 3, time_in_force=FOK, self_trade_prevention=STP.EXPIRE_TAKER)

    assert (result.status, result.expired_makers) == (OrderStatus.EXPIRED, ())
    assert market.engine.get_order(own.order_id) is not None


def test_fok_counts_past_own_orders_it_would_expire(market):
    own = market.place(SELL, 100, 2, account="alice")
    market.place(SELL, 100, 3, account="bob")

    result = market.place(BUY, 100, 3, time_in_force=FOK, self_trade_prevention=STP.EXPIRE_MAKER)

    assert (result.status, result.executed_quantity) == (OrderStatus.FILLED, 3)
    assert [e.order_id for e in result.expired_makers] == [own.order_id]


# -- market orders and spending limits -------------------------------------------------------


def test_market_order_never_rests_and_expires_what_the_book_cannot_fill(market):
    market.place(SELL, 100, 2)

    result = market.place(BUY, kind=MARKET, quantity=5)

    assert (result.status, result.executed_quantity, result.on_book) == (
        OrderStatus.EXPIRED,
        2,
        False,
    )
    assert market.engine.open_orders() == ()


def test_market_order_fills_at_any_price(market):
    market.place(BUY, 90, 1)
    market.place(BUY, 50, 1)

    result = market.place(SELL, kind=MARKET, quantity=2)

    assert (result.status, [t.price for t in result.trades]) == (OrderStatus.FILLED, [90, 50])


def test_market_buy_by_quote_quantity_fills_whole_lots_until_the_next_is_unaffordable(market):
    market.place(SELL, 100, 3)
    market.place(SELL, 110, 5)

    result = market.place(BUY, kind=MARKET, quote_quantity=550)

    assert [(t.price, t.quantity) for t in result.trades] == [(100, 3), (110, 2)]
    assert (result.status, result.executed_notional) == (OrderStatus.FILLED, 520)
    assert market.engine.depth().asks == ((110, 3),)


def test_market_sell_by_quote_quantity_never_receives_more_than_it(market):
    market.place(BUY, 100, 10)

    result = market.place(SELL, kind=MARKET, quote_quantity=350)

    assert (result.executed_quantity, result.executed_notional) == (3, 300)
    assert result.status == OrderStatus.FILLED


def test_market_by_quote_that_spends_all_of_it_is_filled_even_as_the_book_runs_out(market):
    market.place(SELL, 100, 2)

    result = market.place(BUY, kind=MARKET, quote_quantity=200)

    assert (result.status, result.executed_quantity, result.executed_notional) == (
        OrderStatus.FILLED,
        2,
        200,
    )


def test_market_by_quote_that_cannot_afford_one_lot_expires_unfilled(market):
    market.place(SELL, 100, 1)

    result = market.place(BUY, kind=MARKET, quote_quantity=99)

    assert (result.status, result.trades) == (OrderStatus.EXPIRED, ())


def test_market_by_quote_expires_when_the_book_runs_out(market):
    market.place(SELL, 100, 1)

    result = market.place(BUY, kind=MARKET, quote_quantity=1_000)

    assert (result.status, result.executed_quantity) == (OrderStatus.EXPIRED, 1)


def test_buy_stops_at_its_quote_budget_and_expires_the_rest(market):
    market.place(SELL, 100, 2)
    market.place(SELL, 120, 5)

    result = market.place(BUY, kind=MARKET, quantity=5, quote_budget=450)

    assert [(t.price, t.quantity) for t in result.trades] == [(100, 2), (120, 2)]
    assert (result.status, result.executed_notional) == (OrderStatus.EXPIRED, 440)


def test_limit_buy_out_of_quote_budget_expires_rather_than_rests(market):
    market.place(SELL, 100, 1)
    market.place(SELL, 101, 5)

    result = market.place(BUY, 101, 4, quote_budget=250)

    assert (result.status, result.executed_quantity, result.on_book) == (
        OrderStatus.EXPIRED,
        2,
        False,
    )
    assert market.engine.best_bid is None


# -- LIMIT_MAKER -----------------------------------------------------------------------------


def test_limit_maker_that_would_take_is_rejected_and_changes_nothing(market):
    market.place(SELL, 100, 1)
    before = market.engine.open_orders()

    result = market.place(BUY, 100, 1, kind=LIMIT_MAKER)

    assert (result.status, result.reject_reason) == (OrderStatus.REJECTED, MAKER_WOULD_TAKE)
    assert result.trades == ()
    assert market.engine.open_orders() == before


def test_limit_maker_that_would_not_take_rests(market):
    market.place(SELL, 100, 1)

    result = market.place(BUY, 99, 1, kind=LIMIT_MAKER)

    assert (result.status, result.on_book) == (OrderStatus.NEW, True)
    assert market.engine.best_bid == 99


# -- self-trade prevention -------------------------------------------------------------------


def test_expire_maker_removes_own_resting_order_and_trades_past_it(market):
    own = market.place(SELL, 100, 2, account="alice")
    other = market.place(SELL, 100, 2, account="bob")

    result = market.place(BUY, 100, 2, account="alice", self_trade_prevention=STP.EXPIRE_MAKER)

    assert result.expired_makers == (ExpiredOrder(own.order_id, "alice", 0, 0, 2),)
    assert [t.maker_order_id for t in result.trades] == [other.order_id]
    assert result.status == OrderStatus.FILLED
    assert market.engine.get_order(own.order_id) is None


def test_expire_taker_ends_taker_in_match_and_keeps_own_maker(market):
    own = market.place(SELL, 100, 2, account="alice")
    market.place(SELL, 100, 2, account="bob")

    result = market.place(BUY, 100, 2, account="alice", self_trade_prevention=STP.EXPIRE_TAKER)

    assert (result.status, result.trades, result.on_book) == (
        OrderStatus.EXPIRED_IN_MATCH,
        (),
        False,
    )
    assert market.engine.get_order(own.order_id) is not None


def test_expire_both_removes_own_maker_and_ends_taker(market):
    own = market.place(SELL, 100, 2, account="alice")
    market.place(SELL, 100, 2, account="bob")

    result = market.place(BUY, 100, 2, account="alice", self_trade_prevention=STP.EXPIRE_BOTH)

    assert result.status == OrderStatus.EXPIRED_IN_MATCH
    assert [e.order_id for e in result.expired_makers] == [own.order_id]
    assert market.engine.depth().asks == ((100, 2),)


def test_stp_none_lets_an_account_trade_with_itself(market):
    own = market.place(SELL, 100, 2, account="alice")

    result = market.place(BUY, 100, 2, account="alice", self_trade_prevention=STP.NONE)

    assert [(t.maker_order_id, t.maker_account, t.taker_account) for t in result.trades] == [
        (own.order_id, "alice", "alice")
    ]


def test_taker_ended_by_self_trade_prevention_keeps_its_earlier_fills(market):
    market.place(SELL, 100, 1, account="bob")
    market.place(SELL, 101, 1, account="alice")

    result = market.place(BUY, 101, 2, account="alice", self_trade_prevention=STP.EXPIRE_TAKER)

    assert (result.status, result.executed_quantity) == (OrderStatus.EXPIRED_IN_MATCH, 1)


def test_self_trade_prevention_follows_the_takers_mode(market):
    own = market.place(SELL, 100, 1, account="alice", self_trade_prevention=STP.EXPIRE_TAKER)

    result = market.place(BUY, 100, 1, account="alice", self_trade_prevention=STP.EXPIRE_MAKER)

    assert [e.order_id for e in result.expired_makers] == [own.order_id]
    assert (result.status, result.on_book) == (OrderStatus.NEW, True)


def test_expired_maker_reports_its_earlier_fills(market):
    own = market.place(SELL, 100, 3, account="alice")
    market.place(BUY, 100, 1, account="bob")

    result = market.place(BUY, 100, 1, account="alice")

    assert result.expired_makers == (ExpiredOrder(own.order_id, "alice", 1, 100, 2),)


# -- stop orders -----------------------------------------------------------------------------

# (kind, side, stop price, a trade price that triggers it, one that does not), last price 100.
STOP_CASES = [
    pytest.param(STOP_LOSS, SELL, 95, 95, 96, id="stop-loss-sell-on-fall"),
    pytest.param(STOP_LOSS, BUY, 105, 105, 104, id="stop-loss-buy-on-rise"),
    pytest.param(TAKE_PROFIT, SELL, 105, 105, 104, id="take-profit-sell-on-rise"),
    pytest.param(TAKE_PROFIT, BUY, 95, 95, 96, id="take-profit-buy-on-fall"),
]


@pytest.mark.parametrize(("kind", "side", "stop", "reaching", "short"), STOP_CASES)
def test_stop_enters_the_book_when_a_trade_reaches_its_stop_price(
    market, kind, side, stop, reaching, short
):
    market.print_trade(100)
    stop_order = market.place(side, 1 if side is SELL else 1_000, 1, kind=kind, stop_price=stop)
    market.place(BUY if side is SELL else SELL, 50 if side is SELL else 500, 1, account="mm")

    result = market.print_trade(reaching)

    assert [(r.order_id, r.status) for r in result.triggered] == [
        (stop_order.order_id, OrderStatus.FILLED)
    ]


@pytest.mark.parametrize(("kind", "side", "stop", "reaching", "short"), STOP_CASES)
def test_stop_waits_while_trades_fall_short_of_its_stop_price(
    market, kind, side, stop, reaching, short
):
    market.print_trade(100)
    stop_order = market.place(side, 1 if side is SELL else 1_000, 1, kind=kind, stop_price=stop)

    result = market.print_trade(short)

    assert result.triggered == ()
    assert market.engine.get_order(stop_order.order_id).is_pending_stop


@pytest.mark.parametrize(("kind", "side", "stop", "reaching", "short"), STOP_CASES)
def test_stop_that_would_trigger_immediately_is_rejected(market, kind, side, stop, reaching, short):
    market.print_trade(reaching)

    result = market.place(side, 100, 1, kind=kind, stop_price=stop)

    assert (result.status, result.reject_reason) == (OrderStatus.REJECTED, STOP_WOULD_TRIGGER)
    assert market.engine.get_order(result.order_id) is None


def test_stop_waits_off_the_book(market):
    result = market.place(SELL, 90, 1, kind=STOP_LOSS, stop_price=95)

    assert (result.status, result.on_book) == (OrderStatus.NEW, False)
    assert market.engine.depth() == BookDepth((), ())
    assert market.engine.get_order(result.order_id).is_pending_stop


def test_triggered_stops_enter_in_order_id_order(market):
    market.print_trade(100)
    first = market.place(SELL, 90, 1, kind=STOP_LOSS, stop_price=95, account="carol")
    second = market.place(SELL, 90, 1, kind=STOP_LOSS, stop_price=97, account="dave")
    market.place(BUY, 90, 2, account="mm")

    result = market.print_trade(95)

    assert [r.order_id for r in result.triggered] == [first.order_id, second.order_id]
    assert [r.trades[0].seq for r in result.triggered] == [3, 4]


def test_triggered_stop_can_trigger_another(market):
    market.print_trade(100)
    market.place(BUY, 94, 1, account="mm")
    market.place(BUY, 90, 1, account="mm")
    first = market.place(SELL, 94, 1, kind=STOP_LOSS, stop_price=98, account="carol")
    second = market.place(SELL, 90, 1, kind=STOP_LOSS, stop_price=94, account="dave")

    result = market.print_trade(98)

    assert [(r.order_id, r.trades[0].price) for r in result.triggered] == [
        (first.order_id, 94),
        (second.order_id, 90),
    ]
    assert market.engine.last_price == 90


def test_stop_is_triggered_by_any_price_printed_in_a_sweep(market):
    market.print_trade(90)
    market.place(BUY, 99, 1, account="mm")
    market.place(BUY, 97, 1, account="mm")
    market.place(SELL, 150, 1, account="mm")
    stop_buy = market.place(BUY, 200, 1, kind=STOP_LOSS, stop_price=98, account="carol")

    result = market.place(SELL, 97, 2, account="dave")

    assert [t.price for t in result.trades] == [99, 97]
    assert [r.order_id for r in result.triggered] == [stop_buy.order_id]


def test_pending_stop_can_be_cancelled_and_never_triggers(market):
    market.print_trade(100)
    stop = market.place(SELL, 90, 1, kind=STOP_LOSS, stop_price=95)

    cancelled = market.engine.cancel(stop.order_id)
    result = market.print_trade(95)

    assert (cancelled.status, cancelled.was_pending_stop, cancelled.remaining_quantity) == (
        OrderStatus.CANCELED,
        True,
        1,
    )
    assert result.triggered == ()


def test_triggered_stop_rests_its_remainder_as_a_triggered_stop(market):
    market.print_trade(100)
    stop = market.place(SELL, 96, 3, kind=STOP_LOSS, stop_price=95)

    market.print_trade(95)

    assert market.engine.get_order(stop.order_id).stop_triggered
    assert market.engine.depth().asks == ((96, 3),)


def test_triggered_stop_queues_at_its_price_by_order_id(market):
    market.print_trade(100)
    stop = market.place(SELL, 96, 1, kind=STOP_LOSS, stop_price=95, account="carol")
    later = market.place(SELL, 96, 1, account="dave")
    market.print_trade(95)

    result = market.place(BUY, 96, 1, account="erin")

    assert [t.maker_order_id for t in result.trades] == [stop.order_id]
    assert market.engine.get_order(later.order_id) is not None


def test_resting_taker_hit_by_a_stop_it_triggered_is_updated_in_the_triggered_result(market):
    market.print_trade(100)
    market.place(SELL, 90, 1, kind=STOP_LOSS, stop_price=95, account="carol")
    market.place(SELL, 95, 1, account="dave")

    result = market.place(BUY, 95, 2, account="erin")

    assert (result.status, result.executed_quantity) == (OrderStatus.PARTIALLY_FILLED, 1)
    assert result.triggered[0].maker_updates == (
        MakerUpdate(result.order_id, "erin", OrderStatus.FILLED, 2, 190),
    )


# -- cancel ----------------------------------------------------------------------------------


def test_cancel_removes_a_resting_order_and_reports_what_remained(market):
    resting = market.place(BUY, 100, 4)

    cancelled = market.engine.cancel(resting.order_id)

    assert (cancelled.status, cancelled.remaining_quantity, cancelled.was_pending_stop) == (
        OrderStatus.CANCELED,
        4,
        False,
    )
    assert market.engine.depth() == BookDepth((), ())


def test_cancel_of_a_partially_filled_order_reports_its_fills(market):
    resting = market.place(BUY, 100, 4)
    market.place(SELL, 100, 1)

    cancelled = market.engine.cancel(resting.order_id)

    assert (cancelled.executed_quantity, cancelled.executed_notional) == (1, 100)
    assert cancelled.remaining_quantity == 3


def test_cancel_of_an_unknown_order_raises_with_binance_code(market):
    with pytest.raises(UnknownOrder) as raised:
        market.engine.cancel(42)

    assert (raised.value.code, raised.value.msg, raised.value.order_id) == (
        -2011,
        "Unknown order sent.",
        42,
    )


def test_cancel_of_a_filled_order_raises_unknown_order(market):
    maker = market.place(SELL, 100, 1)
    market.place(BUY, 100, 1)

    with pytest.raises(UnknownOrder):
        market.engine.cancel(maker.order_id)


def test_cancelled_order_in_the_middle_of_a_queue_is_skipped(market):
    first = market.place(SELL, 100, 1, account="carol")
    middle = market.place(SELL, 100, 1, account="dave")
    last = market.place(SELL, 100, 1, account="erin")
    market.engine.cancel(middle.order_id)

    result = market.place(BUY, 100, 2)

    assert [t.maker_order_id for t in result.trades] == [first.order_id, last.order_id]


def test_cancelling_the_last_order_at_a_price_removes_the_level(market):
    market.place(SELL, 101, 1)
    only = market.place(SELL, 100, 1)

    market.engine.cancel(only.order_id)

    assert (market.engine.best_ask, market.engine.depth().asks) == (101, ((101, 1),))


# -- queries ---------------------------------------------------------------------------------


def test_empty_book_has_no_best_prices_and_no_last_price(market):
    assert (market.engine.best_bid, market.engine.best_ask, market.engine.last_price) == (
        None,
        None,
        None,
    )


def test_best_bid_and_best_ask_are_the_inside_prices(market):
    market.place(BUY, 98, 1)
    market.place(BUY, 99, 1)
    market.place(SELL, 102, 1)
    market.place(SELL, 101, 1)

    assert (market.engine.best_bid, market.engine.best_ask) == (99, 101)


def test_depth_aggregates_each_price_best_first_up_to_the_limit(market):
    for price, quantity in [(99, 1), (99, 2), (98, 5), (97, 1)]:
        market.place(BUY, price, quantity)
    market.place(SELL, 101, 4)

    assert market.engine.depth(limit=2) == BookDepth(bids=((99, 3), (98, 5)), asks=((101, 4),))


def test_first_makers_are_the_resting_orders_an_order_would_meet_in_turn(market):
    market.place(SELL, 101, 2, account="a")  # 1
    market.place(SELL, 100, 1, account="b")  # 2
    market.place(SELL, 100, 3, account="c")  # 3
    market.place(SELL, 103, 5, account="d")  # 4
    market.engine.cancel(2)  # its slot in the level's queue is cleared later
    market.place(BUY, 99, 7, account="f")  # 5: a bid, not on the side a buy meets

    first_makers = partial(market.engine.first_makers, limit=10)
    assert first_makers(BUY, 101, 4) == [(3, "c"), (1, "a")]  # 3 + 2 lots
    assert first_makers(BUY, 100, 10) == [(3, "c")]  # within its price only
    assert first_makers(BUY, None, 6) == [(3, "c"), (1, "a"), (4, "d")]
    assert market.engine.first_makers(BUY, None, 6, limit=2) == [(3, "c"), (1, "a")]
    assert first_makers(BUY, 99, 1) == []  # it would not cross
    assert first_makers(SELL, 90, 8) == [(5, "f")]
    assert len(market.engine.open_orders()) == 4  # nothing changed


def test_last_price_is_the_price_of_the_latest_trade(market):
    market.place(SELL, 100, 1)
    market.place(SELL, 103, 1)

    market.place(BUY, 103, 2)

    assert market.engine.last_price == 103


def test_get_order_reports_an_open_orders_fills(market):
    resting = market.place(SELL, 100, 5)
    market.place(BUY, 100, 2)

    open_order = market.engine.get_order(resting.order_id)

    assert (open_order.executed_quantity, open_order.executed_notional) == (2, 200)
    assert open_order.remaining_quantity == 3


def test_get_order_of_an_unknown_id_is_none(market):
    assert market.engine.get_order(7) is None


# -- restore ---------------------------------------------------------------------------------


def build_busy_book() -> Market:
    market = Market()
    market.place(SELL, 101, 5, account="carol")
    market.place(SELL, 101, 2, account="dave")
    market.place(BUY, 99, 3, account="erin")
    market.place(BUY, 101, 3, account="frank")  # partially fills carol
    market.place(SELL, 90, 2, kind=STOP_LOSS, stop_price=95, account="gina")
    return market


def test_restore_rebuilds_the_same_open_orders_without_matching():
    original = build_busy_book().engine

    restored = MatchingEngine.restore(
        reversed(original.open_orders()), last_price=original.last_price, next_trade_seq=2
    )

    assert restored.open_orders() == original.open_orders()
    assert restored.depth() == original.depth()
    assert restored.last_price == 101


def test_restored_book_matches_like_the_original():
    market = build_busy_book()
    restored = Market(
        MatchingEngine.restore(
            market.engine.open_orders(),
            last_price=market.engine.last_price,
            next_trade_seq=market.engine.next_trade_seq,
        )
    )
    restored.last_id = market.last_id

    assert restored.place(SELL, 80, 10, account="hal") == market.place(SELL, 80, 10, account="hal")
    assert restored.engine.open_orders() == market.engine.open_orders()


def test_restore_refuses_a_crossed_book():
    bid = OpenOrder(Order(order_id=1, account="a", side=BUY, price=101, quantity=1))
    ask = OpenOrder(Order(order_id=2, account="b", side=SELL, price=100, quantity=1))

    with pytest.raises(InvalidOrder, match="crossed"):
        MatchingEngine.restore([bid, ask])


@pytest.mark.parametrize(
    "open_order",
    [
        OpenOrder(Order(order_id=1, account="a", side=BUY, kind=MARKET, quantity=1)),
        OpenOrder(Order(order_id=1, account="a", side=BUY, price=1, quantity=2), 2, 2),
        OpenOrder(Order(order_id=1, account="a", side=BUY, price=1, quantity=2, time_in_force=IOC)),
        OpenOrder(Order(order_id=1, account="a", side=BUY, price=1, quantity=1), 0, 0, True),
    ],
    ids=["market", "fully-executed", "ioc", "triggered-non-stop"],
)
def test_restore_refuses_an_order_that_cannot_be_open(open_order):
    with pytest.raises(InvalidOrder):
        MatchingEngine.restore([open_order])


def test_restored_engine_refuses_order_ids_it_has_seen():
    restored = MatchingEngine.restore(build_busy_book().engine.open_orders())

    with pytest.raises(InvalidOrder):
        restored.submit(Order(order_id=5, account="a", side=BUY, price=1, quantity=1))


# -- input checks and determinism ------------------------------------------------------------


def test_submit_refuses_an_order_id_not_above_the_last(market):
    market.place(BUY, 100, 1)

    with pytest.raises(InvalidOrder):
        market.engine.submit(Order(order_id=1, account="x", side=BUY, price=100, quantity=1))


@pytest.mark.parametrize(
    "fields",
    [
        {"price": None, "quantity": 1},
        {"price": 100, "quantity": None},
        {"price": 0, "quantity": 1},
        {"price": 100, "quantity": -1},
        {"price": 100.0, "quantity": 1},
        {"price": 100, "quantity": 1, "quote_quantity": 100},
        {"kind": MARKET, "price": 100, "quantity": 1},
        {"kind": MARKET},
        {"kind": MARKET, "quantity": 1, "quote_quantity": 100},
        {"kind": STOP_LOSS, "price": 100, "quantity": 1},
        {"price": 100, "quantity": 1, "stop_price": 90},
        {"side": SELL, "price": 100, "quantity": 1, "quote_budget": 100},
        {"price": 100, "quantity": 1, "quote_budget": 0},
        {"price": 100, "quantity": 1, "time_in_force": "DAY"},
    ],
)
def test_malformed_order_cannot_be_built(fields):
    fields = {"order_id": 1, "account": "a", "side": BUY} | fields

    with pytest.raises(ValueError):
        Order(**fields)


def test_enum_fields_accept_their_string_values():
    order = Order(order_id=1, account="a", side="SELL", kind="MARKET", quantity=1)

    assert (order.side, order.kind) == (Side.SELL, OrderKind.MARKET)
    assert order.side is Side.SELL


def test_same_orders_give_the_same_results():
    def run() -> list[SubmitResult]:
        market = build_busy_book()
        return [market.place(SELL, 80, 6, account="hal"), market.place(BUY, 120, 9)]

    assert run() == run()


ENGINE_MODULES = ["engine.py", "book.py", "matching.py", "orders.py"]


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
    return names


@pytest.mark.parametrize("module", ENGINE_MODULES)
def test_engine_imports_only_the_standard_library_and_itself(module):
    path = Path(__file__).parents[3] / "sandbox" / "exchange" / module
    own = {f"sandbox.exchange.{name.removesuffix('.py')}" for name in ENGINE_MODULES}

    imported = imported_modules(path)

    foreign = {
        name
        for name in imported - own - {"__future__"}
        if name.split(".")[0] not in sys.stdlib_module_names
    }
    assert imported and foreign == set()
