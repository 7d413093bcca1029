import re
from decimal import Decimal as D

import pytest

from sandbox.exchange.engines import forget_all, rebuild_engine
from sandbox.exchange.errors import CancelRejected, FilterFailure, MarketClosed, OrderRejected
from sandbox.exchange.filters import OrderRequest
from sandbox.exchange.models import Market, Order, Trade
from sandbox.exchange.services import cancel_open_orders, cancel_order, place_order
from sandbox.wallet.checks import find_ledger_breaks
from sandbox.wallet.models import Account, Posting
from tests.sandbox.trades import limit

pytestmark = pytest.mark.django_db


def balance(user, asset, offering):
    account = Account.objects.get(owner=user, asset_id=asset, offering=offering)
    return account.available, account.locked


def test_resting_limit_buy_locks_price_times_quantity(exchange):
    order = place_order(
        owner_id=exchange.alice.pk, market=exchange.btc, request=limit("BUY", "0.01", "100000000")
    )

    assert order.status == "NEW"
    assert balance(exchange.alice, "KRW", exchange.offering) == (D("9000000"), D("1000000"))
    assert find_ledger_breaks() == []


def test_crossing_orders_trade_at_the_makers_price_with_fees_in_the_received_asset(exchange):
    place_order(
        owner_id=exchange.alice.pk, market=exchange.btc, request=limit("SELL", "0.01", "100000000")
    )

    taker = place_order(
        owner_id=exchange.bob.pk, market=exchange.btc, request=limit("BUY", "0.01", "101000000")
    )

    assert taker.status == "FILLED"
    trade = Trade.objects.get()
    assert (trade.price, trade.qty, trade.quote_qty) == (D("100000000"), D("0.01"), D("1000000"))
    # bob (taker, 0.1%) receives 0.01 BTC less 0.00001 fee and paid exactly 1,000,000 KRW
    assert balance(exchange.bob, "BTC", exchange.offering) == (D("0.05999"), 0)
    assert balance(exchange.bob, "KRW", exchange.offering) == (D("9000000"), 0)
    # alice (maker, 0.05%) receives 1,000,000 KRW less 500 fee
    assert balance(exchange.alice, "KRW", exchange.offering) == (D("10999500"), 0)
    assert balance(exchange.alice, "BTC", exchange.offering) == (D("0.04"), 0)
    assert Market.objects.get(pk=exchange.btc.pk).last_price == D("100000000")
    assert find_ledger_breaks() == []


def test_insufficient_balance_is_refused_and_changes_nothing(exchange):
    postings = Posting.objects.count()

    with pytest.raises(OrderRejected) as refused:
        place_order(
            owner_id=exchange.alice.pk, market=exchange.btc, request=limit("BUY", "1", "100000000")
        )

    assert refused.value.binance_code == -2010
    assert refused.value.msg == "Account has insufficient balance for requested action."
    assert "100000000" in refused.value.detail
    assert not Order.objects.exists()
    assert Posting.objects.count() == postings


def test_price_off_the_tick_names_the_price_filter_and_allowed_values(exchange):
    with pytest.raises(FilterFailure) as refused:
        place_order(
            owner_id=exchange.alice.pk,
            market=exchange.btc,
            request=limit("BUY", "0.01", "100000500"),
        )

    assert refused.value.msg == "Filter failure: PRICE_FILTER"
    assert "steps of 1000" in refused.value.detail
    assert not Order.objects.exists()


def test_duplicate_client_order_id_never_places_or_holds_twice(exchange):
    request = limit("BUY", "0.01", "100000000", client_order_id="my-order-1")
    place_order(owner_id=exchange.alice.pk, market=exchange.btc, request=request)

    with pytest.raises(OrderRejected, match=re.escape("Duplicate order sent.")):
        place_order(owner_id=exchange.alice.pk, market=exchange.btc, request=request)

    assert Order.objects.count() == 1
    assert balance(exchange.alice, "KRW", exchange.offering) == (D("9000000"), D("1000000"))


def test_cancel_releases_the_hold(exchange):
    order = place_order(
        owner_id=exchange.alice.pk, market=exchange.btc, request=limit("BUY", "0.01", "100000000")
    )

    cancelled = cancel_order(owner_id=exchange.alice.pk, market=exchange.btc, order_id=order.pk)

    assert cancelled.status == "CANCELED"
    assert balance(exchange.alice, "KRW", exchange.offering) == (D("10000000"), 0)
    assert find_ledger_breaks() == []


def test_cannot_cancel_someone_elses_order(exchange):
    order = place_order(
        owner_id=exchange.alice.pk, market=exchange.btc, request=limit("BUY", "0.01", "100000000")
    )

    with pytest.raises(CancelRejected):
        cancel_order(owner_id=exchange.bob.pk, market=exchange.btc, order_id=order.pk)

    assert Order.objects.get(pk=order.pk).status == "NEW"


