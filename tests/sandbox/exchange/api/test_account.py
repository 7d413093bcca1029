"""GET /api/v3/account and GET /api/v3/myTrades."""

import pytest

from tests.factories import UserFactory
from tests.sandbox.exchange.api.conftest import api_client, limit_order

pytestmark = pytest.mark.django_db


def balances(response):
    return {b["asset"]: (b["free"], b["locked"]) for b in response.json()["balances"]}


def test_account_shows_free_and_locked_balances_of_the_keys_offering(api):
    api.alice.post("order", **limit_order())

    response = api.alice.get("account")

    body = response.json()
    assert balances(response)["KRW"] == ("9000000.00000000", "1000000.00000000")
    assert balances(response)["BTC"] == ("0.05000000", "0.00000000")
    assert (body["makerCommission"], body["takerCommission"]) == (5, 10)
    assert body["commissionRates"]["taker"] == "0.00100000"
    assert body["accountType"] == "SPOT" and body["canTrade"] is True


def test_account_can_omit_zero_balances(api):
    api.alice.post("order", **limit_order("SELL", quantity="0.05"))

    response = api.alice.get("account", omitZeroBalances="true")

    assert "BTC" in balances(response)
    assert all(
        free != "0.00000000" or locked != "0.00000000"
        for free, locked in balances(response).values()
    )


def test_my_trades_show_each_side_with_its_commission(api):
    sell = api.alice.post("order", **limit_order("SELL")).json()
    buy = api.bob.post("order", **limit_order("BUY")).json()

    seller_view = api.alice.get("myTrades", symbol="BTCKRW").json()
    buyer_view = api.bob.get("myTrades", symbol="BTCKRW").json()

    [sold] = seller_view
    [bought] = buyer_view
    assert sold["id"] == bought["id"]
    assert (sold["orderId"], sold["isBuyer"], sold["isMaker"]) == (sell["orderId"], False, True)
    assert (sold["commission"], sold["commissionAsset"]) == ("500.00000000", "KRW")
    assert (bought["orderId"], bought["isBuyer"], bought["isMaker"]) == (
        buy["orderId"],
        True,
        False,
    )
    assert (bought["commission"], bought["commissionAsset"]) == ("0.00001000", "BTC")
    assert (sold["price"], sold["qty"], sold["quoteQty"]) == (
        "100000000.00000000",
        "0.01000000",
        "1000000.00000000",
    )


def test_my_trades_filter_by_order_and_from_id(api):
    api.alice.post("order", **limit_order("SELL", quantity="0.02"))
    first = api.bob.post("order", **limit_order("BUY")).json()
    second = api.bob.post("order", **limit_order("BUY")).json()
    trade_ids = [t["id"] for t in api.alice.get("myTrades", symbol="BTCKRW").json()]

    by_order = api.bob.get("myTrades", symbol="BTCKRW", orderId=second["orderId"]).json()
    from_id = api.alice.get("myTrades", symbol="BTCKRW", fromId=trade_ids[1]).json()

    assert len(trade_ids) == 2
    assert [t["orderId"] for t in by_order] == [second["orderId"]]
    assert first["orderId"] != second["orderId"]
    assert [t["id"] for t in from_id] == trade_ids[1:]


def test_my_trades_leave_out_other_students_trades(api, exchange):
    carol = api_client(UserFactory(username="carol"), exchange.offering)
    api.alice.post("order", **limit_order("SELL"))
    api.bob.post("order", **limit_order("BUY"))

    response = carol.get("myTrades", symbol="BTCKRW")

    assert response.status_code == 200
    assert response.json() == []


def test_account_is_answered_in_three_queries(api, django_assert_num_queries):
    with django_assert_num_queries(3):  # the key, the offering's markets, the balances
        response = api.alice.get("account")

    assert response.status_code == 200
