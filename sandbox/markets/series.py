"""Instructors' price series: uploaded as CSV, validated line by line, replayed on a market.

A series is stored as rows (`PricePoint`), not copied into the runs that replay it: a run's state,
which every tick rewrites, holds only which series and a cursor (the point it reached), and a
tick reads the one point in force at its simulated second.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from campus.errors import ServiceError
from sandbox.markets.models import PricePoint, PriceSeries
from sandbox.markets.pricemodels import Replay
from sandbox.markets.replay import PriceSeriesError, parse_price_csv

MAX_UPLOAD_BYTES = 2 * 1024 * 1024


def upload_price_series(
    *, offering_id: int, name: str, csv_text: str, uploaded_by_id: int | None
) -> PriceSeries:
    """Store a series for the offering. A file with any problem is refused whole, its problems
    listed with their line numbers (the first ten)."""
    name = name.strip()
    if not name or len(name) > 80:
        raise ServiceError("bad_name", _("Give the series a name of at most 80 characters."))
    if len(csv_text.encode()) > MAX_UPLOAD_BYTES:
        raise ServiceError("too_large", _("The file is larger than 2 MB."))
    try:
        replay = parse_price_csv(csv_text)
    except PriceSeriesError as error:
        listed = "; ".join(
            _("line %(line)d: %(problem)s") % {"line": line, "problem": problem}
            for line, problem in error.problems[:10]
        )
        raise ServiceError("bad_series", _("The file was not accepted. %s") % listed) from None
    try:
        with transaction.atomic(durable=True):
            series = PriceSeries.objects.create(
                offering_id=offering_id,
                name=name,
                point_count=len(replay.points),
                duration=replay.points[-1][0],
                uploaded_by_id=uploaded_by_id,
            )
            PricePoint.objects.bulk_create(
                (
                    PricePoint(series=series, seq=seq, at=at, price=price)
                    for seq, (at, price) in enumerate(replay.points)
                ),
                batch_size=5000,
            )
            return series
    except IntegrityError:
        raise ServiceError(
            "duplicate_series", _("This offering already has a series called %s.") % name
        ) from None


def replay_cursor(series: PriceSeries) -> dict:
    """What a run keeps of a series it replays: the series and the point reached (the first)."""
    return {"series": series.pk, "cursor": 0}


def first_price(series: PriceSeries) -> float:
    return PricePoint.objects.get(series=series, seq=0).price


def replayed_price(replay: dict | list, elapsed: float, current: float) -> float:
    """The series' price at `elapsed` simulated seconds: its last point at or before then (the
    first before it starts). Moves the cursor in `replay` forward; one indexed query. `current`
    stays if the series is gone. A run started before series were rows carries the points
    themselves (a list): read as before."""
    if isinstance(replay, list):
        return Replay(points=tuple(tuple(point) for point in replay)).price_at(elapsed)
    found = (
        PricePoint.objects.filter(
            series_id=replay["series"], seq__gte=replay["cursor"], at__lte=max(elapsed, 0.0)
        )
        .order_by("-at")
        .values_list("seq", "price")
        .first()
    )
    if found is None:
        return current
    replay["cursor"] = found[0]
    return found[1]
