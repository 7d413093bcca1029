"""GET /api/v3/account and GET /api/v3/myTrades: the caller's wallet in the key's offering."""

from __future__ import annotations

from decimal import Decimal

from sandbox.exchange import selectors
from sandbox.exchange.api import render
from sandbox.exchange.api.endpoint import Call, Security, endpoint
from sandbox.exchange.api.params import Params

BASIS_POINTS = Decimal(10000)


@endpoint(security=Security.SIGNED, weight=20)
def account(call: Call) -> dict:
    maker, taker = _commission_rates(call.offering.pk)
    balances = selectors.balances(owner_id=call.owner_id, offering_id=call.offering.pk)
    if call.params.boolean("omitZeroBalances"):
        balances = [b for b in balances if b.available or b.locked]
    return {
        "makerCommission": int(maker * BASIS_POINTS),
        "takerCommission": int(taker * BASIS_POINTS),
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": render.amount(maker),
            "taker": render.amount(taker),
            "buyer": render.amount(None),
            "seller": render.amount(None),
        },
        "canTrade": True,
        "canWithdraw": False,
        "canDeposit": False,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": call.now_ms,
        "accountType": "SPOT",
        "balances": [
            {
                "asset": b.asset_id,
                "free": render.amount(b.available),
                "locked": render.amount(b.locked),
            }
            for b in balances
        ],
        "permissions": ["SPOT"],
        "uid": call.owner_id,
    }


def _commission_rates(offering_id: int) -> tuple[Decimal, Decimal]:
    """The offering's highest rates: fees are set per market, Binance reports one per account."""
    markets = list(selectors.markets(offering_id=offering_id))
    return (
        max((m.maker_fee for m in markets), default=Decimal(0)),
        max((m.taker_fee for m in markets), default=Decimal(0)),
    )


def _my_trades_weight(params: Params) -> int:
    return 5 if "orderId" in params else 20


@endpoint(security=Security.SIGNED, weight=_my_trades_weight)
def my_trades(call: Call) -> list:
    market = call.market()
    trades = selectors.account_trades(
        owner_id=call.owner_id,
        market=market,
        order_id=call.params.long("orderId"),
        from_id=call.params.long("fromId"),
        start=call.params.moment("startTime"),
        end=call.params.moment("endTime"),
        limit=call.params.limit(default=500, maximum=1000),
    )
    return [entry for t in trades for entry in render.account_trades(t, call.owner_id, market)]
