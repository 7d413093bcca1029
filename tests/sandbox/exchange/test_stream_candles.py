"""The beat's candles: every interval's current candle, folded from the trades since the last
beat, equals the one /api/v3/klines reads from all the candle's trades."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache

from sandbox.exchange import selectors
from sandbox.exchange.models import Trade
from sandbox.exchange.selectors import KLINE_INTERVALS, now_ms
from sandbox.exchange.stream_candles import candles_of
from sandbox.exchange.streams import STREAMED_KLINE_INTERVALS, parse_stream
from tests.sandbox.trades import bob_sells_to_alice

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]


def trade_at(exchange, *, price: str, hours_ago: float) -> None:
    bob_sells_to_alice(exchange, quantity="0.001", price=price)
    last = Trade.objects.order_by("-pk").first()
    moved = last.created_at - timedelta(hours=hours_ago)
    Trade.objects.filter(pk=last.pk).update(created_at=moved)


def as_rest_reads_them(exchange, at: int) -> dict:
    return {
        interval: selectors.klines(exchange.btc, interval=interval, now_ms=at, limit=1)[0]
        for interval in KLINE_INTERVALS
    }


def test_every_interval_the_rest_api_serves_is_streamed():
    assert tuple(KLINE_INTERVALS) == STREAMED_KLINE_INTERVALS
    assert all(parse_stream(f"btckrw@kline_{i}") for i in KLINE_INTERVALS)


def test_candles_read_for_the_first_time_equal_the_rest_apis(exchange):
    for price, hours_ago in (("99000000", 30), ("101000000", 5), ("98000000", 0.5)):
        trade_at(exchange, price=price, hours_ago=hours_ago)
    bob_sells_to_alice(exchange, quantity="0.002", price="100000000")
    at = now_ms()

    candles = candles_of([exchange.btc], at_ms=at)[exchange.btc.pk]

    expected = as_rest_reads_them(exchange, at)
    assert {i: candles.current(i, at) for i in KLINE_INTERVALS} == expected


def test_candles_folded_beat_after_beat_equal_the_rest_apis(exchange):
    trade_at(exchange, price="99000000", hours_ago=2)
    candles_of([exchange.btc], at_ms=now_ms())  # the first beat: read from the trades
    for price in ("101000000", "97000000"):
        bob_sells_to_alice(exchange, quantity="0.001", price=price)
    at = now_ms()

    candles = candles_of([exchange.btc], at_ms=at)[exchange.btc.pk]

    assert candles.current("1h", at).count == 2  # both new trades, folded once
    expected = as_rest_reads_them(exchange, at)
    assert {i: candles.current(i, at) for i in KLINE_INTERVALS} == expected


def test_a_candle_with_no_trades_yet_repeats_the_last_close(exchange):
    trade_at(exchange, price="99000000", hours_ago=3)
    at = now_ms()

    candle = candles_of([exchange.btc], at_ms=at)[exchange.btc.pk].current("1m", at)

    assert (candle.open, candle.close, candle.volume, candle.count) == (99000000, 99000000, 0, 0)


def test_a_beat_reads_one_query_of_new_trades_per_market_whatever_the_intervals(
    exchange, django_assert_num_queries
):
    bob_sells_to_alice(exchange)
    candles_of([exchange.btc], at_ms=now_ms())
    bob_sells_to_alice(exchange)

    with django_assert_num_queries(1):
        candles_of([exchange.btc], at_ms=now_ms())


def test_a_monthly_candle_rolls_over_at_the_calendar_month(exchange):
    # given a trade on the last minute of a month, kept by a beat then
    march = int(datetime(2025, 3, 1, tzinfo=UTC).timestamp() * 1000)
    trade_at(exchange, price="99000000", hours_ago=(now_ms() - march + 60_000) / 3_600_000)
    candles_of([exchange.btc], at_ms=march - 1)
    # and one on the month's first minute
    trade_at(exchange, price="101000000", hours_ago=(now_ms() - march - 60_000) / 3_600_000)

    # when the beat folds it in
    candles = candles_of([exchange.btc], at_ms=march + 120_000)[exchange.btc.pk]

    # then the monthly candle is March's alone, and equals the REST API's
    month = candles.current("1M", march + 120_000)
    assert (month.open_time, month.count, month.open) == (march, 1, 101000000)
    [expected] = selectors.klines(exchange.btc, interval="1M", now_ms=march + 120_000, limit=1)
    assert month == expected


def test_a_beat_with_nothing_new_writes_nothing_back(exchange, monkeypatch):
    # given candles kept by a beat
    bob_sells_to_alice(exchange)
    candles_of([exchange.btc], at_ms=now_ms())
    written = []
    monkeypatch.setattr(cache, "set_many", lambda entries, timeout: written.append(entries))

    # when the next beat finds no new trade (the market still counts as recently traded)
    candles_of([exchange.btc], at_ms=now_ms())

    # then the cache entry is left as it is
    assert written == []
