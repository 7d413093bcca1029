"""The student's wallet page: every balance of an offering's sandbox, what is locked and by which
open order, and the postings behind each balance, most recent first.

A portal page composes what it shows: it reads the exchange's orders to explain holds (the ledger
knows only "order:12"), while the wallet's models, ledger and services stay unaware of the exchange.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from courses.api import Offering
from sandbox.exchange import selectors as exchange_selectors
from sandbox.exchange.access import member_offering_or_404
from sandbox.exchange.forms import SIDE_LABELS, TYPE_LABELS, plain
from sandbox.exchange.models import Order
from sandbox.wallet import selectors
from sandbox.wallet.models import Account, Journal

RECENT_MOVEMENTS = 10
MOVEMENTS_PER_PAGE = 25
ORDER_REFERENCE = re.compile(r"^order:(\d+)$")
TRANSFER_REFERENCE = re.compile(r"^(deposit|withdrawal):(\d+)$")
TRADE_REFERENCE = re.compile(r"^trade:(\d+)/(\d+)$")


@login_required
@require_GET
def wallet(request: HttpRequest, slug: str) -> HttpResponse:
    offering = member_offering_or_404(request, slug)
    owner_id = request.user.pk
    accounts = selectors.wallet_accounts(offering_id=offering.pk, owner_id=owner_id)
    focus = request.GET.get("asset")
    if focus is not None:
        accounts = [a for a in accounts if a.asset_id == focus]
        if not accounts:
            raise Http404("No such asset in this wallet.")
    histories = [
        _history(request, offering, account, paginate=focus is not None) for account in accounts
    ]
    context = {
        "offering": offering,
        "focus": focus,
        "balances": [balance_row(a) for a in accounts],
        "holds": [
            hold_row(offering, order)
            for order in exchange_selectors.holding_orders(
                owner_id=owner_id, offering_id=offering.pk
            )
        ],
        "histories": histories,
        "markets": exchange_selectors.markets(offering_id=offering.pk),
    }
    return render(request, "sandbox/wallet/wallet.html", context)


@dataclass(frozen=True)
class BalanceRow:
    asset: str
    name: str
    available: str
    locked: str
    total: str


def balance_row(account: Account) -> BalanceRow:
    return BalanceRow(
        asset=account.asset_id,
        name=account.asset.name,
        available=plain(account.available),
        locked=plain(account.locked),
        total=plain(account.total),
    )


@dataclass(frozen=True)
class HoldRow:
    order_id: int
    market: str
    url: str
    description: str
    locked: str


def hold_row(offering: Offering, order: Order) -> HoldRow:
    market = order.market
    asset = market.quote_id if order.side == Order.Side.BUY else market.base_id
    remaining = order.orig_qty - order.executed_qty
    return HoldRow(
        order_id=order.pk,
        market=market.display_name,
        url=reverse("sandbox-trade", args=[offering.slug, market.symbol]),
        description=_("%(side)s %(type)s: %(qty)s %(base)s left at %(price)s %(quote)s")
        % {
            "side": SIDE_LABELS[order.side],
            "type": TYPE_LABELS[order.type],
            "qty": plain(remaining),
            "base": market.base_id,
            "price": plain(order.price),
            "quote": market.quote_id,
        },
        locked=f"{plain(order.held)} {asset}",
    )


@dataclass(frozen=True)
class MovementRow:
    created_at: object
    kind: str
    detail: str
    url: str
    available: str
    locked: str


@dataclass
class History:
    account: Account
    rows: list[MovementRow]
    page: object  # a Paginator page when paginated
    total: int


def _history(request: HttpRequest, offering: Offering, account: Account, *, paginate: bool):
    journal_ids = selectors.movement_journal_ids(account)
    if paginate:
        page = Paginator(journal_ids, MOVEMENTS_PER_PAGE).get_page(request.GET.get("page"))
        ids, total = list(page.object_list), page.paginator.count
    else:
        page, ids = None, list(journal_ids[:RECENT_MOVEMENTS])
        total = journal_ids.count() if len(ids) == RECENT_MOVEMENTS else len(ids)
    movements = selectors.movements(account, ids)
    orders = exchange_selectors.orders_by_id(
        owner_id=request.user.pk, ids=list(_referenced_order_ids(m.journal for m in movements))
    )
    rows = [movement_row(offering, m, orders) for m in movements]
    return History(account=account, rows=rows, page=page, total=total)


def _referenced_order_ids(journals) -> set[int]:
    ids: set[int] = set()
    for journal in journals:
        if match := ORDER_REFERENCE.match(journal.reference):
            ids.add(int(match[1]))
        elif match := TRADE_REFERENCE.match(journal.reference):
            ids.update((int(match[1]), int(match[2])))
    return ids


def movement_row(
    offering: Offering, movement: selectors.Movement, orders: dict[int, Order]
) -> MovementRow:
    journal = movement.journal
    detail, url = _journal_detail(offering, journal, orders)
    return MovementRow(
        created_at=journal.created_at,
        kind=journal.get_kind_display(),
        detail=detail,
        url=url,
        available=_signed(movement.available),
        locked=_signed(movement.locked),
    )


def _journal_detail(
    offering: Offering, journal: Journal, orders: dict[int, Order]
) -> tuple[str, str]:
    """What the journal was about, in words, and where to see more."""
    order = _own_order(journal.reference, orders)
    if order is not None:
        words = {
            Journal.Kind.HOLD: _("locked for order #%(id)s: %(side)s %(type)s on %(market)s"),
            Journal.Kind.RELEASE: _(
                "released from order #%(id)s (%(side)s on %(market)s): traded, cancelled or expired"
            ),
            Journal.Kind.TRADE: _("your order #%(id)s (%(side)s on %(market)s) traded"),
        }.get(journal.kind, _("order #%(id)s on %(market)s"))
        detail = words % {
            "id": order.pk,
            "side": SIDE_LABELS[order.side],
            "type": TYPE_LABELS[order.type],
            "market": order.market.display_name,
        }
        return detail, reverse("sandbox-trade", args=[offering.slug, order.market.symbol])
    if match := TRANSFER_REFERENCE.match(journal.reference):
        return _transfer_detail(offering, journal, match[1], int(match[2]))
    if journal.kind == Journal.Kind.GRANT:
        return _("the course's starting funds, when your wallet was opened"), ""
    return journal.memo, ""


def _transfer_detail(offering: Offering, journal: Journal, kind: str, pk: int) -> tuple[str, str]:
    """A deposit from the student's chain or a withdrawal to it, linked to its history row."""
    if kind == "deposit":
        words = _("deposit #%(id)s from your chain")
    else:
        words = {
            Journal.Kind.HOLD: _("locked for withdrawal #%(id)s to your chain"),
            Journal.Kind.RELEASE: _("released: withdrawal #%(id)s did not go through"),
        }.get(journal.kind, _("withdrawal #%(id)s to your chain"))
    link = reverse("wallet-transfers", args=[offering.slug]) + f"#{kind}-{pk}"
    return words % {"id": pk}, link


def _own_order(reference: str, orders: dict[int, Order]) -> Order | None:
    if match := ORDER_REFERENCE.match(reference):
        return orders.get(int(match[1]))
    if match := TRADE_REFERENCE.match(reference):
        return orders.get(int(match[1])) or orders.get(int(match[2]))
    return None


def _signed(amount: Decimal) -> str:
    if not amount:
        return ""
    return ("+" if amount > 0 else "−") + plain(abs(amount))
