"""Celery: every second, the `@ticker` and `@kline_<interval>` streams of markets that traded."""

from datetime import timedelta

from celery import shared_task

from sandbox.exchange.selectors import now_ms
from sandbox.exchange.stream_events import kline_event, recently_traded, ticker_event
from sandbox.exchange.streams import STREAMED_KLINE_INTERVALS, market_group, publish_many

# A market that traded in this window gets its ticker and candles sent (a little over the beat
# period, so a beat that runs late misses nothing).
RECENT = timedelta(seconds=2)


@shared_task(ignore_result=True)
def publish_tickers_and_candles() -> int:
    at = now_ms()
    markets = recently_traded(within=RECENT)
    messages = []
    for market in markets:
        group = market_group(market.offering_id, market.symbol, "ticker")
        messages.append((group, ticker_event(market, at_ms=at)))
        for interval in STREAMED_KLINE_INTERVALS:
            group = market_group(market.offering_id, market.symbol, f"kline.{interval}")
            messages.append((group, kline_event(market, interval, at_ms=at)))
    publish_many(messages)
    return len(markets)
