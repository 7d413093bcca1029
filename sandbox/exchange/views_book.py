"""The trading page's order book as the server first renders it: the two sides' tables and the
depth chart's text alternative. static/js/trading-book.js and trading-depth.js keep both current
from the depth stream, with the same words (views_live's DEPTH_* strings)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from sandbox.exchange import selectors
from sandbox.exchange.forms import plain
from sandbox.exchange.models import Market
from sandbox.exchange.views_live import BOOK_LEVELS, DEPTH_BEST, DEPTH_LEVELS, DEPTH_WITHIN

Levels = list[tuple[Decimal, Decimal]]  # (price, quantity), best first
NEAR = Decimal("0.01")  # the depth summary counts what rests within 1% of the middle price


@dataclass(frozen=True)
class BookLevel:
    price: str
    quantity: str
    total: str
    depth: int  # this level's share of the deepest level shown, in percent


def order_book(market: Market) -> dict:
    """The book's top BOOK_LEVELS a side for its tables, the spread, and the depth summary (which
    reads deeper than the tables show, as the chart does: one query either way)."""
    depth = selectors.depth(market, limit=DEPTH_LEVELS)
    bids, asks = depth["bids"], depth["asks"]
    shown = bids[:BOOK_LEVELS] + asks[:BOOK_LEVELS]
    deepest = max((qty for _p, qty in shown), default=Decimal(0))
    spread = asks[0][0] - bids[0][0] if bids and asks else None
    return {
        "bids": _levels(bids[:BOOK_LEVELS], deepest),
        "asks": _levels(asks[:BOOK_LEVELS], deepest),
        "spread": plain(spread) if spread is not None else None,
        "summary": depth_summary(market, bids, asks),
    }


def _levels(side: Levels, deepest: Decimal) -> list[BookLevel]:
    return [
        BookLevel(
            price=plain(price),
            quantity=plain(qty),
            total=plain(price * qty),
            depth=int(qty * 100 / deepest) if deepest else 0,
        )
        for price, qty in side
    ]


def depth_summary(market: Market, bids: Levels, asks: Levels) -> str:
    """The depth chart in words: the best prices, and how much rests within 1% of the middle
    price (of the one side's best price, when the other side is empty)."""
    if not bids and not asks:
        return _("Nobody is buying or selling yet.")
    quote = market.quote_id
    best = DEPTH_BEST % {
        "bid": f"{plain(bids[0][0])} {quote}" if bids else _("none"),
        "ask": f"{plain(asks[0][0])} {quote}" if asks else _("none"),
    }
    middle = (bids[0][0] + asks[0][0]) / 2 if bids and asks else (bids or asks)[0][0]
    near_bids = sum((q for p, q in bids if p >= middle * (1 - NEAR)), Decimal(0))
    near_asks = sum((q for p, q in asks if p <= middle * (1 + NEAR)), Decimal(0))
    within = DEPTH_WITHIN % {
        "bids": plain(near_bids),
        "asks": plain(near_asks),
        "base": market.base_id,
    }
    return f"{best} {within}"
