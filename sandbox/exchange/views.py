"""The student's trading page: one market of an offering's sandbox exchange.

Server-rendered and usable without JavaScript. Posts go to the exchange's services and come back
as a redirect with a message (success) or as the page again with the refusal explained and what
the student typed kept (HTTP 400). Only people actively enrolled in the offering get here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from campus.api import User
from courses.api import Offering, OfferingLink
from sandbox.exchange import selectors
from sandbox.exchange.access import member_offering_or_404
from sandbox.exchange.errors import ExchangeError, InvalidSymbol
from sandbox.exchange.forms import (
    FIELD_TYPES,
    SIDE_LABELS,
    TYPE_LABELS,
    OrderForm,
    Refusal,
    explain_refusal,
    percent,
    plain,
)
from sandbox.exchange.models import Market, Order, Trade
from sandbox.exchange.services import cancel_open_orders, cancel_order, place_order
from sandbox.exchange.views_book import order_book
from sandbox.exchange.views_live import HISTORY_ROWS, RECENT_TRADES, live_settings, status_label
from sandbox.wallet import selectors as wallet_selectors

STATUS_MEANINGS = {
    "NEW": gettext_lazy(
        "It rests on the order book until it trades or you cancel it; its funds stay locked "
        "meanwhile."
    ),
    "PARTIALLY_FILLED": gettext_lazy("Part of it traded; the rest waits on the order book."),
    "FILLED": gettext_lazy("It traded in full."),
    "CANCELED": gettext_lazy("It was cancelled and its locked funds released."),
    "EXPIRED": gettext_lazy(
        "What could not trade at once expired: its time in force, or a market order running "
        "out of offers, let nothing rest on the book."
    ),
    "EXPIRED_IN_MATCH": gettext_lazy(
        "It expired because it would have traded with one of your own orders (self-trade "
        "prevention)."
    ),
    "REJECTED": gettext_lazy("The exchange rejected it."),
}
WAITING_FOR_STOP = gettext_lazy(
    "It waits off the book until a trade reaches its stop price; its funds stay locked meanwhile."
)


# -- pages -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def trade(request: HttpRequest, slug: str, symbol: str) -> HttpResponse:
    offering, market, markets = _offering_and_markets(request, slug, symbol)
    if request.method == "GET":
        return _render(request, offering, market, markets, OrderForm(market=market))
    form = OrderForm(request.POST, market=market)
    if not form.is_valid():
        return _render(request, offering, market, markets, form, status=400)
    try:
        order = place_order(owner_id=request.user.pk, market=market, request=form.order_request())
    except ExchangeError as error:
        refusal = explain_refusal(form, error)
        return _render(request, offering, market, markets, form, refusal=refusal, status=400)
    messages.success(request, placed_message(order, market))
    return redirect(trade_url(offering, market))


@login_required
@require_POST
def cancel(request: HttpRequest, slug: str, symbol: str, order_id: int) -> HttpResponse:
    offering, market = _offering_and_market(request, slug, symbol)
    try:
        order = cancel_order(owner_id=request.user.pk, market=market, order_id=order_id)
    except ExchangeError:
        messages.error(
            request,
            _(
                "Order #%(id)s is not open any more (it traded, expired or was cancelled "
                "already), so nothing was cancelled."
            )
            % {"id": order_id},
        )
    else:
        messages.success(
            request,
            _("Order #%(id)s cancelled: its locked funds are available again.") % {"id": order.pk},
        )
    return redirect(trade_url(offering, market))


@login_required
@require_POST
def cancel_all(request: HttpRequest, slug: str, symbol: str) -> HttpResponse:
    offering, market = _offering_and_market(request, slug, symbol)
    try:
        orders = cancel_open_orders(owner_id=request.user.pk, market=market)
    except ExchangeError:
        messages.error(
            request, _("You have no open orders in this market, so nothing was cancelled.")
        )
    else:
        count = len(orders)
        messages.success(
            request,
            ngettext(
                "%(count)s order cancelled: its locked funds are available again.",
                "%(count)s orders cancelled: their locked funds are available again.",
                count,
            )
            % {"count": count},
        )
    return redirect(trade_url(offering, market))


def trade_url(offering: Offering, market: Market) -> str:
    return reverse("sandbox-trade", args=[offering.slug, market.symbol])


def sandbox_offering_links(user: User, offering: Offering) -> list[OfferingLink]:
    """The offering page's "Sandbox" section, for the people who may use the sandbox."""
    if not wallet_selectors.is_member(user, offering):
        return []
    section = _("Sandbox")
    links = [
        OfferingLink(
            section,
            _("My wallet"),
            reverse("sandbox-wallet", args=[offering.slug]),
            _("Balances, locked funds and every posting behind them."),
        )
    ]
    for market in selectors.markets(offering_id=offering.pk):
        links.append(
            OfferingLink(
                section,
                _("Trade %(market)s") % {"market": market.display_name},
                trade_url(offering, market),
                _("Order book, your orders and trades on %(symbol)s.") % {"symbol": market.symbol},
            )
        )
    return links


