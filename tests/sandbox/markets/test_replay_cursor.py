"""A replayed series stays in its own rows: a run keeps a cursor, so what a tick writes does not
grow with the series, and the replay is the same as reading the whole series."""

import json
from datetime import timedelta

import pytest

from sandbox.markets import runner
from sandbox.markets.models import ScenarioRun
from sandbox.markets.pricemodels import Replay
from sandbox.markets.series import replayed_price, upload_price_series
from sandbox.markets.services import start_scenario

pytestmark = pytest.mark.django_db


def series_csv(rows: int) -> str:
    return "timestamp,price\n" + "".join(f"{i},{1400 - i % 300}.5\n" for i in range(rows))


def replaying(exchange, rows: int):
    series = upload_price_series(
        offering_id=exchange.offering.pk,
        name=f"{rows} rows",
        csv_text=series_csv(rows),
        uploaded_by_id=None,
    )
    run = start_scenario(
        offering_id=exchange.offering.pk,
        scenario="stablecoin-depeg",
        started_by_id=None,
        seed=1,
        replay=("KUSDKRW", series.pk),
    )
    return series, run


def state_size_after_ticks(run, seconds) -> int:
    for second in seconds:
        runner.tick(run.pk, now=run.clock_at + timedelta(seconds=second))
    return len(json.dumps(ScenarioRun.objects.get(pk=run.pk).state))


def test_a_runs_state_is_the_same_size_for_a_short_and_a_long_series(exchange):
    _, short = replaying(exchange, 10)
    short_size = state_size_after_ticks(short, (1, 2))
    ScenarioRun.objects.filter(pk=short.pk).update(status="stopped")
    _, long = replaying(exchange, 5000)

    long_size = state_size_after_ticks(long, (1, 2))

    assert abs(long_size - short_size) < 50  # a cursor, not five thousand points


def test_the_cursor_reads_the_price_the_whole_series_would_give():
    from sandbox.markets.models import PricePoint, PriceSeries
    from tests.factories import OfferingFactory

    points = [(0.0, 10.0), (2.5, 11.0), (3.0, 9.0), (7.0, 12.0), (20.0, 8.0)]
    series = PriceSeries.objects.create(offering=OfferingFactory(), name="s", point_count=5)
    PricePoint.objects.bulk_create(
        PricePoint(series=series, seq=i, at=at, price=p) for i, (at, p) in enumerate(points)
    )
    cursor, whole = {"series": series.pk, "cursor": 0}, Replay(points=tuple(points))
    moments = [0.0, 1.0, 2.5, 2.9, 3.0, 6.99, 7.0, 19.0, 25.0, 100.0]

    read = [replayed_price(cursor, at, current=-1.0) for at in moments]

    assert read == [whole.price_at(at) for at in moments]
    assert cursor["cursor"] == 4  # moved forward to the last point reached


def test_a_run_started_with_the_points_in_its_state_replays_them_as_before():
    points = [[0.0, 1400.0], [10.0, 1300.0], [20.0, 700.0]]

    assert [replayed_price(points, at, current=0.0) for at in (5, 12, 25)] == [
        1400.0,
        1300.0,
        700.0,
    ]
