"""Reads of the exchange that the API, the portal pages and the graders share.

Everything here reads the database, never a process's in-memory engine, so any web or worker
process answers the same. Sums are done in Python over exact Decimals (SQLite would sum floats).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from campus.sqlrows import Columns, attach, column, prepared, send, table
from sandbox.exchange.errors import InvalidSymbol
from sandbox.exchange.models import OPEN_STATUSES, Market, Order, Trade
from sandbox.wallet.api import Account, Asset


def market_by_symbol(*, offering_id: int, symbol: str) -> Market:
    """The offering's market with this symbol (any case), its base and quote assets attached.
    Every API order reads it, so it is written as SQL (campus/sqlrows.py)."""
    market = market_row("m.offering_id = %s AND m.symbol = %s", [offering_id, symbol.upper()])
    if market is None:
        raise InvalidSymbol(symbol)
    return market


_MARKET_COLUMNS = Columns(Market, "m").then(Asset, "b").then(Asset, "q")


def market_row(where: str, params: list) -> Market | None:
    """`Market.objects.select_related("base", "quote").filter(<where>).first()`, in SQL."""
    with prepared() as cursor:
        cursor.execute(_market_sql(where), params)
        row = cursor.fetchone()
    return None if row is None else market_of(row)


def send_market_rows(
    where: str, params: list, *, for_update: bool = False, skip_locked: bool = False
) -> Callable[[], list[Market]]:
    """`market_row` for every market that matches, in id order, sent: the function returned
    reads them (see `sqlrows.send`). With `for_update`, their rows (only them) locked in that
    order, as `select_for_update(of=("self",))` does, and with `skip_locked` too, those another
    transaction holds locked are left out (where the database can tell)."""
    sql = _market_sql(where) + " ORDER BY m.id"
    features = connection.features
    if for_update and features.has_select_for_update:
        sql += " FOR UPDATE OF m" if features.has_select_for_update_of else " FOR UPDATE"
        if skip_locked and features.has_select_for_update_skip_locked:
            sql += " SKIP LOCKED"
    rows = send(sql, params)
    return lambda: [market_of(row) for row in rows()]


_ORDER_COLUMNS = Columns(Order, "o")


def send_order_rows(where: str, params: list) -> Callable[[], list[Order]]:
    """`Order.objects.filter(<where>)`, the table as `o` (`where` may end with ORDER BY and
    LIMIT), in SQL, sent: the function returned reads them (`sqlrows.send`). For the order reads
    that placing makes: the resting orders a fill touches, the changes an engine catches up on."""
    rows = send(f"SELECT {_ORDER_COLUMNS.select} FROM {table(Order)} o WHERE {where}", params)  # noqa: S608 (names from _meta, values as parameters)
    return lambda: [_ORDER_COLUMNS.instances(row)[0] for row in rows()]


def _market_sql(where: str) -> str:
    return (
        f"SELECT {_MARKET_COLUMNS.select} FROM {table(Market)} m"  # noqa: S608 (names from _meta, values as parameters)
        f"{_asset_joins('JOIN')} WHERE {where}"
    )


def market_of(row) -> Market | None:
    """The market (its assets attached) in a row selected with `market_columns()`; None where
    an outer join found none."""
    if row[0] is None:
        return None
    market, base, quote = _MARKET_COLUMNS.instances(row)
    attach(market, "base", base)
    attach(market, "quote", quote)
    return market


def market_columns() -> str:
    """The select list `market_of` reads (aliases m, b, q)."""
    return _MARKET_COLUMNS.select


def market_by_symbol_join(offering: str) -> str:
    """LEFT JOINs that find, beside another table's row, the market of the offering `offering`
    (an SQL expression) with the symbol given as the first parameter, and its two assets."""
    return (
        f" LEFT JOIN {table(Market)} m ON m.{column(Market, 'offering')} = {offering}"
        f" AND m.{column(Market, 'symbol')} = %s{_asset_joins('LEFT JOIN')}"
    )


def _asset_joins(join: str) -> str:
    """The market m's base and quote assets, as b and q."""
    return (
        f" {join} {table(Asset)} b ON b.code = m.{column(Market, 'base')}"
        f" {join} {table(Asset)} q ON q.code = m.{column(Market, 'quote')}"
    )


