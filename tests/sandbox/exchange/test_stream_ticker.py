"""The `@ticker` stream's 24 hours, kept as minute buckets folded beat after beat, equal what the
trades say from the window's start (the minute that holds now - 24 h: the stream's documented
edge rule), however the trades and the beats fall; REST /api/v3/ticker/24hr keeps the exact
window."""

import random

import pytest
from django.core.cache import cache

from sandbox.exchange import selectors
from sandbox.exchange.models import Market, Trade
from sandbox.exchange.selectors import from_epoch_ms, now_ms
from sandbox.exchange.stream_candles import candles_of
from sandbox.exchange.stream_ticker import DAY_MS, MINUTE_MS, window_start
from tests.sandbox.trades import bob_sells_to_alice

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]


def trade_at(exchange, *, at_ms: int, price: str = "100000000", quantity: str = "0.001") -> Trade:
    bob_sells_to_alice(exchange, quantity=quantity, price=price)
    last = Trade.objects.order_by("-pk").first()
    Trade.objects.filter(pk=last.pk).update(created_at=from_epoch_ms(at_ms))
    return last


def streamed(exchange, at: int) -> selectors.TradeWindow:
    market = Market.objects.get(pk=exchange.btc.pk)
    kept = candles_of([market], at_ms=at)[market.pk]
    return kept.day.window(at, last_price=market.last_price)


def as_the_trades_say(exchange, at: int) -> selectors.TradeWindow:
    market = Market.objects.get(pk=exchange.btc.pk)
    return selectors.trade_window(market, since=from_epoch_ms(window_start(at)))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_stream_ticker_equals_the_trades_window_after_random_trades_and_beats(exchange, seed):
    # given trades at random times over the last 26 hours, in time order, at random prices
    # and sizes, with beats (and a lost cache) falling between them at random
    rng = random.Random(seed)
    start = now_ms()
    offsets = sorted(rng.randrange(0, 26 * 3_600_000) for _ in range(14))
    for offset in reversed(offsets):
        price = str(rng.randrange(90, 110) * 1_000_000)
        quantity = f"0.000{rng.randrange(1, 10)}"
        trade_at(exchange, at_ms=start - offset, price=price, quantity=quantity)
        if rng.random() < 0.4:
            streamed(exchange, now_ms())
        if rng.random() < 0.1:
            cache.clear()
    # when a beat runs, now and a few minutes on (trades leave the window)
    for later in (0, 7 * MINUTE_MS, 95 * MINUTE_MS):
        at = now_ms() + later

        # then the kept figures are the trades' own, from the window's start
        assert streamed(exchange, at) == as_the_trades_say(exchange, at)


def test_stream_ticker_counts_the_whole_minute_at_the_windows_old_edge(exchange):
    # given a trade just over 24 hours before the beat, in the minute that holds now - 24 h
    at = now_ms()
    at -= at % MINUTE_MS - 30_000  # half a minute into a minute
    old = trade_at(exchange, at_ms=at - DAY_MS - 10_000)
    trade_at(exchange, at_ms=at - 1_000)

    # when the beat keeps the window
    window = streamed(exchange, at)

    # then the stream counts it (Binance's to-the-millisecond window would not)
    assert (window.count, window.first_id) == (2, old.pk)
    assert window_start(at) == at - DAY_MS - 30_000


def test_a_trade_that_left_the_window_is_the_previous_close(exchange):
    # given a trade 23 h 59 min ago, kept by a beat
    at = now_ms()
    trade_at(exchange, at_ms=at - DAY_MS + MINUTE_MS, price="99000000")
    streamed(exchange, at)

    # when a beat runs two minutes later
    window = streamed(exchange, at + 2 * MINUTE_MS)

    # then the window is empty, its previous close is the old trade's price
    assert (window.count, window.volume, window.prev_close) == (0, 0, 99000000)
    assert window == as_the_trades_say(exchange, at + 2 * MINUTE_MS)


def test_rest_ticker_keeps_binances_exact_window(client, exchange):
    # given a trade a moment over 24 hours ago (inside the stream's first minute) and a new one
    trade_at(exchange, at_ms=window_start(now_ms() - 1))
    bob_sells_to_alice(exchange, quantity="0.002")

    # when the REST ticker is read
    body = client.get(
        f"/o/{exchange.offering.slug}/api/v3/ticker/24hr", {"symbol": "BTCKRW"}
    ).json()

    # then only the trade within the last 24 hours to the millisecond counts
    assert (body["count"], body["volume"]) == (1, "0.00200000")
    assert body["closeTime"] - body["openTime"] == DAY_MS


def test_a_lost_cache_is_rebuilt_once_from_the_trades(exchange, django_assert_num_queries):
    # given a day of trades and no kept state
    for hours_ago in (30, 20, 2):
        trade_at(exchange, at_ms=now_ms() - int(hours_ago * 3_600_000))
    at = now_ms()

    # when two beats run
    with django_assert_num_queries(2):  # the trade before the window, the trades after it
        candles_of([exchange.btc], at_ms=at)
    with django_assert_num_queries(1):  # only the new trades
        candles_of([exchange.btc], at_ms=at + 1_000)

    # then the kept window equals the trades' own figures
    assert streamed(exchange, at + 1_000) == as_the_trades_say(exchange, at + 1_000)
    assert streamed(exchange, at + 1_000).count == 2


def test_an_out_of_date_state_catches_up(exchange):
    # given a state kept an hour ago, and trades since
    trade_at(exchange, at_ms=now_ms() - 3_600_000, price="98000000")
    candles_of([exchange.btc], at_ms=now_ms() - 3_000_000)
    for minutes_ago in (40, 10):
        trade_at(exchange, at_ms=now_ms() - minutes_ago * MINUTE_MS, price="101000000")

    # when the beat folds the new trades in
    window = streamed(exchange, now_ms())

    # then nothing was missed
    assert window.count == 3
    assert (window.open, window.last) == (98000000, 101000000)


def test_the_window_starts_at_the_minute_that_holds_a_day_ago():
    at = 1_700_000_123_456  # 22:15:23.456 UTC

    assert window_start(at) == 1_699_913_700_000  # the day before, 22:15:00.000
