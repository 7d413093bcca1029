"""Placing, querying and cancelling orders over the API."""

from decimal import Decimal as D

import pytest

from sandbox.exchange.models import Order
from sandbox.wallet.models import Account, Posting
from tests.sandbox.exchange.api.conftest import limit_order

pytestmark = pytest.mark.django_db


def krw(user, offering):
    account = Account.objects.get(owner=user, offering=offering, asset_id="KRW")
    return account.available, account.locked


def test_limit_order_is_placed_and_answered_in_binances_full_shape(api):
    response = api.alice.post("order", **limit_order(newClientOrderId="first-order"))

    assert response.status_code == 200
    body = response.json()
    order = Order.objects.get()
    assert body["orderId"] == order.pk
    assert body["clientOrderId"] == "first-order"
    assert body["orderListId"] == -1
    assert (body["price"], body["origQty"], body["executedQty"]) == (
        "100000000.00000000",
        "0.01000000",
        "0.00000000",
    )
    assert (body["status"], body["type"], body["side"], body["timeInForce"]) == (
        "NEW",
        "LIMIT",
        "BUY",
        "GTC",
    )
    assert body["fills"] == []
    assert isinstance(body["transactTime"], int) and body["workingTime"] > 0
    assert body["selfTradePreventionMode"] == "EXPIRE_MAKER"


def test_ack_response_carries_only_the_identifiers(api):
    response = api.alice.post("order", **limit_order(newOrderRespType="ACK"))

    assert set(response.json()) == {
        "symbol",
        "orderId",
        "orderListId",
        "clientOrderId",
        "transactTime",
    }


def test_full_response_lists_fills_with_commission_in_the_received_asset(api):
    api.alice.post("order", **limit_order("SELL"))

    response = api.bob.post("order", **limit_order("BUY", price="101000000"))

    body = response.json()
    assert body["status"] == "FILLED"
    assert body["cummulativeQuoteQty"] == "1000000.00000000"
    [fill] = body["fills"]
    assert fill["price"] == "100000000.00000000"
    assert fill["qty"] == "0.01000000"
    assert (fill["commission"], fill["commissionAsset"]) == ("0.00001000", "BTC")
    assert isinstance(fill["tradeId"], int)


def test_missing_mandatory_parameter_names_it(api):
    order = limit_order()
    del order["quantity"]

    response = api.alice.post("order", **order)

    assert response.status_code == 400
    assert response.json() == {
        "code": -1102,
        "msg": "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.",
    }


def test_missing_symbol_names_the_symbol(api):
    order = limit_order()
    del order["symbol"]

    response = api.alice.post("order", **order)

    assert response.json()["msg"] == (
        "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."
    )


def test_unknown_symbol_is_an_invalid_symbol(api):
    response = api.alice.post("order", **limit_order(symbol="DOGEKRW"))

    assert response.status_code == 400
    assert response.json()["code"] == -1121
    assert response.json()["msg"] == "Invalid symbol."


def test_a_symbol_in_lower_case_names_the_same_market(api):
    response = api.alice.post("order", **limit_order(symbol="btckrw"))

    assert response.status_code == 200
    assert response.json()["symbol"] == "BTCKRW"


def test_a_symbol_of_another_offering_is_invalid_here(api):
    from sandbox.exchange.markets import list_default_markets
    from tests.factories import OfferingFactory

    other = OfferingFactory(slug="elsewhere")
    theirs = next(m for m in list_default_markets(offering_id=other.pk) if m.symbol == "BTCKRW")
    theirs.symbol = "BTCUSD"
    theirs.save(update_fields=["symbol"])

    response = api.alice.post("order", **limit_order(symbol="BTCUSD"))

    assert response.json()["code"] == -1121


def test_malformed_number_is_illegal_characters(api):
    response = api.alice.post("order", **limit_order(quantity="1e-2"))

    assert response.json()["code"] == -1100
    assert response.json()["msg"].startswith("Illegal characters found in parameter 'quantity'")


def test_filter_failure_says_which_filter_and_what_is_allowed(api):
    response = api.alice.post("order", **limit_order(price="100000500"))

    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["msg"]) == (-1013, "Filter failure: PRICE_FILTER")
    assert "steps of 1000" in body["detail"]
    assert not Order.objects.exists()


def test_insufficient_balance_is_refused_and_moves_nothing(api, exchange):
    postings = Posting.objects.count()

    response = api.alice.post("order", **limit_order(quantity="1"))

    assert response.status_code == 400
    assert response.json()["code"] == -2010
    assert response.json()["msg"] == "Account has insufficient balance for requested action."
    assert not Order.objects.exists()
    assert Posting.objects.count() == postings
    assert krw(exchange.alice, exchange.offering) == (D("10000000"), 0)


def test_retry_with_the_same_client_order_id_never_places_or_holds_twice(api, exchange):
    order = limit_order(newClientOrderId="retry-me")
    first = api.alice.post("order", **order)

    retry = api.alice.post("order", **order)

    assert first.status_code == 200
    assert retry.status_code == 400
    assert retry.json()["code"] == -2010
    assert retry.json()["msg"] == "Duplicate order sent."
    assert Order.objects.count() == 1
    assert krw(exchange.alice, exchange.offering) == (D("9000000"), D("1000000"))


