"""The trading grader: checks read what the student did on the offering's exchange between the
time the exercise opened for the offering and the time they submitted (courses/catalog/README.md,
"kind: trading"). The student submits nothing but the button; every check explains what it found.

What each check means, precisely:
- `placed_order`: an order of the student's on one of the offering's markets, placed in the
  window, of the given symbol, side and type; `rested` as `activity.rested` defines it (its
  fills as the maker, its status, whether a stop ever left the waiting room); `filled`: it had
  at least one fill by the submission. An order the exchange rejected leaves no record.
- `trades`: trades printed in the window in which one of the student's orders was the maker or
  the taker (a self-trade counts once).
- `max_position`: the student's holdings (available + locked) of the asset, rebuilt journal by
  journal from their balance at the window's start, never above `max`; what they held when it
  opened counts too.
- `min_return_percent`: `activity.portfolio_return`: marked to the exchange's last prices at each
  end, measured from the last wallet reset (or opening) inside the window, with top-ups
  chain-linked out. A negative minimum ("lose no more than 5 %") is allowed, down to -100.

A market or asset the spec names that the offering lacks makes the attempt errored (a
`GradingError`, for the instructor to fix and grade again), not failed.

The checks and their words are in `grading_checks.py`, the spec's shape in `grading_spec.py`,
the reads in `activity.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campus.api import User
from courses.api import (
    BaseGrader,
    CheckResult,
    Exercise,
    GradingContext,
    GradingError,
    Offering,
    Outcome,
    SpecProblem,
    localize,
    window_start,
)
from sandbox.exchange.api import Market
from sandbox.markets import activity
from sandbox.markets.activity import Window
from sandbox.markets.grading_checks import CHECKS, summary
from sandbox.markets.grading_spec import CHECK_KINDS, spec_problems
from sandbox.wallet.api import Asset


class TradingGrader(BaseGrader):
    def __init__(self) -> None:
        super().__init__(
            kind="trading",
            label=gettext_lazy("Trading on the sandbox exchange"),
            form_template="sandbox/markets/exercises/trading_form.html",
            time_limit_seconds=30,
        )

    def validate_spec(
        self, spec: Mapping[str, Any], *, languages: Sequence[str], files: Mapping[str, str]
    ) -> list[SpecProblem]:
        return spec_problems(spec, languages)

    def clean_submission(self, *, exercise: Exercise, data: Mapping[str, list[str]]) -> dict:
        """Nothing to submit: the checks read the exchange."""
        return {}

    def workspace(self, *, exercise: Exercise, offering: Offering, user: User) -> dict:
        """What the exercise page shows: when the window opened, what will be checked, and where
        to trade. Reads only."""
        checks = exercise.spec.get("checks") or []
        language = translation.get_language()
        default = (exercise.course.languages or ["en"])[0]
        return {
            "window_start": window_start(offering, exercise, user),
            "checks": [
                {"name": localize(check.get("name"), language, default), "summary": summary(check)}
                for check in checks
            ],
            "trading_url": _trading_url(offering, checks),
            "api_keys_url": reverse("sandbox-api-keys", args=[offering.slug]),
            "wallet_url": reverse("sandbox-wallet", args=[offering.slug]),
        }

    def grade(self, ctx: GradingContext) -> Outcome:
        checks = ctx.exercise.spec["checks"]
        window = Window(ctx.offering.pk, ctx.user.pk, ctx.window_start, ctx.submitted_at)
        with translation.override(ctx.language):
            _require_listed(ctx.offering, checks)
            return Outcome(checks=[_grade_check(check, window) for check in checks])


def _grade_check(check: Mapping[str, Any], window: Window) -> CheckResult:
    kind = next(kind for kind in CHECK_KINDS if kind in check)
    passed, detail = CHECKS[kind](check[kind], window)
    return CheckResult(
        name=check["name"], passed=passed, detail=detail, hint=None if passed else check.get("hint")
    )


def _require_listed(offering: Offering, checks: list[Mapping[str, Any]]) -> None:
    symbols = activity.market_symbols(offering.pk)
    for number, check in enumerate(checks, start=1):
        body = check.get("placed_order") or check.get("trades") or {}
        symbol = body.get("symbol") if isinstance(body, Mapping) else None
        if symbol and symbol not in symbols:
            raise GradingError(
                _(
                    "Check %(n)d names the market %(symbol)s, which this offering's exchange "
                    "does not list: list it or change the exercise, then grade again."
                )
                % {"n": number, "symbol": symbol}
            )
        asset = (check.get("max_position") or {}).get("asset")
        if asset and not Asset.objects.filter(code=asset).exists():
            raise GradingError(
                _("Check %(n)d names the asset %(asset)s, which does not exist.")
                % {"n": number, "asset": asset}
            )


def _trading_url(offering: Offering, checks: list[Mapping[str, Any]]) -> str | None:
    """The trading page of the first market a check names, else of the offering's first."""
    named = [
        body.get("symbol")
        for check in checks
        for body in (check.get("placed_order"), check.get("trades"))
        if isinstance(body, Mapping) and body.get("symbol")
    ]
    symbols = sorted(
        Market.objects.filter(offering_id=offering.pk).values_list("symbol", flat=True)
    )
    symbol = next((s for s in named if s in symbols), symbols[0] if symbols else None)
    return reverse("sandbox-trade", args=[offering.slug, symbol]) if symbol else None


trading_grader = TradingGrader()
