"""The portal's order form, and how the exchange's refusals of it are explained to a student.

The form only parses: the exchange's own rules (filters, order shapes, balances) are checked by
`services.place_order`, so the page and the API refuse the same orders with the same words. A field
the chosen order type does not use is ignored rather than sent (a web form always posts every
field), and its help text says so.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sandbox.exchange.errors import ExchangeError
from sandbox.exchange.filters import PRICED_TYPES, STOP_TYPES, OrderRequest
from sandbox.exchange.models import Market, Order
from sandbox.exchange.units import plain_amount
from sandbox.wallet.models import MONEY_DIGITS, MONEY_PLACES

SIDE_LABELS = {Order.Side.BUY: gettext_lazy("Buy"), Order.Side.SELL: gettext_lazy("Sell")}
TYPE_LABELS = {
    Order.Type.LIMIT: gettext_lazy("Limit"),
    Order.Type.MARKET: gettext_lazy("Market"),
    Order.Type.LIMIT_MAKER: gettext_lazy("Limit maker (post only)"),
    Order.Type.STOP_LOSS_LIMIT: gettext_lazy("Stop-loss limit"),
    Order.Type.TAKE_PROFIT_LIMIT: gettext_lazy("Take-profit limit"),
}
TIME_IN_FORCE_LABELS = {
    "GTC": gettext_lazy("GTC: good till cancelled"),
    "IOC": gettext_lazy("IOC: immediate or cancel"),
    "FOK": gettext_lazy("FOK: fill or kill"),
}
# Which order types use each optional field (the page's script hides the others).
FIELD_TYPES = {
    "price": PRICED_TYPES,
    "stop_price": STOP_TYPES,
    "time_in_force": (Order.Type.LIMIT, *STOP_TYPES),
    "quote_order_qty": (Order.Type.MARKET,),
}
# Binance's parameter names, as the exchange's messages use them, to our fields.
PARAMETER_FIELDS = {
    "price": "price",
    "quantity": "quantity",
    "quoteOrderQty": "quote_order_qty",
    "stopPrice": "stop_price",
    "timeInForce": "time_in_force",
}


def plain(amount: Decimal) -> str:
    """1,000 or 0.00001: grouped thousands, no trailing zeros, never exponent notation."""
    return plain_amount(amount, grouped=True)


def percent(rate: Decimal) -> str:
    return plain(rate * 100) + "%"


class AmountField(forms.DecimalField):
    """A decimal that may be typed with the thousands separators the page shows."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("max_digits", MONEY_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_PLACES)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace(",", "").replace(" ", "").replace("_", "")
        return super().to_python(value)


class OrderForm(forms.Form):
    side = forms.ChoiceField(
        label=gettext_lazy("Side"), choices=list(SIDE_LABELS.items()), widget=forms.RadioSelect
    )
    type = forms.ChoiceField(
        label=gettext_lazy("Order type"), choices=list(TYPE_LABELS.items()), initial="LIMIT"
    )
    time_in_force = forms.ChoiceField(
        label=gettext_lazy("Time in force"),
        choices=list(TIME_IN_FORCE_LABELS.items()),
        required=False,
        initial="GTC",
        help_text=gettext_lazy(
            "How long a limit order may wait on the book: until cancelled (GTC), or only what "
            "trades at once (IOC), or all at once or nothing (FOK). Limit-maker and market orders "
            "ignore it."
        ),
    )
    price = AmountField(required=False)
    quantity = AmountField(required=False)
    quote_order_qty = AmountField(required=False)
    stop_price = AmountField(required=False)
    client_order_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=36)

    def __init__(self, *args, market: Market, **kwargs) -> None:
        kwargs.setdefault("initial", {}).setdefault("client_order_id", new_client_order_id())
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.market = market
        base, quote = market.base_id, market.quote_id
        fields = self.fields
        fields["price"].label = _("Price (%(quote)s per %(base)s)") % {"quote": quote, "base": base}
        fields["price"].help_text = _(
            "A multiple of %(tick)s %(quote)s (the tick size), from %(min)s to %(max)s. Market "
            "orders ignore it: they take the best prices on the book."
        ) % {
            "tick": plain(market.tick_size),
            "quote": quote,
            "min": plain(market.min_price),
            "max": plain(market.max_price),
        }
        fields["quantity"].label = _("Quantity (%(base)s)") % {"base": base}
        fields["quantity"].help_text = _(
            "A multiple of %(lot)s %(base)s (the lot size), at least %(min)s %(base)s."
        ) % {"lot": plain(market.lot_size), "base": base, "min": plain(market.min_qty)}
        fields["quote_order_qty"].label = _("Or an amount of %(quote)s") % {"quote": quote}
        fields["quote_order_qty"].help_text = _(
            "Market orders only, instead of a quantity: how much %(quote)s to spend (buy) or to "
            "receive (sell)."
        ) % {"quote": quote}
        fields["stop_price"].label = _("Stop price (%(quote)s)") % {"quote": quote}
        fields["stop_price"].help_text = _(
            "Stop-loss and take-profit orders only: the order waits off the book until a trade "
            "reaches this price, then enters as a limit order at your price."
        )

    def order_request(self) -> OrderRequest:
        """The request for the exchange, without the fields this order type does not use."""
        data = self.cleaned_data
        kind = data["type"]

        def used(name: str):
            return data.get(name) if kind in FIELD_TYPES[name] else None

        return OrderRequest(
            side=data["side"],
            type=kind,
            quantity=data.get("quantity"),
            quote_order_qty=used("quote_order_qty"),
            price=used("price"),
            stop_price=used("stop_price"),
            time_in_force=used("time_in_force") or None,
            client_order_id=data.get("client_order_id") or None,
        )


