"""The per-second beat costs a fixed number of queries: one to find which markets traded and one to
load them, then per traded market one for its new trades (candles and ticker alike) and one for
its best bid and ask, however many trades its day holds; a beat when nothing traded costs one."""

import pytest

from sandbox.exchange.tasks import publish_tickers_and_candles
from tests.sandbox.trades import bob_sells_to_alice

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]


def test_a_beat_after_a_trade_costs_four_queries(exchange, django_assert_num_queries):
    # given a market whose day of trades the beat already keeps, and a new trade
    for _ in range(3):
        bob_sells_to_alice(exchange)
    publish_tickers_and_candles()
    bob_sells_to_alice(exchange)

    # when the beat runs
    with django_assert_num_queries(4):  # which markets traded, them, new trades, best levels
        sent = publish_tickers_and_candles()

    # then it sent the one market that traded
    assert sent == 1


def test_a_beat_when_nothing_traded_costs_one_query(exchange, django_assert_num_queries):
    # given no trades at all
    # when the beat runs
    with django_assert_num_queries(1):
        sent = publish_tickers_and_candles()

    # then it sent nothing
    assert sent == 0


def test_the_streamed_ticker_says_where_its_window_starts(exchange, monkeypatch):
    # given a trade and a beat that captures what it sends
    from sandbox.exchange import tasks
    from sandbox.exchange.selectors import now_ms
    from sandbox.exchange.stream_ticker import window_start

    bob_sells_to_alice(exchange, quantity="0.003")
    sent = []
    monkeypatch.setattr(tasks, "publish_many", sent.extend)
    at = now_ms() + 500
    monkeypatch.setattr(tasks, "now_ms", lambda: at)

    # when the beat runs
    publish_tickers_and_candles()

    # then the ticker's open time is the window's start, its figures the day's trades
    [ticker] = [payload for group, payload in sent if group.endswith(".ticker")]
    assert ticker["O"] == window_start(at)
    assert (ticker["n"], ticker["v"], ticker["C"]) == (1, "0.00300000", at)