def test_limit_maker_that_would_take_is_rejected_without_an_order(exchange):
    place_order(
        owner_id=exchange.alice.pk, market=exchange.btc, request=limit("SELL", "0.01", "100000000")
    )
    request = OrderRequest(side="BUY", type="LIMIT_MAKER", quantity=D("0.01"), price=D("100000000"))

    with pytest.raises(OrderRejected, match=re.escape("Order would immediately match and take.")):
        place_order(owner_id=exchange.bob.pk, market=exchange.btc, request=request)

    assert Order.objects.count() == 1
    assert balance(exchange.bob, "KRW", exchange.offering) == (D("10000000"), 0)


def test_self_trade_is_prevented_by_expiring_the_maker(exchange):
    resting = place_order(
        owner_id=exchange.alice.pk, market=exchange.btc, request=limit("SELL", "0.01", "100000000")
    )

    place_order(
        owner_id=exchange.alice.pk, market=exchange.btc, request=limit("BUY", "0.01", "100000000")
    )

    assert Order.objects.get(pk=resting.pk).status == "EXPIRED_IN_MATCH"
    assert not Trade.objects.exists()
    assert balance(exchange.alice, "BTC", exchange.offering) == (D("0.05"), 0)
    assert find_ledger_breaks() == []


def test_market_buy_by_quote_amount_spends_at_most_that_amount(exchange):
    place_order(
        owner_id=exchange.alice.pk, market=exchange.btc, request=limit("SELL", "0.02", "100000000")
    )
    request = OrderRequest(side="BUY", type="MARKET", quote_order_qty=D("500000"))

    order = place_order(owner_id=exchange.bob.pk, market=exchange.btc, request=request)

    assert order.status == "FILLED"
    assert order.cummulative_quote_qty == D("500000")
    assert balance(exchange.bob, "KRW", exchange.offering) == (D("9500000"), 0)
    assert find_ledger_breaks() == []


def test_market_sell_with_no_bids_expires_and_releases(exchange):
    request = OrderRequest(side="SELL", type="MARKET", quantity=D("0.01"))

    order = place_order(owner_id=exchange.alice.pk, market=exchange.btc, request=request)

    assert order.status == "EXPIRED"
    assert balance(exchange.alice, "BTC", exchange.offering) == (D("0.05"), 0)


def test_stop_loss_triggers_on_a_trade_through_its_stop(exchange):
    btc, alice, bob = exchange.btc, exchange.alice, exchange.bob
    place_order(owner_id=alice.pk, market=btc, request=limit("SELL", "0.001", "100000000"))
    place_order(
        owner_id=bob.pk, market=btc, request=limit("BUY", "0.001", "100000000")
    )  # last = 100M
    place_order(owner_id=bob.pk, market=btc, request=limit("BUY", "0.002", "95000000"))
    stop = place_order(
        owner_id=alice.pk,
        market=btc,
        request=OrderRequest(
            side="SELL",
            type="STOP_LOSS_LIMIT",
            quantity=D("0.002"),
            price=D("95000000"),
            stop_price=D("96000000"),
            time_in_force="GTC",
        ),
    )
    assert stop.status == "NEW" and not stop.stop_triggered
    place_order(owner_id=alice.pk, market=btc, request=limit("SELL", "0.001", "96000000"))
    place_order(
        owner_id=bob.pk, market=btc, request=limit("BUY", "0.001", "96000000")
    )  # last = 96M: trigger

    stop.refresh_from_db()
    assert stop.stop_triggered
    assert stop.status == "FILLED"
    assert find_ledger_breaks() == []


def test_halted_market_refuses_orders(exchange):
    Market.objects.filter(pk=exchange.btc.pk).update(status="HALT")

    with pytest.raises(MarketClosed):
        place_order(
            owner_id=exchange.alice.pk,
            market=exchange.btc,
            request=limit("BUY", "0.01", "100000000"),
        )


def test_cancel_all_cancels_every_open_order(exchange):
    for price in ("90000000", "91000000"):
        place_order(
            owner_id=exchange.alice.pk, market=exchange.btc, request=limit("BUY", "0.01", price)
        )

    cancelled = cancel_open_orders(owner_id=exchange.alice.pk, market=exchange.btc)

    assert [o.status for o in cancelled] == ["CANCELED", "CANCELED"]
    assert balance(exchange.alice, "KRW", exchange.offering) == (D("10000000"), 0)


