"""Instructors upload a recorded price series (CSV) and replay it on one of a scenario's markets."""

from datetime import timedelta

import pytest

from campus.errors import ServiceError
from sandbox.markets import runner
from sandbox.markets.models import PricePoint, PriceSeries, ScenarioRun
from sandbox.markets.series import upload_price_series
from sandbox.markets.services import start_scenario

pytestmark = pytest.mark.django_db

TERRA = "timestamp,price\n2022-05-09T00:00:00Z,1400\n2022-05-09T00:00:10Z,1300\n2022-05-09T00:00:20Z,700\n"


def upload(offering, text=TERRA, name="UST, 9 May 2022"):
    return upload_price_series(
        offering_id=offering.pk, name=name, csv_text=text, uploaded_by_id=None
    )


def test_a_valid_series_is_stored_as_seconds_from_its_first_row(exchange):
    series = upload(exchange.offering)

    points = PricePoint.objects.filter(series=series).order_by("seq")
    assert list(points.values_list("seq", "at", "price")) == [
        (0, 0.0, 1400.0),
        (1, 10.0, 1300.0),
        (2, 20.0, 700.0),
    ]
    assert (series.point_count, series.duration) == (3, 20.0)


def test_a_bad_file_is_refused_whole_with_its_lines_named(exchange):
    with pytest.raises(ServiceError) as refused:
        upload(exchange.offering, text="timestamp,price\n0,1400\n10,oops\n0,1300\n")

    assert refused.value.code == "bad_series"
    assert "line 3" in refused.value.message and "line 4" in refused.value.message
    assert not PriceSeries.objects.exists()


def test_a_name_is_used_once_per_offering(exchange):
    upload(exchange.offering)

    with pytest.raises(ServiceError) as refused:
        upload(exchange.offering)

    assert refused.value.code == "duplicate_series"


def test_a_replayed_market_follows_the_series_and_the_bots_quote_around_it(exchange):
    series = upload(exchange.offering)
    run = start_scenario(
        offering_id=exchange.offering.pk,
        scenario="stablecoin-depeg",
        started_by_id=None,
        seed=1,
        replay=("KUSDKRW", series.pk),
    )

    for seconds in (5, 12, 25):
        runner.tick(run.pk, now=run.clock_at + timedelta(seconds=seconds))
    prices = ScenarioRun.objects.get(pk=run.pk).state["history"]["KUSDKRW"]

    assert prices == [1400.0, 1300.0, 700.0]


def test_a_series_replaces_only_one_of_the_scenarios_own_markets(exchange):
    series = upload(exchange.offering)

    with pytest.raises(ServiceError) as refused:
        start_scenario(
            offering_id=exchange.offering.pk,
            scenario="flash-crash",
            started_by_id=None,
            replay=("KUSDKRW", series.pk),
        )

    assert refused.value.code == "market_not_in_scenario"
    assert not ScenarioRun.objects.exists()


def test_an_instructor_uploads_a_series_and_starts_a_scenario_replaying_it(client, course):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client.force_login(course.ines)
    control = reverse("markets-control", args=[course.offering.slug])
    file = SimpleUploadedFile("ust.csv", TERRA.encode(), content_type="text/csv")

    uploaded = client.post(f"{control}series/", {"name": "UST", "file": file}, follow=True)
    series = PriceSeries.objects.get(name="UST")
    started = client.post(
        f"{control}start/",
        {
            "scenario": "stablecoin-depeg",
            "speed": 1,
            "replay_series": series.pk,
            "replay_market": "KUSDKRW",
        },
    )

    assert "Price series “UST” uploaded." in uploaded.content.decode()
    assert started.status_code == 302
    assert ScenarioRun.objects.get().state["replay"] == {
        "KUSDKRW": {"series": series.pk, "cursor": 0}
    }


def test_a_refused_upload_shows_the_lines_and_stores_nothing(client, course):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client.force_login(course.ines)
    control = reverse("markets-control", args=[course.offering.slug])
    file = SimpleUploadedFile("bad.csv", b"0,1400\n10,-5\n", content_type="text/csv")

    response = client.post(f"{control}series/", {"name": "Bad", "file": file})

    assert response.status_code == 400
    assert "line 2" in response.content.decode()
    assert not PriceSeries.objects.exists()
