"""The trading grader's four checks, each reading the student's activity in the window and
saying in words what it found (what they mean precisely: `sandbox/markets/grading.py`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sandbox.markets import activity
from sandbox.markets.activity import Fills, Window
from sandbox.markets.grading_spec import ORDER_STOPS

Verdict = tuple[bool, str]


# --- placed_order ---------------------------------------------------------------------------


def check_placed_order(criteria: Mapping[str, Any] | None, window: Window) -> Verdict:
    criteria = criteria or {}
    orders = activity.window_orders(
        window,
        symbol=criteria.get("symbol"),
        side=criteria.get("side"),
        order_type=criteria.get("type"),
    )
    fills = activity.fills_of(orders, until=window.end)
    found = [o for o in orders if _fits(o, fills.get(o.pk, Fills()), criteria)]
    if found:
        return True, _found_order(found[0], criteria, window)
    words = {"orders": orders_phrase(len(orders), criteria), "since": _since(window)}
    if orders:
        placed = _("You placed %(orders)s %(since)s, but none of them %(wanted)s.") % {
            **words,
            "wanted": _requirement(criteria),
        }
        placed += " " + _why_none_fit(orders, fills, criteria)
    else:
        placed = _("You placed %(orders)s %(since)s.") % words
    if criteria.get("type") in (None, "LIMIT_MAKER", *ORDER_STOPS) and (
        not orders or criteria.get("rested")
    ):
        placed += " " + _(
            "An order the exchange rejected (a LIMIT_MAKER that would have taken liquidity, a "
            "stop that would have triggered at once) is not kept, so it cannot count."
        )
    return False, placed


def _fits(order, fills: Fills, criteria: Mapping[str, Any]) -> bool:
    if "rested" in criteria and activity.rested(order, fills) != criteria["rested"]:
        return False
    return "filled" not in criteria or (fills.count > 0) == criteria["filled"]


def _found_order(order, criteria: Mapping[str, Any], window: Window) -> str:
    return _(
        "Order #%(id)s, a %(type)s %(side)s order on %(symbol)s placed at %(when)s, %(how)s."
    ) % {
        "id": order.pk,
        "type": order.type,
        "side": SIDE_WORDS[order.side](),
        "symbol": order.market.symbol,
        "when": _at(order.created_at, window),
        "how": _requirement(criteria) if _flags(criteria) else _("was accepted"),
    }


def _flags(criteria: Mapping[str, Any]) -> bool:
    return "rested" in criteria or "filled" in criteria


def _requirement(criteria: Mapping[str, Any]) -> str:
    parts = []
    if "rested" in criteria:
        parts.append(_("rested on the book") if criteria["rested"] else _("did not rest"))
    if "filled" in criteria:
        parts.append(_("was filled") if criteria["filled"] else _("stayed unfilled"))
    if len(parts) == 2:
        return _("%(first)s and %(second)s") % {"first": parts[0], "second": parts[1]}
    return "".join(parts)


def _why_none_fit(orders: list, fills: dict[int, Fills], criteria: Mapping[str, Any]) -> str:
    if criteria.get("rested") is True:
        missed = [o for o in orders if not activity.rested(o, fills.get(o.pk, Fills()))]
        if missed:
            reasons = Counter(activity.why_not_rested(o) for o in missed)
            return _("Of those, %(reasons)s.") % {
                "reasons": "; ".join(REASONS[reason](n) for reason, n in sorted(reasons.items()))
            }
    if criteria.get("rested") is False:
        return _("Every one of them rested on the book.")
    if criteria.get("filled") is True:
        return _("None had traded by the time you submitted: open, cancelled or expired unfilled.")
    return _("Every one of them had traded by the time you submitted.")


REASONS: dict[str, Callable[[int], str]] = {
    "taken": lambda n: (
        ngettext(
            "%(n)d traded in full as soon as it arrived",
            "%(n)d traded in full as soon as they arrived",
            n,
        )
        % {"n": n}
    ),
    "expired": lambda n: (
        ngettext(
            "%(n)d expired without resting (IOC, FOK or a market order)",
            "%(n)d expired without resting (IOC, FOK or market orders)",
            n,
        )
        % {"n": n}
    ),
    "stop": lambda n: (
        ngettext(
            "%(n)d is a stop order that never left the wait for its stop price",
            "%(n)d are stop orders that never left the wait for their stop price",
            n,
        )
        % {"n": n}
    ),
    "self_trade": lambda n: (
        ngettext(
            "%(n)d met one of your own orders and was expired by self-trade prevention",
            "%(n)d met your own orders and were expired by self-trade prevention",
            n,
        )
        % {"n": n}
    ),
}
SIDE_WORDS: dict[str, Callable[[], str]] = {"BUY": lambda: _("buy"), "SELL": lambda: _("sell")}


def orders_phrase(count: int, criteria: Mapping[str, Any]) -> str:
    """Say how many orders of a kind: "2 LIMIT_MAKER buy orders on BTCKRW", "1 order"."""
    kind = _kind_words(criteria)
    if kind:
        text = ngettext("%(count)d %(kind)s order", "%(count)d %(kind)s orders", count)
    else:
        text = ngettext("%(count)d order", "%(count)d orders", count)
    return _on_market(text % {"count": count, "kind": kind}, criteria)


def _kind_words(criteria: Mapping[str, Any]) -> str:
    side = criteria.get("side")
    return " ".join(word for word in (criteria.get("type"), side and SIDE_WORDS[side]()) if word)


def _on_market(text: str, criteria: Mapping[str, Any]) -> str:
    if not criteria.get("symbol"):
        return text
    return _("%(orders)s on %(symbol)s") % {"orders": text, "symbol": criteria["symbol"]}


# --- trades ---------------------------------------------------------------------------------


def check_trades(spec: Mapping[str, Any], window: Window) -> Verdict:
    symbol, needed = spec.get("symbol"), int(spec["min"])
    count = activity.window_fill_count(window, symbol=symbol)
    fills = ngettext("You had %(count)d fill", "You had %(count)d fills", count) % {"count": count}
    where = _("%(fills)s on %(symbol)s") % {"fills": fills, "symbol": symbol} if symbol else fills
    detail = _("%(fills)s %(since)s; at least %(min)d needed.") % {
        "fills": where,
        "since": _since(window),
        "min": needed,
    }
    return count >= needed, detail


# --- max_position ---------------------------------------------------------------------------


def check_max_position(spec: Mapping[str, Any], window: Window) -> Verdict:
    asset, limit = spec["asset"], Decimal(str(spec["max"]))
    peak = activity.peak_holding(window, asset)
    passed = peak.amount <= limit
    words = {
        "asset": asset,
        "amount": amount_text(peak.amount),
        "max": amount_text(limit),
        "when": _at(peak.at, window),
    }
    if peak.at_start and passed:
        return True, _(
            "You held at most %(amount)s %(asset)s, what you had when the exercise opened "
            "(%(when)s): within the limit %(max)s."
        ) % words
    if peak.at_start:
        return False, _(
            "You already held %(amount)s %(asset)s when the exercise opened (%(when)s), above "
            "the limit %(max)s."
        ) % words
    if passed:
        return True, _(
            "Your %(asset)s peaked at %(amount)s at %(when)s, within the limit %(max)s."
        ) % words
    return False, _(
        "Your %(asset)s peaked at %(amount)s at %(when)s, above the limit %(max)s."
    ) % words


# --- min_return_percent ---------------------------------------------------------------------


def check_min_return(minimum: Any, window: Window) -> Verdict:
    needed = Decimal(str(minimum))
    result = activity.portfolio_return(window)
    if result.percent is None:
        return False, _(
            "Your wallet held nothing of value %(since)s, so there is no return to measure."
        ) % {"since": _since(window)}
    passed = result.percent >= needed
    start = (
        _("after your wallet was reset or opened at %(when)s")
        if result.restarted
        else _("when the exercise opened (%(when)s)")
    ) % {"when": _at(result.since, window)}
    detail = _(
        "Your portfolio was worth %(end)s KRW when you submitted, against %(start)s KRW "
        "%(from)s: a return of %(return)s %%, %(verdict)s."
    ) % {
        "end": amount_text(result.end_value, places=2),
        "start": amount_text(result.start_value, places=2),
        "from": start,
        "return": amount_text(result.percent, places=2),
        "verdict": (
            _("at least the %(min)s %% needed") if passed else _("below the %(min)s %% needed")
        )
        % {"min": number_text(needed)},
    }
    return passed, detail + _return_notes(result)


def _return_notes(result: activity.PortfolioReturn) -> str:
    notes = ""
    if result.deposits:
        notes += " " + ngettext(
            "A top-up in between counts as a deposit, not a gain.",
            "%(count)d top-ups in between count as deposits, not gains.",
            result.deposits,
        ) % {"count": result.deposits}
    if result.unpriced:
        notes += " " + ngettext(
            "%(assets)s had no trades on the exchange, so it counts as worth 0.",
            "%(assets)s had no trades on the exchange, so they count as worth 0.",
            len(result.unpriced),
        ) % {"assets": ", ".join(sorted(result.unpriced))}
    return notes


CHECKS: dict[str, Callable[[Any, Window], Verdict]] = {
    "placed_order": check_placed_order,
    "trades": check_trades,
    "max_position": check_max_position,
    "min_return_percent": check_min_return,
}


# --- words ----------------------------------------------------------------------------------


def summary(check: Mapping[str, Any]) -> str:
    """One line saying what a check looks at, for the exercise page."""
    if "placed_order" in check:
        criteria = check["placed_order"] or {}
        kind = _kind_words(criteria)
        order = _("%(kind)s order") % {"kind": kind} if kind else _("order")
        return _("At least one %(order)s that %(wanted)s") % {
            "order": _on_market(order, criteria),
            "wanted": _requirement(criteria) if _flags(criteria) else _("was accepted"),
        }
    if "trades" in check:
        spec, needed = check["trades"], int(check["trades"]["min"])
        text = ngettext("At least %(min)d fill", "At least %(min)d fills", needed) % {"min": needed}
        return (
            _("%(fills)s on %(symbol)s") % {"fills": text, "symbol": spec["symbol"]}
            if spec.get("symbol")
            else text
        )
    if "max_position" in check:
        spec = check["max_position"]
        return _("Never more than %(max)s %(asset)s held") % {
            "max": number_text(Decimal(str(spec["max"]))),
            "asset": spec["asset"],
        }
    return _("A portfolio return of at least %(min)s %%") % {
        "min": number_text(Decimal(str(check["min_return_percent"])))
    }


def amount_text(value: Decimal, *, places: int | None = None) -> str:
    """12,500.00 or 0.05999: grouped, with `places` decimals, or (None) at least two and as
    many more as the amount has."""
    if places is None:
        places = max(2, -value.normalize().as_tuple().exponent)
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    return formats.number_format(rounded, places, use_l10n=True, force_grouping=True)


def number_text(value: Decimal) -> str:
    """A number as a spec gives it: 2, 2.5 or 1,500 (grouped, no trailing zeros)."""
    places = max(0, -value.normalize().as_tuple().exponent)
    return formats.number_format(value, places, use_l10n=True, force_grouping=True)


def _since(window: Window) -> str:
    return _("since %(when)s") % {"when": _local(window.start, "j M H:i")}


def _at(moment: datetime, window: Window) -> str:
    """14:02 on the day of the submission, 3 Nov 14:02 on another."""
    same_day = timezone.localtime(moment).date() == timezone.localtime(window.end).date()
    return _local(moment, "H:i" if same_day else "j M H:i")


def _local(moment: datetime, pattern: str) -> str:
    return formats.date_format(timezone.localtime(moment), pattern)