def test_test_order_validates_without_placing(api):
    ok = api.alice.post("order/test", **limit_order())
    refused = api.alice.post("order/test", **limit_order(price="100000500"))

    assert (ok.status_code, ok.json()) == (200, {})
    assert refused.json()["msg"] == "Filter failure: PRICE_FILTER"
    assert not Order.objects.exists()


def test_query_order_by_client_order_id(api):
    api.alice.post("order", **limit_order(newClientOrderId="mine"))

    response = api.alice.get("order", symbol="BTCKRW", origClientOrderId="mine")

    body = response.json()
    assert body["clientOrderId"] == "mine"
    assert body["status"] == "NEW"
    assert body["isWorking"] is True
    assert body["time"] <= body["updateTime"]


def test_query_of_someone_elses_order_does_not_exist(api):
    placed = api.alice.post("order", **limit_order()).json()

    response = api.bob.get("order", symbol="BTCKRW", orderId=placed["orderId"])

    assert response.json() == {"code": -2013, "msg": "Order does not exist."}


def test_query_without_any_order_reference_names_both_parameters(api):
    response = api.alice.get("order", symbol="BTCKRW")

    assert response.json()["msg"] == (
        "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
    )


def test_cancel_releases_the_hold_and_answers_with_the_cancelled_order(api, exchange):
    placed = api.alice.post("order", **limit_order(newClientOrderId="to-cancel")).json()

    response = api.alice.delete("order", symbol="BTCKRW", orderId=placed["orderId"])

    body = response.json()
    assert body["status"] == "CANCELED"
    assert body["origClientOrderId"] == "to-cancel"
    assert body["orderId"] == placed["orderId"]
    assert krw(exchange.alice, exchange.offering) == (D("10000000"), 0)


def test_cancel_of_an_unknown_order_is_refused(api):
    response = api.alice.delete("order", symbol="BTCKRW", orderId=999999)

    assert response.json()["code"] == -2011
    assert response.json()["msg"] == "Unknown order sent."


def test_cancel_with_mismatched_references_cancels_nothing(api):
    placed = api.alice.post("order", **limit_order(newClientOrderId="kept")).json()

    response = api.alice.delete(
        "order", symbol="BTCKRW", orderId=placed["orderId"], origClientOrderId="other"
    )

    assert response.json()["code"] == -2011
    assert Order.objects.get().status == "NEW"


def test_open_orders_lists_only_the_callers_open_orders(api):
    mine = api.alice.post("order", **limit_order(price="90000000")).json()
    cancelled = api.alice.post("order", **limit_order(price="91000000")).json()
    api.alice.delete("order", symbol="BTCKRW", orderId=cancelled["orderId"])
    api.bob.post("order", **limit_order(price="92000000"))

    response = api.alice.get("openOrders", symbol="BTCKRW")

    assert [o["orderId"] for o in response.json()] == [mine["orderId"]]


def test_open_orders_without_a_symbol_lists_every_market(api):
    api.alice.post("order", **limit_order())
    api.alice.post("order", **limit_order(symbol="ETHKRW", quantity="0.1", price="3000000"))

    response = api.alice.get("openOrders")

    assert sorted(o["symbol"] for o in response.json()) == ["BTCKRW", "ETHKRW"]
    assert response["X-MBX-USED-WEIGHT-1M"] == str(1 + 1 + 80)


def test_cancel_all_open_orders_in_a_symbol(api, exchange):
    for price in ("90000000", "91000000"):
        api.alice.post("order", **limit_order(price=price))

    response = api.alice.delete("openOrders", symbol="BTCKRW")

    assert [o["status"] for o in response.json()] == ["CANCELED", "CANCELED"]
    assert krw(exchange.alice, exchange.offering) == (D("10000000"), 0)


def test_all_orders_lists_every_state_oldest_first(api):
    ids = [
        api.alice.post("order", **limit_order(price=p)).json()["orderId"]
        for p in ("90000000", "91000000", "92000000")
    ]
    api.alice.delete("order", symbol="BTCKRW", orderId=ids[0])

    everything = api.alice.get("allOrders", symbol="BTCKRW").json()
    from_second = api.alice.get("allOrders", symbol="BTCKRW", orderId=ids[1]).json()
    latest = api.alice.get("allOrders", symbol="BTCKRW", limit=1).json()

    assert [(o["orderId"], o["status"]) for o in everything] == [
        (ids[0], "CANCELED"),
        (ids[1], "NEW"),
        (ids[2], "NEW"),
    ]
    assert [o["orderId"] for o in from_second] == ids[1:]
    assert [o["orderId"] for o in latest] == ids[2:]


def test_iceberg_orders_are_refused_as_not_supported(api):
    response = api.alice.post("order", **limit_order(icebergQty="0.001"))

    assert response.json()["msg"] == "Iceberg orders are not supported for this symbol."
    assert not Order.objects.exists()


def test_order_id_beyond_a_64_bit_integer_is_illegal(api):
    response = api.alice.get("order", symbol="BTCKRW", orderId="99999999999999999999")

    assert response.status_code == 400
    assert response.json()["code"] == -1100


def test_an_unexpected_error_still_answers_in_binances_shape(api, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("sandbox.exchange.services.place_order", broken)
    monkeypatch.setattr(
        "sandbox.exchange.api.views.trading.services.place_order", broken, raising=False
    )

    response = api.alice.post("order", **limit_order())

    assert response.status_code == 500
    assert response.json() == {
        "code": -1000,
        "msg": "An unknown error occurred while processing the request.",
    }
    assert not Order.objects.exists()
