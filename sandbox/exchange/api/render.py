"""Orders, trades, candles and symbols as Binance's JSON: its field names, amounts as decimal
strings with eight places ("0.01000000"), times as Unix milliseconds."""

from __future__ import annotations

from sandbox.exchange.filters import STOP_TYPES, STP_MODES
from sandbox.exchange.formats import amount, percent  # noqa: F401 - re-exported for the views
from sandbox.exchange.models import Market, Order, Trade
from sandbox.exchange.selectors import Kline, epoch_ms

ORDER_TYPES = ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"]


def order_ack(order: Order, symbol: str) -> dict:
    return {
        "symbol": symbol,
        "orderId": order.pk,
        "orderListId": -1,
        "clientOrderId": order.client_order_id,
        "transactTime": epoch_ms(order.updated_at),
    }


def order_result(order: Order, symbol: str) -> dict:
    body = order_ack(order, symbol) | _progress(order)
    body["workingTime"] = _working_time(order)
    body["selfTradePreventionMode"] = order.self_trade_prevention_mode
    return body


def order_full(order: Order, symbol: str, fills: list[Trade], market: Market) -> dict:
    return order_result(order, symbol) | {"fills": [_fill(order, t, market) for t in fills]}


def order_status(order: Order, symbol: str) -> dict:
    """GET order, openOrders, allOrders."""
    body = {
        "symbol": symbol,
        "orderId": order.pk,
        "orderListId": -1,
        "clientOrderId": order.client_order_id,
    } | _progress(order)
    body |= {
        "icebergQty": "0.00000000",
        "time": epoch_ms(order.created_at),
        "updateTime": epoch_ms(order.updated_at),
        "isWorking": _is_working(order),
        "workingTime": _working_time(order),
        "selfTradePreventionMode": order.self_trade_prevention_mode,
    }
    return body


def order_cancelled(order: Order, symbol: str, cancel_client_id: str) -> dict:
    body = {
        "symbol": symbol,
        "origClientOrderId": order.client_order_id,
        "orderId": order.pk,
        "orderListId": -1,
        "clientOrderId": cancel_client_id,
        "transactTime": epoch_ms(order.updated_at),
    } | _progress(order)
    body["selfTradePreventionMode"] = order.self_trade_prevention_mode
    return body


def _progress(order: Order) -> dict:
    body = {
        "price": amount(order.price),
        "origQty": amount(order.orig_qty),
        "executedQty": amount(order.executed_qty),
        "origQuoteOrderQty": amount(order.orig_quote_order_qty),
        "cummulativeQuoteQty": amount(order.cummulative_quote_qty),
        "status": order.status,
        "timeInForce": order.time_in_force or "GTC",
        "type": order.type,
        "side": order.side,
    }
    if order.type in STOP_TYPES:
        body["stopPrice"] = amount(order.stop_price)
    return body


def _is_working(order: Order) -> bool:
    return order.type not in STOP_TYPES or order.stop_triggered


def _working_time(order: Order) -> int:
    return epoch_ms(order.created_at) if _is_working(order) else -1


def _fill(order: Order, trade: Trade, market: Market) -> dict:
    bought = trade.buyer_order_id == order.pk
    return {
        "price": amount(trade.price),
        "qty": amount(trade.qty),
        "commission": amount(trade.buyer_fee if bought else trade.seller_fee),
        "commissionAsset": market.base_id if bought else market.quote_id,
        "tradeId": trade.pk,
    }


def public_trade(trade: Trade) -> dict:
    return {
        "id": trade.pk,
        "price": amount(trade.price),
        "qty": amount(trade.qty),
        "quoteQty": amount(trade.quote_qty),
        "time": epoch_ms(trade.created_at),
        "isBuyerMaker": trade.is_buyer_maker,
        "isBestMatch": True,
    }


def account_trades(trade: Trade, owner_id: int, market: Market) -> list[dict]:
    """One entry per side the owner was on (two for a self-trade, as Binance lists it)."""
    entries = []
    for is_buyer, side_owner in ((True, trade.buyer_id), (False, trade.seller_id)):
        if side_owner != owner_id:
            continue
        entries.append(
            {
                "symbol": market.symbol,
                "id": trade.pk,
                "orderId": trade.buyer_order_id if is_buyer else trade.seller_order_id,
                "orderListId": -1,
                "price": amount(trade.price),
                "qty": amount(trade.qty),
                "quoteQty": amount(trade.quote_qty),
                "commission": amount(trade.buyer_fee if is_buyer else trade.seller_fee),
                "commissionAsset": market.base_id if is_buyer else market.quote_id,
                "time": epoch_ms(trade.created_at),
                "isBuyer": is_buyer,
                "isMaker": trade.is_buyer_maker == is_buyer,
                "isBestMatch": True,
            }
        )
    return entries


def kline(candle: Kline) -> list:
    return [
        candle.open_time,
        amount(candle.open),
        amount(candle.high),
        amount(candle.low),
        amount(candle.close),
        amount(candle.volume),
        candle.close_time,
        amount(candle.quote_volume),
        candle.count,
        amount(candle.taker_buy_volume),
        amount(candle.taker_buy_quote_volume),
        "0",
    ]


def symbol_info(market: Market) -> dict:
    base, quote = market.base, market.quote
    return {
        "symbol": market.symbol,
        "status": market.status,
        "baseAsset": base.code,
        "baseAssetPrecision": base.precision,
        "quoteAsset": quote.code,
        "quotePrecision": quote.precision,
        "quoteAssetPrecision": quote.precision,
        "baseCommissionPrecision": base.precision,
        "quoteCommissionPrecision": quote.precision,
        "orderTypes": ORDER_TYPES,
        "icebergAllowed": False,
        "ocoAllowed": False,
        "otoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": False,
        "cancelReplaceAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": symbol_filters(market),
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": list(STP_MODES),
    }


def symbol_filters(market: Market) -> list[dict]:
    """What `filters.check_filters` enforces. MIN_NOTIONAL repeats NOTIONAL's minimum for
    clients written before Binance renamed it."""
    return [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": amount(market.min_price),
            "maxPrice": amount(market.max_price),
            "tickSize": amount(market.tick_size),
        },
        {
            "filterType": "LOT_SIZE",
            "minQty": amount(market.min_qty),
            "maxQty": amount(market.max_qty),
            "stepSize": amount(market.lot_size),
        },
        {
            "filterType": "NOTIONAL",
            "minNotional": amount(market.min_notional),
            "applyMinToMarket": True,
            "maxNotional": amount(market.max_price * market.max_qty),
            "applyMaxToMarket": False,
            "avgPriceMins": 5,
        },
        {
            "filterType": "MIN_NOTIONAL",
            "minNotional": amount(market.min_notional),
            "applyToMarket": True,
            "avgPriceMins": 5,
        },
    ]
