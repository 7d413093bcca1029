"""Celery: every second, the `@ticker` and `@kline_<interval>` streams of markets that traded."""

from datetime import timedelta

from celery import shared_task

from sandbox.exchange.selectors import now_ms
from sandbox.exchange.stream_candles import candles_of
from sandbox.exchange.stream_events import kline_event, recently_traded, ticker_event
from sandbox.exchange.stream_ticker import window_start
from sandbox.exchange.streams import STREAMED_KLINE_INTERVALS, market_group, publish_many

# A market that traded in this window gets its ticker and candles sent (a little over the beat
# period, so a beat that runs late misses nothing).
RECENT = timedelta(seconds=2)


@shared_task(ignore_result=True)
def publish_tickers_and_candles() -> int:
    """One query finds the markets that traded; each of them costs one query for its new trades
    (which keep both its candles and its 24-hour ticker, see stream_candles.py) and one for its
    best bid and ask, whatever the number of intervals or the day's trades."""
    at = now_ms()
    markets = recently_traded(within=RECENT)
    candles = candles_of(markets, at_ms=at)
    messages = []
    for market in markets:
        kept = candles[market.pk]
        window = kept.day.window(at, last_price=market.last_price)
        ticker = ticker_event(market, window, open_ms=window_start(at), at_ms=at)
        messages.append((market_group(market.offering_id, market.symbol, "ticker"), ticker))
        for interval in STREAMED_KLINE_INTERVALS:
            candle = kept.current(interval, at)
            if candle is not None:
                group = market_group(market.offering_id, market.symbol, f"kline.{interval}")
                messages.append((group, kline_event(market.symbol, interval, candle, at_ms=at)))
    if messages:
        publish_many(messages)
    return len(markets)