def new_client_order_id() -> str:
    """Sent with the form, so submitting it twice places one order (the second is a duplicate)."""
    return "web-" + secrets.token_urlsafe(16)[:22]


@dataclass(frozen=True)
class Refusal:
    """What the page says about a refused order: the exchange's own words, then ours."""

    msg: str
    binance_code: int
    detail: str
    explanation: str
    field: str | None


def explain_refusal(form: OrderForm, error: ExchangeError) -> Refusal:
    """Explain `error` in plain words with the market's allowed values, and mark the field at
    fault on `form` (already validated) so the student sees where to look."""
    market = form.market
    request = form.order_request()
    explanation, field = _explanation(error, market, request)
    if field is not None and field in form.fields:
        form.add_error(field, _("Refused: %(reason)s. See above.") % {"reason": error.msg})
    return Refusal(
        msg=error.msg,
        binance_code=error.binance_code,
        detail=error.detail,
        explanation=explanation,
        field=field,
    )


def _explanation(
    error: ExchangeError, market: Market, request: OrderRequest
) -> tuple[str, str | None]:
    values = {
        "base": market.base_id,
        "quote": market.quote_id,
        "tick": plain(market.tick_size),
        "min_price": plain(market.min_price),
        "max_price": plain(market.max_price),
        "lot": plain(market.lot_size),
        "min_qty": plain(market.min_qty),
        "max_qty": plain(market.max_qty),
        "min_notional": plain(market.min_notional),
    }
    code = error.code
    if code == "filter_price_filter":
        field = "price" if _off_tick(market, request.price) else "stop_price"
        return _(
            "The price filter: every price must be a whole number of ticks of %(tick)s "
            "%(quote)s, between %(min_price)s and %(max_price)s %(quote)s. Round your price to a "
            "multiple of %(tick)s."
        ) % values, field
    if code == "filter_lot_size":
        return _(
            "The lot size filter: a quantity must be a multiple of %(lot)s %(base)s, between "
            "%(min_qty)s and %(max_qty)s %(base)s."
        ) % values, "quantity"
    if code == "filter_notional":
        return _(
            "The minimum notional filter: an order must be worth at least %(min_notional)s "
            "%(quote)s (price × quantity). Raise the quantity."
        ) % values, "quantity"
    if code in ("missing_parameter", "unexpected_parameter"):
        field = PARAMETER_FIELDS.get(getattr(error, "parameter", ""))
        if code == "missing_parameter":
            return _("This order type needs this field filled in."), field
        return _("This order type does not use this field: leave it empty."), field
    return str(_EXPLANATIONS.get(code, _DEFAULT_EXPLANATION)) % values, None


def _off_tick(market: Market, price: Decimal | None) -> bool:
    if price is None:
        return False
    on_step = (price - market.min_price) % market.tick_size == 0
    return not (market.min_price <= price <= market.max_price and on_step)


_DEFAULT_EXPLANATION = gettext_lazy("The exchange refused the order; nothing was placed.")
_EXPLANATIONS = {
    "insufficient_balance": gettext_lazy(
        "You do not have enough available funds. A buy locks price × quantity of %(quote)s; a "
        "sell locks the quantity of %(base)s. Funds locked by your open orders are not "
        "available: cancel one to free them."
    ),
    "market_closed": gettext_lazy(
        "Your instructor has halted this market: you can cancel orders but not place new ones."
    ),
    "duplicate_order": gettext_lazy(
        "This form was already sent and its order placed; nothing new was placed. Reload the "
        "page to place another order."
    ),
    "would_take": gettext_lazy(
        "A limit-maker order must rest on the book, but at this price it would trade at once. "
        "Buy below the best ask or sell above the best bid, or use a limit order."
    ),
    "would_trigger": gettext_lazy(
        "The last price has already reached this stop price, so the order would trigger at "
        "once. Choose a stop price the market has not reached yet, or use a limit order."
    ),
}


class ApiKeyForm(forms.Form):
    """A new API key: only its label, so the student can tell their keys apart."""

    label = forms.CharField(
        label=gettext_lazy("Label"),
        max_length=80,
        required=False,
        help_text=gettext_lazy(
            "Optional: what the key is for, e.g. “grid bot” or “notebook”. Only you see it."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