def test_book_rebuilt_from_the_database_equals_the_live_book(exchange):
    from sandbox.exchange.engines import _book, engine_for

    for i in range(5):
        place_order(
            owner_id=exchange.alice.pk,
            market=exchange.btc,
            request=limit("BUY", "0.001", str(90000000 + i * 1000)),
        )
        place_order(
            owner_id=exchange.bob.pk,
            market=exchange.btc,
            request=limit("SELL", "0.001", str(100000000 + i * 1000)),
        )
    place_order(
        owner_id=exchange.bob.pk, market=exchange.btc, request=limit("SELL", "0.0015", "90003000")
    )
    market = Market.objects.get(pk=exchange.btc.pk)
    live = engine_for(_book(market.pk), market).open_orders()

    forget_all()

    assert rebuild_engine(market).open_orders() == live


def test_orders_after_a_rejected_post_only_order_still_place(exchange):
    place_order(
        owner_id=exchange.alice.pk, market=exchange.btc, request=limit("SELL", "0.01", "100000000")
    )
    post_only = OrderRequest(
        side="BUY", type="LIMIT_MAKER", quantity=D("0.01"), price=D("100000000")
    )
    with pytest.raises(OrderRejected):
        place_order(owner_id=exchange.bob.pk, market=exchange.btc, request=post_only)

    order = place_order(
        owner_id=exchange.bob.pk, market=exchange.btc, request=limit("BUY", "0.01", "90000000")
    )

    assert order.status == "NEW"
    assert find_ledger_breaks() == []


def test_market_buy_the_balance_cannot_pay_for_in_full_is_refused(exchange):
    place_order(
        owner_id=exchange.alice.pk, market=exchange.btc, request=limit("SELL", "0.05", "300000000")
    )
    request = OrderRequest(side="BUY", type="MARKET", quantity=D("0.05"))  # costs 15,000,000 KRW

    with pytest.raises(OrderRejected) as refused:
        place_order(owner_id=exchange.bob.pk, market=exchange.btc, request=request)

    assert refused.value.code == "insufficient_balance"
    assert not Trade.objects.exists()
    assert balance(exchange.bob, "KRW", exchange.offering) == (D("10000000"), 0)


def test_market_buy_by_quote_amount_above_the_balance_is_refused(exchange):
    place_order(
        owner_id=exchange.alice.pk, market=exchange.btc, request=limit("SELL", "0.05", "100000000")
    )
    request = OrderRequest(side="BUY", type="MARKET", quote_order_qty=D("10000001"))

    with pytest.raises(OrderRejected):
        place_order(owner_id=exchange.bob.pk, market=exchange.btc, request=request)

    assert not Trade.objects.exists()


def test_market_buy_on_an_empty_book_expires(exchange):
    order = place_order(
        owner_id=exchange.bob.pk,
        market=exchange.btc,
        request=OrderRequest(side="BUY", type="MARKET", quantity=D("0.01")),
    )

    assert order.status == "EXPIRED"
    assert balance(exchange.bob, "KRW", exchange.offering) == (D("10000000"), 0)


def test_quote_amount_beyond_the_ledgers_scale_is_a_filter_failure(exchange):
    request = OrderRequest(
        side="BUY", type="MARKET", quote_order_qty=D("10000000000000000000000000")
    )

    with pytest.raises(FilterFailure, match="NOTIONAL"):
        place_order(owner_id=exchange.bob.pk, market=exchange.btc, request=request)

    assert not Order.objects.exists()


def test_ledger_check_finds_a_hold_that_no_open_order_explains(exchange):
    order = place_order(
        owner_id=exchange.alice.pk, market=exchange.btc, request=limit("BUY", "0.01", "100000000")
    )
    assert find_ledger_breaks() == []

    Order.objects.filter(pk=order.pk).update(status="CANCELED")

    breaks = find_ledger_breaks()
    assert any(f"order {order.pk} is CANCELED but still holds" in b for b in breaks), breaks
    assert any("KRW" in b and "locked" in b for b in breaks)


def test_ledger_check_finds_an_open_order_holding_more_than_it_needs(exchange):
    order = place_order(
        owner_id=exchange.alice.pk, market=exchange.btc, request=limit("BUY", "0.01", "100000000")
    )

    Order.objects.filter(pk=order.pk).update(held=D("1000001"))

    assert any(f"open order {order.pk} holds 1000001" in b for b in find_ledger_breaks())


def test_ledger_check_finds_a_trade_without_its_journal(exchange):
    place_order(
        owner_id=exchange.alice.pk, market=exchange.btc, request=limit("SELL", "0.01", "100000000")
    )
    place_order(
        owner_id=exchange.bob.pk, market=exchange.btc, request=limit("BUY", "0.01", "100000000")
    )
    copy = Trade.objects.get()
    copy.pk = None
    copy.save()

    assert "2 trades but 1 trade journals" in find_ledger_breaks()
