"""Public market data: exchangeInfo, depth, trades, klines, avgPrice and the tickers."""

from datetime import UTC, datetime

import pytest

from sandbox.exchange.models import Trade
from sandbox.exchange.services import place_order
from tests.sandbox.trades import limit

pytestmark = pytest.mark.django_db

MINUTE = 60_000


def trade(exchange, qty, price, *, at_ms=None, buyer_takes=True):
    """One trade of `qty` at `price` between alice and bob, optionally moved to `at_ms`."""
    maker, taker = (exchange.alice, exchange.bob) if buyer_takes else (exchange.bob, exchange.alice)
    maker_side, taker_side = ("SELL", "BUY") if buyer_takes else ("BUY", "SELL")
    place_order(owner_id=maker.pk, market=exchange.btc, request=limit(maker_side, qty, price))
    place_order(owner_id=taker.pk, market=exchange.btc, request=limit(taker_side, qty, price))
    made = Trade.objects.latest("pk")
    if at_ms is not None:
        Trade.objects.filter(pk=made.pk).update(
            created_at=datetime.fromtimestamp(at_ms / 1000, tz=UTC)
        )
    return made


def test_exchange_info_lists_the_offerings_symbols_with_their_filters(client, exchange):
    response = client.get(f"/o/{exchange.offering.slug}/api/v3/exchangeInfo")

    body = response.json()
    symbols = {s["symbol"]: s for s in body["symbols"]}
    assert set(symbols) == {"BTCKRW", "ETHKRW", "KUSDKRW"}
    btc = symbols["BTCKRW"]
    assert (btc["baseAsset"], btc["quoteAsset"], btc["status"]) == ("BTC", "KRW", "TRADING")
    assert (btc["baseAssetPrecision"], btc["quoteAssetPrecision"]) == (8, 2)
    assert btc["isSpotTradingAllowed"] is True
    assert btc["permissionSets"] == [["SPOT"]]
    filters = {f["filterType"]: f for f in btc["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "1000.00000000"
    assert filters["LOT_SIZE"]["stepSize"] == "0.00001000"
    assert filters["NOTIONAL"]["minNotional"] == "5000.00000000"
    assert filters["MIN_NOTIONAL"]["minNotional"] == "5000.00000000"
    assert body["rateLimits"][0] == {
        "rateLimitType": "REQUEST_WEIGHT",
        "interval": "MINUTE",
        "intervalNum": 1,
        "limit": 1200,
    }
    assert response["X-MBX-USED-WEIGHT-1M"] == "20"


def test_exchange_info_for_one_symbol_and_for_an_unknown_one(client, exchange):
    base = f"/o/{exchange.offering.slug}/api/v3/exchangeInfo"

    one = client.get(base, {"symbol": "ETHKRW"}).json()
    unknown = client.get(base, {"symbols": '["BTCKRW","NOPEKRW"]'}).json()

    assert [s["symbol"] for s in one["symbols"]] == ["ETHKRW"]
    assert unknown["code"] == -1121


def test_public_data_at_api_v3_is_scoped_by_the_api_key(api, exchange):
    response = api.alice.client.get("/api/v3/exchangeInfo", HTTP_X_MBX_APIKEY=api.alice.key)

    assert len(response.json()["symbols"]) == 3


def test_public_data_at_api_v3_without_a_key_says_how_to_name_the_offering(client, exchange):
    response = client.get("/api/v3/depth", {"symbol": "BTCKRW"})

    assert response.status_code == 401
    assert response.json()["code"] == -2014
    assert "/o/<offering-slug>/api/v3/" in response.json()["detail"]


def test_ping_and_time_need_no_offering(client):
    assert client.get("/api/v3/ping").json() == {}
    assert isinstance(client.get("/api/v3/time").json()["serverTime"], int)


def test_depth_aggregates_resting_quantity_per_price_best_first(client, exchange):
    for owner, side, qty, price in [
        (exchange.alice, "BUY", "0.01", "90000000"),
        (exchange.bob, "BUY", "0.02", "90000000"),
        (exchange.alice, "BUY", "0.01", "89000000"),
        (exchange.bob, "SELL", "0.01", "95000000"),
        (exchange.bob, "SELL", "0.01", "96000000"),
    ]:
        place_order(owner_id=owner.pk, market=exchange.btc, request=limit(side, qty, price))

    response = client.get(f"/o/{exchange.offering.slug}/api/v3/depth", {"symbol": "BTCKRW"})

    body = response.json()
    assert body["bids"] == [
        ["90000000.00000000", "0.03000000"],
        ["89000000.00000000", "0.01000000"],
    ]
    assert body["asks"] == [
        ["95000000.00000000", "0.01000000"],
        ["96000000.00000000", "0.01000000"],
    ]
    assert body["lastUpdateId"] > 0


def test_depth_limit_cuts_each_side_and_sets_the_weight(client, exchange):
    for price in ("90000000", "89000000"):
        place_order(
            owner_id=exchange.alice.pk, market=exchange.btc, request=limit("BUY", "0.01", price)
        )

    response = client.get(
        f"/o/{exchange.offering.slug}/api/v3/depth", {"symbol": "BTCKRW", "limit": 1}
    )
    heavy = client.get(
        f"/o/{exchange.offering.slug}/api/v3/depth", {"symbol": "BTCKRW", "limit": 1000}
    )

    assert response.json()["bids"] == [["90000000.00000000", "0.01000000"]]
    assert response["X-MBX-USED-WEIGHT-1M"] == "5"
    assert heavy["X-MBX-USED-WEIGHT-1M"] == str(5 + 50)


def test_recent_trades_oldest_first(client, exchange):
    first = trade(exchange, "0.01", "100000000")
    second = trade(exchange, "0.02", "101000000", buyer_takes=False)

    response = client.get(f"/o/{exchange.offering.slug}/api/v3/trades", {"symbol": "BTCKRW"})

    assert [(t["id"], t["price"], t["isBuyerMaker"]) for t in response.json()] == [
        (first.pk, "100000000.00000000", False),
        (second.pk, "101000000.00000000", True),
    ]


def test_klines_are_built_from_the_trades_of_each_interval(client, exchange):
    start = 1_700_000_040_000  # a minute boundary
    trade(exchange, "0.01", "100000000", at_ms=start + 1_000)
    trade(exchange, "0.02", "103000000", at_ms=start + 20_000)
    trade(exchange, "0.01", "99000000", at_ms=start + 50_000, buyer_takes=False)
    trade(exchange, "0.01", "101000000", at_ms=start + 2 * MINUTE + 5_000)

    response = client.get(
        f"/o/{exchange.offering.slug}/api/v3/klines",
        {"symbol": "BTCKRW", "interval": "1m", "startTime": start, "limit": 3},
    )

    first, gap, third = response.json()
    assert first == [
        start,
        "100000000.00000000",
        "103000000.00000000",
        "99000000.00000000",
        "99000000.00000000",
        "0.04000000",
        start + MINUTE - 1,
        "4050000.00000000",
        3,
        "0.03000000",
        "3060000.00000000",
        "0",
    ]
    assert gap[0] == start + MINUTE
    assert gap[1:6] == ["99000000.00000000"] * 4 + ["0.00000000"]
    assert gap[8] == 0
    assert third[0] == start + 2 * MINUTE
    assert (third[1], third[5], third[8]) == ("101000000.00000000", "0.01000000", 1)


def test_klines_of_a_longer_interval_merge_the_shorter_ones(client, exchange):
    start = 1_700_000_040_000 - 1_700_000_040_000 % 3_600_000
    trade(exchange, "0.01", "100000000", at_ms=start + 1_000)
    trade(exchange, "0.01", "102000000", at_ms=start + 30 * MINUTE)

    response = client.get(
        f"/o/{exchange.offering.slug}/api/v3/klines",
        {"symbol": "BTCKRW", "interval": "1h", "startTime": start, "endTime": start},
    )

    [hour] = response.json()
    assert hour[0] == start
    assert (hour[1], hour[2], hour[4], hour[8]) == (
        "100000000.00000000",
        "102000000.00000000",
        "102000000.00000000",
        2,
    )


def test_klines_without_start_time_end_with_the_current_interval(client, exchange):
    trade(exchange, "0.01", "100000000")

    response = client.get(
        f"/o/{exchange.offering.slug}/api/v3/klines",
        {"symbol": "BTCKRW", "interval": "1m", "limit": 5},
    )

    [current] = response.json()
    assert current[4] == "100000000.00000000"


def utc_ms(*moment: int) -> int:
    return int(datetime(*moment, tzinfo=UTC).timestamp() * 1000)


def klines_of(client, exchange, interval: str, **query) -> list:
    return client.get(
        f"/o/{exchange.offering.slug}/api/v3/klines",
        {"symbol": "BTCKRW", "interval": interval, **query},
    ).json()


def test_weekly_klines_open_on_mondays_at_midnight_utc(client, exchange):
    trade(exchange, "0.01", "100000000", at_ms=utc_ms(2023, 11, 15, 12))  # a Wednesday
    trade(exchange, "0.02", "101000000", at_ms=utc_ms(2023, 11, 19, 23, 59))  # the Sunday

    [week] = klines_of(client, exchange, "1w", startTime=utc_ms(2023, 11, 13), limit=1)

    assert (week[0], week[6]) == (utc_ms(2023, 11, 13), utc_ms(2023, 11, 20) - 1)
    assert (week[5], week[8]) == ("0.03000000", 2)


def test_monthly_klines_follow_the_calendar_months(client, exchange):
    trade(exchange, "0.01", "100000000", at_ms=utc_ms(2024, 1, 31, 23, 59))
    trade(exchange, "0.02", "101000000", at_ms=utc_ms(2024, 2, 1, 0, 1))

    january, february = klines_of(client, exchange, "1M", startTime=utc_ms(2024, 1, 1), limit=2)

    assert (january[0], january[6], january[8]) == (utc_ms(2024, 1, 1), utc_ms(2024, 2, 1) - 1, 1)
    assert (february[0], february[6]) == (utc_ms(2024, 2, 1), utc_ms(2024, 3, 1) - 1)  # 29 days
    assert (february[1], february[8]) == ("101000000.00000000", 1)


def test_three_day_klines_step_from_the_unix_epoch(client, exchange):
    trade(exchange, "0.01", "100000000", at_ms=utc_ms(2023, 11, 15, 12))  # day 19676 of the epoch

    [candle] = klines_of(client, exchange, "3d", startTime=utc_ms(2023, 11, 13), limit=1)

    assert (candle[0], candle[6]) == (utc_ms(2023, 11, 13), utc_ms(2023, 11, 16) - 1)  # day 19674
    assert candle[8] == 1


def test_monthly_klines_without_start_time_count_back_by_months(client, exchange):
    trade(exchange, "0.01", "100000000", at_ms=utc_ms(2023, 12, 15))
    trade(exchange, "0.01", "101000000")

    candles = klines_of(client, exchange, "1M", limit=3)

    opens = [candle[0] for candle in candles]
    assert len(opens) == 3
    assert all(
        datetime.fromtimestamp(ms / 1000, tz=UTC).day == 1 for ms in opens
    )  # each the 1st of a month
    assert candles[-1][4] == "101000000.00000000"


def test_klines_with_an_unknown_interval_are_refused(client, exchange):
    response = client.get(
        f"/o/{exchange.offering.slug}/api/v3/klines", {"symbol": "BTCKRW", "interval": "7m"}
    )

    assert response.json()["code"] == -1120
    assert response.json()["msg"] == "Invalid interval."


def test_ticker_24hr_sums_the_days_trades(client, exchange):
    trade(exchange, "0.01", "100000000")
    trade(exchange, "0.03", "104000000")
    place_order(
        owner_id=exchange.alice.pk, market=exchange.btc, request=limit("BUY", "0.02", "98000000")
    )

    body = client.get(
        f"/o/{exchange.offering.slug}/api/v3/ticker/24hr", {"symbol": "BTCKRW"}
    ).json()

    assert (body["openPrice"], body["lastPrice"]) == ("100000000.00000000", "104000000.00000000")
    assert (body["highPrice"], body["lowPrice"]) == ("104000000.00000000", "100000000.00000000")
    assert body["priceChange"] == "4000000.00000000"
    assert body["priceChangePercent"] == "4.000"
    assert (body["volume"], body["quoteVolume"]) == ("0.04000000", "4120000.00000000")
    assert body["weightedAvgPrice"] == "103000000.00000000"
    assert (body["count"], body["lastQty"]) == (2, "0.03000000")
    assert (body["bidPrice"], body["bidQty"]) == ("98000000.00000000", "0.02000000")


def test_ticker_price_without_a_symbol_lists_every_symbol(client, exchange):
    trade(exchange, "0.01", "100000000")

    body = client.get(f"/o/{exchange.offering.slug}/api/v3/ticker/price").json()

    prices = {t["symbol"]: t["price"] for t in body}
    assert prices["BTCKRW"] == "100000000.00000000"
    assert set(prices) == {"BTCKRW", "ETHKRW", "KUSDKRW"}


def test_book_ticker_shows_the_best_bid_and_ask(client, exchange):
    place_order(
        owner_id=exchange.alice.pk, market=exchange.btc, request=limit("BUY", "0.01", "90000000")
    )
    place_order(
        owner_id=exchange.bob.pk, market=exchange.btc, request=limit("SELL", "0.02", "95000000")
    )

    body = client.get(
        f"/o/{exchange.offering.slug}/api/v3/ticker/bookTicker", {"symbol": "BTCKRW"}
    ).json()

    assert body == {
        "symbol": "BTCKRW",
        "bidPrice": "90000000.00000000",
        "bidQty": "0.01000000",
        "askPrice": "95000000.00000000",
        "askQty": "0.02000000",
    }


def test_average_price_weights_the_last_five_minutes_by_volume(client, exchange):
    trade(exchange, "0.01", "90000000", at_ms=1_600_000_000_000)  # long ago: left out
    trade(exchange, "0.01", "100000000")
    trade(exchange, "0.03", "104000000")

    body = client.get(f"/o/{exchange.offering.slug}/api/v3/avgPrice", {"symbol": "BTCKRW"}).json()

    assert body["mins"] == 5
    assert body["price"] == "103000000.00000000"


def test_klines_start_time_past_the_year_9999_is_illegal(client, exchange):
    response = client.get(
        f"/o/{exchange.offering.slug}/api/v3/klines",
        {"symbol": "BTCKRW", "interval": "1m", "startTime": "99999999999999999"},
    )

    assert response.status_code == 400
    assert response.json()["code"] == -1100


def test_depth_is_answered_in_three_queries(client, exchange, django_assert_num_queries):
    with django_assert_num_queries(3):  # the offering, the market, the resting orders
        response = client.get(f"/o/{exchange.offering.slug}/api/v3/depth", {"symbol": "BTCKRW"})

    assert response.status_code == 200
