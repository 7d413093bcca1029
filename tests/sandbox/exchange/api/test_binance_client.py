"""An unmodified Binance client library from PyPI (binance-connector) against a live server:
what a student's own trading script does."""

import json
from io import StringIO

import pytest
from binance.error import ClientError
from binance.spot import Spot
from django.core.management import call_command

from tests.factories import EnrollmentFactory


def new_key(user, offering) -> dict:
    EnrollmentFactory(user=user, offering=offering)
    out = StringIO()
    call_command("create_api_key", user.username, "--offering", offering.slug, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def spot_clients(live_server):
    """Makes binance-connector clients, and closes their keep-alive connections before the live
    server stops (a request thread left open would outlive the test's database)."""
    made = []

    def make(api_key: dict, base_url: str) -> Spot:
        client = Spot(api_key["apiKey"], api_key["secretKey"], base_url=base_url)
        made.append(client)
        return client

    yield make
    for client in made:
        client.session.close()


def refusal(request, **params) -> tuple:
    """(HTTP status, Binance code, message) of a refused request. Returning plain values lets the
    client's response, and so its keep-alive connection to the live server, be freed at once."""
    try:
        request(**params)
    except ClientError as error:
        return error.status_code, error.error_code, error.error_message
    pytest.fail("the request was not refused")


def balances(client: Spot) -> dict:
    return {b["asset"]: (b["free"], b["locked"]) for b in client.account()["balances"]}


@pytest.mark.django_db(transaction=True)
def test_binance_client_places_cancels_and_trades_through_the_api(
    live_server, spot_clients, exchange
):
    alice_key = new_key(exchange.alice, exchange.offering)
    bob_key = new_key(exchange.bob, exchange.offering)
    # alice uses the offering's base URL; bob the plain one, where his key names the offering
    alice = spot_clients(alice_key, f"{live_server.url}/o/{exchange.offering.slug}")
    bob = spot_clients(bob_key, live_server.url)

    assert alice.ping() == {}
    [symbol] = alice.exchange_info(symbol="BTCKRW")["symbols"]
    assert symbol["baseAsset"] == "BTC"

    # a resting limit order appears among the open orders, then is cancelled
    placed = alice.new_order(
        symbol="BTCKRW",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.01",
        price="90000000",
    )
    assert [o["orderId"] for o in alice.get_open_orders(symbol="BTCKRW")] == [placed["orderId"]]
    cancelled = alice.cancel_order(symbol="BTCKRW", orderId=placed["orderId"])
    assert cancelled["status"] == "CANCELED"
    assert alice.get_open_orders(symbol="BTCKRW") == []

    # crossing orders between two students fill at the maker's price
    alice.new_order(
        symbol="BTCKRW",
        side="SELL",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.01",
        price="100000000",
    )
    taken = bob.new_order(
        symbol="BTCKRW",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.01",
        price="100000000",
    )
    assert taken["status"] == "FILLED"
    [fill] = bob.my_trades(symbol="BTCKRW")
    assert (fill["price"], fill["qty"], fill["isBuyer"]) == (
        "100000000.00000000",
        "0.01000000",
        True,
    )
    assert balances(bob)["BTC"] == ("0.05999000", "0.00000000")
    assert balances(bob)["KRW"] == ("9000000.00000000", "0.00000000")
    assert balances(alice)["KRW"] == ("10999500.00000000", "0.00000000")
    assert bob.ticker_price(symbol="BTCKRW")["price"] == "100000000.00000000"

    # a refusal reaches the client as Binance's error
    assert refusal(
        bob.new_order,
        symbol="BTCKRW",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="10",
        price="100000000",
    ) == (400, -2010, "Account has insufficient balance for requested action.")