# -- helpers -----------------------------------------------------------------------------------


def _offering_and_market(request: HttpRequest, slug: str, symbol: str) -> tuple[Offering, Market]:
    offering = member_offering_or_404(request, slug)
    try:
        market = selectors.market_by_symbol(offering_id=offering.pk, symbol=symbol)
    except InvalidSymbol:
        raise Http404("No such market.") from None
    return offering, market


def placed_message(order: Order, market: Market) -> str:
    meaning = STATUS_MEANINGS.get(order.status, "")
    if order.status == Order.Status.NEW and order.stop_price is not None:
        meaning = WAITING_FOR_STOP
    text = _("%(side)s %(type)s order #%(id)s placed: %(status)s. %(meaning)s") % {
        "side": SIDE_LABELS[order.side],
        "type": TYPE_LABELS[order.type],
        "id": order.pk,
        "status": status_label(order.status),
        "meaning": meaning,
    }
    if order.executed_qty:
        text += " " + _("Traded %(qty)s %(base)s for %(total)s %(quote)s.") % {
            "qty": plain(order.executed_qty),
            "base": market.base_id,
            "total": plain(order.cummulative_quote_qty),
            "quote": market.quote_id,
        }
    return text


def _offering_and_markets(
    request: HttpRequest, slug: str, symbol: str
) -> tuple[Offering, Market, list[Market]]:
    """As _offering_and_market, with the offering's markets (the page's tabs) from the same query."""
    offering = member_offering_or_404(request, slug)
    markets = list(selectors.markets(offering_id=offering.pk))
    market = next((m for m in markets if m.symbol == symbol.upper()), None)
    if market is None:
        raise Http404("No such market.")
    return offering, market, markets


def _render(
    request: HttpRequest,
    offering: Offering,
    market: Market,
    markets: list[Market],
    form: OrderForm,
    *,
    refusal: Refusal | None = None,
    status: int = 200,
) -> HttpResponse:
    owner_id = request.user.pk
    open_orders = list(selectors.open_orders(owner_id=owner_id, market=market))
    context = {
        "offering": offering,
        "market": market,
        "markets": markets,
        "last_price": plain(market.last_price) if market.last_price is not None else None,
        "rules": market_rules(market),
        "form": form,
        "field_types": {name: " ".join(types) for name, types in FIELD_TYPES.items()},
        "refusal": refusal,
        "book": order_book(market),
        "recent_trades": [
            trade_row(t, market, owner_id=None)
            for t in selectors.recent_trades(market, limit=RECENT_TRADES)
        ],
        "balances": market_balances(owner_id, market),
        "open_orders": [order_row(o, market) for o in open_orders],
        "history": finished_orders(owner_id, market, open_count=len(open_orders)),
        "my_trades": [
            trade_row(t, market, owner_id=owner_id)
            for t in reversed(
                selectors.account_trades(owner_id=owner_id, market=market, limit=HISTORY_ROWS)
            )
        ],
        "history_rows": HISTORY_ROWS,
        "live": live_settings(offering, market),
    }
    return render(request, "sandbox/exchange/trade.html", context, status=status)


# -- what the page shows -----------------------------------------------------------------------