def markets(*, offering_id: int) -> QuerySet[Market]:
    return Market.objects.filter(offering_id=offering_id).select_related("base", "quote")


def depth(market: Market, limit: int = 100) -> dict[str, list[tuple[Decimal, Decimal]]]:
    """Aggregated resting quantity per price, best first: {"bids": [...], "asks": [...]}."""
    levels: dict[str, dict[Decimal, Decimal]] = {
        "BUY": defaultdict(Decimal),
        "SELL": defaultdict(Decimal),
    }
    resting = (
        Order.objects.filter(market=market, status__in=OPEN_STATUSES)
        .exclude(
            type__in=[Order.Type.STOP_LOSS_LIMIT, Order.Type.TAKE_PROFIT_LIMIT],
            stop_triggered=False,
        )
        .values_list("side", "price", "orig_qty", "executed_qty")
    )
    for side, price, qty, executed in resting.iterator():
        levels[side][price] += qty - executed
    bids = sorted(levels["BUY"].items(), reverse=True)[:limit]
    asks = sorted(levels["SELL"].items())[:limit]
    return {"bids": bids, "asks": asks}


def recent_trades(market: Market, limit: int = 50) -> list[Trade]:
    return list(Trade.objects.filter(market=market).order_by("-id")[:limit])


def open_orders(
    *, owner_id: int, market: Market | None = None, offering_id: int | None = None
) -> QuerySet[Order]:
    orders = Order.objects.filter(owner_id=owner_id, status__in=OPEN_STATUSES).select_related(
        "market"
    )
    if market is not None:
        orders = orders.filter(market=market)
    if offering_id is not None:
        orders = orders.filter(market__offering_id=offering_id)
    return orders.order_by("id")


def balances(*, owner_id: int, offering_id: int) -> list[Account]:
    return list(
        Account.objects.filter(owner_id=owner_id, offering_id=offering_id)
        .select_related("asset")
        .order_by("asset_id")
    )


def orders_by_id(*, owner_id: int, ids: list[int]) -> dict[int, Order]:
    """The owner's orders among `ids` (others' are left out), with their markets."""
    orders = Order.objects.filter(owner_id=owner_id, pk__in=ids).select_related("market")
    return {order.pk: order for order in orders}


def holding_orders(*, owner_id: int, offering_id: int) -> QuerySet[Order]:
    """The owner's open orders that have funds locked, oldest first: what explains `locked`."""
    return open_orders(owner_id=owner_id, offering_id=offering_id).filter(held__gt=0)


# --- Market data and account history in the shape of Binance's API ----------------------------
# Times cross the API as Unix milliseconds; windows return rows oldest first, as Binance does.

# Binance's intervals but 1s. Minutes to days are fixed lengths from the Unix epoch; 1w opens on
# Mondays 00:00 UTC; 1M is the calendar month (UTC). 3d is aligned to the epoch in 3-day steps
# (1970-01-01, -04, ...), which is how we read Binance's grid but have not verified against it.
KLINE_INTERVALS = (
    "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M",
)  # fmt: skip
_DAY_MS = 86_400_000
_INTERVAL_MS = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": _DAY_MS,
    "3d": 3 * _DAY_MS,
    "1w": 7 * _DAY_MS,
}
_GRID_OFFSET_MS = {"1w": 4 * _DAY_MS}  # 1970-01-05, the first Monday
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_TRADE_ROW = ("pk", "price", "qty", "quote_qty", "is_buyer_maker", "created_at")


def epoch_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // _MS


def now_ms() -> int:
    return epoch_ms(timezone.now())


def from_epoch_ms(ms: int) -> datetime:
    return _EPOCH + ms * _MS


@dataclass(frozen=True)
class Kline:
    open_time: int
    close_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal = Decimal(0)
    quote_volume: Decimal = Decimal(0)
    count: int = 0
    taker_buy_volume: Decimal = Decimal(0)
    taker_buy_quote_volume: Decimal = Decimal(0)


