"""What other apps may use of the exchange (OEP-49 style boundary), and, in this package's
modules, the exchange's HTTP API in the shape of Binance Spot v3 (`urls.py`)."""

from sandbox.exchange.apikeys import create_api_key, revoke_api_key
from sandbox.exchange.errors import ExchangeError
from sandbox.exchange.filters import OrderRequest
from sandbox.exchange.models import OPEN_STATUSES, Market, Order, Trade
from sandbox.exchange.selectors import market_by_symbol
from sandbox.exchange.services import cancel_open_orders, cancel_order, place_order, place_orders
from sandbox.exchange.status import set_market_status

__all__ = [
    "OPEN_STATUSES",
    "ExchangeError",
    "Market",
    "Order",
    "OrderRequest",
    "Trade",
    "cancel_open_orders",
    "cancel_order",
    "create_api_key",
    "market_by_symbol",
    "place_order",
    "place_orders",
    "revoke_api_key",
    "set_market_status",
]
