"""Reading an instructor's price series (CSV: timestamp, price) into a `Replay` model.

Every problem is reported with its line number, all at once (up to `MAX_PROBLEMS`), so an
instructor fixes the file in one pass; nothing is accepted from a file with any problem.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from sandbox.markets.pricemodels import Replay

MAX_ROWS = 100_000
MAX_PROBLEMS = 20


class PriceSeriesError(ValueError):
    def __init__(self, problems: list[tuple[int, str]]) -> None:
        super().__init__("; ".join(f"line {line}: {message}" for line, message in problems))
        self.problems = problems


def parse_price_csv(text: str) -> Replay:
    """Rows of `timestamp,price`, timestamps increasing (ISO 8601, or Unix seconds), prices
    positive; an optional header row. Times become seconds from the first row."""
    rows, problems = [], []
    for line, record in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not record or all(not cell.strip() for cell in record):
            continue
        if line == 1 and _is_header(record):
            continue
        parsed = _row(record, line, problems)
        if parsed is not None:
            if rows and parsed[0] <= rows[-1][0]:
                problems.append((line, "timestamps must increase from row to row"))
            rows.append(parsed)
        if len(rows) > MAX_ROWS:
            problems.append((line, f"more than {MAX_ROWS} rows"))
            break
        if len(problems) >= MAX_PROBLEMS:
            break
    if not problems and len(rows) < 2:
        problems.append((1, "at least two rows of timestamp,price are needed"))
    if problems:
        raise PriceSeriesError(problems[:MAX_PROBLEMS])
    start = rows[0][0]
    return Replay(points=tuple((at - start, float(price)) for at, price in rows))


def _is_header(record: list[str]) -> bool:
    return record[0].strip().lower() in ("timestamp", "time", "date", "datetime")


def _row(record: list[str], line: int, problems: list) -> tuple[float, Decimal] | None:
    if len(record) != 2:
        problems.append((line, f"expected 2 columns (timestamp,price), found {len(record)}"))
        return None
    at = _timestamp(record[0].strip())
    if at is None:
        problems.append((line, f"{record[0].strip()!r} is not a timestamp"))
    try:
        price = Decimal(record[1].strip())
    except InvalidOperation:
        problems.append((line, f"{record[1].strip()!r} is not a number"))
        return None
    if not price.is_finite() or price <= 0:
        problems.append((line, "the price must be positive"))
        return None
    return (at, price) if at is not None else None


def _timestamp(text: str) -> float | None:
    try:
        seconds = Decimal(text)
    except InvalidOperation:
        seconds = None
    if seconds is not None:
        return float(seconds) if seconds.is_finite() else None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