def kline_open(interval: str, at_ms: int) -> int:
    """The open time of the `interval` candle that holds `at_ms`."""
    if interval == "1M":
        day = from_epoch_ms(at_ms)
        return epoch_ms(datetime(day.year, day.month, 1, tzinfo=UTC))
    length = _INTERVAL_MS[interval]
    return at_ms - (at_ms - _GRID_OFFSET_MS.get(interval, 0)) % length


def kline_shift(interval: str, open_ms: int, steps: int) -> int:
    """The open time `steps` candles after (before, if negative) the one opening at `open_ms`."""
    if interval != "1M":
        return open_ms + steps * _INTERVAL_MS[interval]
    opened = from_epoch_ms(open_ms)
    months = opened.year * 12 + opened.month - 1 + steps
    return epoch_ms(datetime(months // 12, months % 12 + 1, 1, tzinfo=UTC))


def kline_close(interval: str, open_ms: int) -> int:
    """The close time (last millisecond) of the candle opening at `open_ms`."""
    return kline_shift(interval, open_ms, 1) - 1


def klines(
    market: Market,
    *,
    interval: str,
    now_ms: int,
    start_ms: int | None = None,
    end_ms: int | None = None,
    limit: int = 500,
) -> list[Kline]:
    """Candles from the market's trades, as Binance serves them: open times on the interval's
    grid (UTC, see KLINE_INTERVALS), from the first trade on; an interval without trades
    repeats the previous close with zero volume. Without startTime the most recent `limit`
    candles are returned."""
    last_open = kline_open(interval, now_ms)
    if end_ms is not None:
        last_open = min(last_open, kline_open(interval, end_ms))
    if start_ms is not None:
        first_open = kline_open(interval, start_ms)
        if first_open < start_ms:
            first_open = kline_shift(interval, first_open, 1)
        last_open = min(last_open, kline_shift(interval, first_open, limit - 1))
    else:
        first_open = kline_shift(interval, last_open, 1 - limit)
    if last_open < first_open:
        return []
    in_range = Trade.objects.filter(
        market=market,
        created_at__gte=from_epoch_ms(first_open),
        created_at__lt=from_epoch_ms(kline_shift(interval, last_open, 1)),
    )
    buckets: dict[int, list[tuple]] = defaultdict(list)
    for row in in_range.order_by("pk").values_list(*_TRADE_ROW).iterator():
        buckets[kline_open(interval, epoch_ms(row[5]))].append(row)
    close = (
        Trade.objects.filter(market=market, created_at__lt=from_epoch_ms(first_open))
        .order_by("-created_at", "-pk")
        .values_list("price", flat=True)
        .first()
    )
    if close is None and not buckets:
        return []
    open_time = first_open if close is not None else min(buckets)
    candles = []
    while open_time <= last_open:
        candle = _candle(open_time, kline_close(interval, open_time), buckets.get(open_time), close)
        close = candle.close
        candles.append(candle)
        open_time = kline_shift(interval, open_time, 1)
    return candles


def _candle(open_time: int, close_time: int, rows: list[tuple] | None, close) -> Kline:
    if not rows:
        return Kline(open_time, close_time, close, close, close, close)
    prices = [row[1] for row in rows]
    taker_buys = [row for row in rows if not row[4]]
    return Kline(
        open_time,
        close_time,
        open=prices[0],
        high=max(prices),
        low=min(prices),
        close=prices[-1],
        volume=sum((row[2] for row in rows), Decimal(0)),
        quote_volume=sum((row[3] for row in rows), Decimal(0)),
        count=len(rows),
        taker_buy_volume=sum((row[2] for row in taker_buys), Decimal(0)),
        taker_buy_quote_volume=sum((row[3] for row in taker_buys), Decimal(0)),
    )


@dataclass(frozen=True)
class TradeWindow:
    """What traded in a window: the figures behind Binance's 24hr ticker."""

    open: Decimal | None
    high: Decimal | None
    low: Decimal | None
    last: Decimal | None
    last_qty: Decimal
    volume: Decimal
    quote_volume: Decimal
    first_id: int
    last_id: int
    count: int
    prev_close: Decimal | None


def trade_window(market: Market, *, since: datetime) -> TradeWindow:
    rows = list(
        Trade.objects.filter(market=market, created_at__gte=since)
        .order_by("pk")
        .values_list("pk", "price", "qty", "quote_qty")
    )
    prev_close = (
        Trade.objects.filter(market=market, created_at__lt=since)
        .order_by("-created_at", "-pk")
        .values_list("price", flat=True)
        .first()
    )
    if not rows:
        last = market.last_price
        return TradeWindow(
            last, last, last, last, Decimal(0), Decimal(0), Decimal(0), -1, -1, 0, prev_close
        )
    prices = [row[1] for row in rows]
    return TradeWindow(
        open=prices[0],
        high=max(prices),
        low=min(prices),
        last=prices[-1],
        last_qty=rows[-1][2],
        volume=sum((row[2] for row in rows), Decimal(0)),
        quote_volume=sum((row[3] for row in rows), Decimal(0)),
        first_id=rows[0][0],
        last_id=rows[-1][0],
        count=len(rows),
        prev_close=prev_close,
    )


def average_price(market: Market, *, since: datetime) -> tuple[Decimal | None, datetime | None]:
    """Volume-weighted price of the trades since `since` and the last one's time; with no trades
    there, the last price (None if the market never traded)."""
    rows = list(
        Trade.objects.filter(market=market, created_at__gte=since)
        .order_by("pk")
        .values_list("qty", "quote_qty", "created_at")
    )
    if not rows:
        return market.last_price, None
    volume = sum((row[0] for row in rows), Decimal(0))
    quote = sum((row[1] for row in rows), Decimal(0))
    return quote / volume, rows[-1][2]


def best_levels(market: Market) -> tuple[tuple | None, tuple | None]:
    """(price, quantity) of the best bid and the best ask, or None for an empty side."""
    book = depth(market, limit=1)
    return (book["bids"] or [None])[0], (book["asks"] or [None])[0]


def find_order(
    *, owner_id: int, market: Market, order_id: int | None, client_order_id: str | None
) -> Order | None:
    """The owner's order by id, or else by client order id; both given must name the same."""
    orders = Order.objects.filter(owner_id=owner_id, market=market)
    if order_id is not None:
        order = orders.filter(pk=order_id).first()
        if order and client_order_id is not None and order.client_order_id != client_order_id:
            return None
        return order
    return orders.filter(client_order_id=client_order_id).first()


def order_window(
    *,
    owner_id: int,
    market: Market,
    from_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 500,
) -> list[Order]:
    """Binance allOrders: from `from_id` up, or from `start` on, else the most recent."""
    orders = Order.objects.filter(owner_id=owner_id, market=market)
    return _window(orders, from_id=from_id, start=start, end=end, limit=limit)


def account_trades(
    *,
    owner_id: int,
    market: Market,
    order_id: int | None = None,
    from_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 500,
) -> list[Trade]:
    """Binance myTrades: the trades the owner was on either side of, oldest first."""
    trades = Trade.objects.filter(market=market).filter(
        Q(buyer_id=owner_id) | Q(seller_id=owner_id)
    )
    if order_id is not None:
        trades = trades.filter(Q(buyer_order_id=order_id) | Q(seller_order_id=order_id))
    return _window(trades, from_id=from_id, start=start, end=end, limit=limit)


def order_fills(order: Order) -> list[Trade]:
    return list(Trade.objects.filter(Q(buyer_order=order) | Q(seller_order=order)).order_by("pk"))


def _window(rows: QuerySet, *, from_id, start, end, limit: int) -> list:
    if start is not None:
        rows = rows.filter(created_at__gte=start)
    if end is not None:
        rows = rows.filter(created_at__lte=end)
    if from_id is not None:
        return list(rows.filter(pk__gte=from_id).order_by("pk")[:limit])
    if start is not None:
        return list(rows.order_by("pk")[:limit])
    return list(reversed(rows.order_by("-pk")[:limit]))
