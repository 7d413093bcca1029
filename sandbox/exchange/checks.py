"""The exchange's part of `ledger_check`: what each user account has locked is exactly what
their open orders and their withdrawals in flight hold, each open order holds what it needs, no
closed order still holds anything, and every trade has its ledger journal."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sandbox.exchange.models import OPEN_STATUSES, Order, Trade
from sandbox.exchange.settlement import required_hold
from sandbox.exchange.units import MarketUnits
from sandbox.wallet.api import Account, Journal, withdrawal_holds


def holds_match_locked_balances() -> list[str]:
    # a withdrawal the chain side has not yet settled or failed holds funds too (issue 7)
    held: dict[tuple[int, int, str], Decimal] = defaultdict(Decimal, withdrawal_holds())
    breaks = []
    rows = Order.objects.filter(held__gt=0).values_list(
        "pk",
        "status",
        "side",
        "held",
        "owner_id",
        "market__offering_id",
        "market__base_id",
        "market__quote_id",
    )
    for pk, status, side, amount, owner, offering, base, quote in rows.iterator():
        if status not in OPEN_STATUSES:
            breaks.append(f"order {pk} is {status} but still holds {amount}")
            continue
        held[(offering, owner, quote if side == "BUY" else base)] += amount
    accounts = Account.objects.filter(kind=Account.Kind.USER).values_list(
        "pk", "offering_id", "owner_id", "asset_id", "locked"
    )
    for pk, offering, owner, asset, locked in accounts.iterator():
        if locked != held.get((offering, owner, asset), Decimal(0)):
            breaks.append(
                f"account {pk} ({asset}) has {locked} locked but its open orders and "
                f"withdrawals hold "
                f"{held.get((offering, owner, asset), Decimal(0))}"
            )
    return breaks


def open_orders_hold_what_they_need() -> list[str]:
    """Each open order holds exactly its limit price times what is left (a buy) or what is left
    (a sell): no more, which would strand funds, and no less, which would let it overdraw."""
    breaks = []
    for order in Order.objects.filter(status__in=OPEN_STATUSES).select_related("market").iterator():
        units = MarketUnits(order.market.tick_size, order.market.lot_size)
        needed = required_hold(order, units)
        if order.held != needed:
            breaks.append(f"open order {order.pk} holds {order.held} but needs {needed}")
    return breaks


def every_trade_has_its_journal() -> list[str]:
    trades = Trade.objects.count()
    journals = Journal.objects.filter(kind=Journal.Kind.TRADE).count()
    if trades == journals:
        return []
    return [f"{trades} trades but {journals} trade journals"]