def market_rules(market: Market) -> dict[str, str]:
    return {
        "tick": plain(market.tick_size),
        "lot": plain(market.lot_size),
        "min_qty": plain(market.min_qty),
        "min_notional": plain(market.min_notional),
        "maker_fee": percent(market.maker_fee),
        "taker_fee": percent(market.taker_fee),
    }


def finished_orders(owner_id: int, market: Market, *, open_count: int) -> list[OrderRow]:
    """The owner's latest HISTORY_ROWS orders that ended (filled, cancelled, expired, rejected),
    newest first: open ones are in their own table, and leave it for this one when they end. The
    window reads `open_count` more, so open orders among the latest never crowd finished ones out."""
    window = selectors.order_window(
        owner_id=owner_id, market=market, limit=HISTORY_ROWS + open_count
    )
    finished = [o for o in reversed(window) if not o.is_open][:HISTORY_ROWS]
    return [order_row(o, market) for o in finished]


@dataclass(frozen=True)
class BalanceRow:
    asset: str
    available: str
    locked: str


def market_balances(owner_id: int, market: Market) -> list[BalanceRow]:
    accounts = {
        a.asset_id: a for a in selectors.balances(owner_id=owner_id, offering_id=market.offering_id)
    }
    rows = []
    for code in (market.base_id, market.quote_id):
        account = accounts.get(code)
        available = account.available if account else Decimal(0)
        locked = account.locked if account else Decimal(0)
        rows.append(BalanceRow(code, plain(available), plain(locked)))
    return rows


@dataclass(frozen=True)
class OrderRow:
    id: int
    created_at: object
    side: str
    side_label: str
    type_label: str
    price: str
    stop_price: str
    quantity: str
    filled: str
    average_price: str
    locked: str
    status: str
    status_label: str
    status_note: str
    is_open: bool


def order_row(order: Order, market: Market) -> OrderRow:
    waiting = order.stop_price is not None and not order.stop_triggered and order.is_open
    quantity = order.orig_qty
    if quantity is None:  # a market order sized by quote amount
        quantity_text = f"{plain(order.orig_quote_order_qty)} {market.quote_id}"
    else:
        quantity_text = plain(quantity)
    average = (
        plain((order.cummulative_quote_qty / order.executed_qty).quantize(market.quote.quantum))
        if order.executed_qty
        else ""
    )
    held_asset = market.quote_id if order.side == Order.Side.BUY else market.base_id
    return OrderRow(
        id=order.pk,
        created_at=order.created_at,
        side=order.side,
        side_label=str(SIDE_LABELS[order.side]),
        type_label=str(TYPE_LABELS[order.type]),
        price=plain(order.price) if order.price is not None else _("market"),
        stop_price=plain(order.stop_price) if order.stop_price is not None else "",
        quantity=quantity_text,
        filled=plain(order.executed_qty),
        average_price=average,
        locked=f"{plain(order.held)} {held_asset}" if order.held else "",
        status=order.status,
        status_label=status_label(order.status),
        status_note=str(_("waiting for the stop price")) if waiting else "",
        is_open=order.is_open,
    )


@dataclass(frozen=True)
class TradeRow:
    id: int
    created_at: object
    side: str
    side_label: str
    price: str
    quantity: str
    total: str
    fee: str
    role: str


def trade_row(trade: Trade, market: Market, *, owner_id: int | None) -> TradeRow:
    """A trade as its taker made it (`owner_id` None: the public tape), or as `owner_id` did."""
    if owner_id is None:
        side = Order.Side.SELL if trade.is_buyer_maker else Order.Side.BUY
        fee, role = "", ""
    else:
        side = Order.Side.BUY if trade.buyer_id == owner_id else Order.Side.SELL
        bought = side == Order.Side.BUY
        fee = (
            f"{plain(trade.buyer_fee)} {market.base_id}"
            if bought
            else f"{plain(trade.seller_fee)} {market.quote_id}"
        )
        maker = trade.is_buyer_maker == bought
        role = str(_("maker")) if maker else str(_("taker"))
    return TradeRow(
        id=trade.pk,
        created_at=trade.created_at,
        side=side,
        side_label=str(SIDE_LABELS[side]),
        price=plain(trade.price),
        quantity=plain(trade.qty),
        total=plain(trade.quote_qty),
        fee=fee,
        role=role,
    )
