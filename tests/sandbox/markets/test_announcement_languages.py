"""A scenario's announcements in the students' language: scripts give a text per language, and
students read theirs (English where the script has none)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from sandbox.markets import runner
from sandbox.markets.models import Announcement
from sandbox.markets.scenario import ScenarioError, load_scenario
from sandbox.markets.services import start_scenario
from tests.factories import EnrollmentFactory
from tests.sandbox.markets.scripts import SHIPPED

SCRIPT = """
title: Test
duration: 100
markets:
  KUSDKRW: {model: mean_reverting, start: 1400, speed: 2000, volatility: 0.01}
bots:
  - {kind: noise, market: KUSDKRW, orders_per_tick: 1, size: "10"}
events:
  - {at: 0, announce: {en: "Trading opens.", ko: "거래가 시작됩니다."}}
  - {at: 10, announce: "English only."}
"""


def test_an_announcement_may_give_a_text_per_language():
    first, second = load_scenario(SCRIPT).events

    assert (first.announce, first.announce_in) == ("Trading opens.", {"ko": "거래가 시작됩니다."})
    assert (second.announce, second.announce_in) == ("English only.", {})


@pytest.mark.parametrize(
    ("announce", "place"),
    [
        ('{ko: "한국어만"}', "events[0].announce.en"),
        ('{english: "Open"}', "events[0].announce"),
        ("[Open]", "events[0].announce"),
    ],
)
def test_an_announcement_without_english_or_with_odd_keys_is_refused(announce, place):
    text = SCRIPT.replace('{en: "Trading opens.", ko: "거래가 시작됩니다."}', announce)

    with pytest.raises(ScenarioError) as refused:
        load_scenario(text)

    assert place in [where for where, _ in refused.value.problems]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_announcement_reads_in_korean_too(path):
    events = [e for e in load_scenario(path.read_text()).events if e.announce]

    assert events and all(e.announce_in.get("ko") for e in events)


@pytest.mark.django_db
def test_students_read_the_news_in_their_language_and_the_stream_carries_both(
    exchange, client, monkeypatch
):
    published = []
    monkeypatch.setattr(runner, "publish_on_commit", published.extend)
    EnrollmentFactory(offering=exchange.offering, user=exchange.alice)
    run = start_scenario(
        offering_id=exchange.offering.pk, scenario="calm-markets", started_by_id=None, seed=1
    )
    runner.tick(run.pk, now=run.clock_at + timedelta(seconds=1))
    [news] = Announcement.objects.filter(run=run)
    client.force_login(exchange.alice)

    with translation.override("ko"):
        korean = client.get(
            reverse("offering-detail", args=[exchange.offering.slug]), HTTP_ACCEPT_LANGUAGE="ko"
        )
        shown_in_korean = news.shown_text
    english = client.get(
        reverse("offering-detail", args=[exchange.offering.slug]), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert shown_in_korean == "시장이 열렸습니다. 마켓 메이커가 모든 시장에 호가를 내고 있습니다."
    assert (
        news.shown_text == news.text == "Markets are open. Market makers are quoting every market."
    )
    assert shown_in_korean in korean.content.decode()
    assert news.text in english.content.decode() and shown_in_korean not in english.content.decode()
    [(_group, payload)] = [m for m in published if m[1].get("e") == "announcements"]
    assert (payload["t"], payload["tr"]) == (news.text, {"ko": shown_in_korean})
