"""Instructors' price series: uploaded as CSV, validated line by line, replayed on a market."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from campus.errors import ServiceError
from sandbox.markets.models import PriceSeries
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
            return PriceSeries.objects.create(
                offering_id=offering_id,
                name=name,
                points=[list(point) for point in replay.points],
                uploaded_by_id=uploaded_by_id,
            )
    except IntegrityError:
        raise ServiceError(
            "duplicate_series", _("This offering already has a series called %s.") % name
        ) from None
