"""Binance Spot v3 paths. Included twice by campus/urls.py: at /api/ (the offering comes from the
X-MBX-APIKEY key) and at /o/<offering-slug>/api/ (the offering comes from the path), so a
Binance client library works unmodified with either base URL."""

from django.urls import path

from sandbox.exchange.api.endpoint import methods
from sandbox.exchange.api.views import account, general, market, trading, userdatastream

app_name = "binance"

urlpatterns = [
    path("v3/ping", methods(GET=general.ping), name="ping"),
    path("v3/time", methods(GET=general.server_time), name="time"),
    path("v3/exchangeInfo", methods(GET=general.exchange_info), name="exchange-info"),
    path("v3/depth", methods(GET=market.depth), name="depth"),
    path("v3/trades", methods(GET=market.trades), name="trades"),
    path("v3/klines", methods(GET=market.klines), name="klines"),
    path("v3/uiKlines", methods(GET=market.klines), name="ui-klines"),
    path("v3/avgPrice", methods(GET=market.avg_price), name="avg-price"),
    path("v3/ticker/24hr", methods(GET=market.ticker_24hr), name="ticker-24hr"),
    path("v3/ticker/price", methods(GET=market.ticker_price), name="ticker-price"),
    path("v3/ticker/bookTicker", methods(GET=market.book_ticker), name="book-ticker"),
    path(
        "v3/order",
        methods(GET=trading.query_order, POST=trading.new_order, DELETE=trading.cancel_order),
        name="order",
    ),
    path("v3/order/test", methods(POST=trading.test_order), name="order-test"),
    path(
        "v3/openOrders",
        methods(GET=trading.open_orders, DELETE=trading.cancel_open_orders),
        name="open-orders",
    ),
    path("v3/allOrders", methods(GET=trading.all_orders), name="all-orders"),
    path("v3/account", methods(GET=account.account), name="account"),
    path("v3/myTrades", methods(GET=account.my_trades), name="my-trades"),
    path(
        "v3/userDataStream",
        methods(
            POST=userdatastream.open_stream,
            PUT=userdatastream.keep_alive,
            DELETE=userdatastream.close_stream,
        ),
        name="user-data-stream",
    ),
]
