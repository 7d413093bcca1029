"""The markets pages: instructors control scenarios, markets and competitions from one page;
members read the leaderboard and the market news; everyone else finds nothing there."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from campus.errors import ServiceError
from sandbox.exchange.api import Market, OrderRequest, place_order
from sandbox.markets.models import Announcement, Competition, ScenarioRun
from sandbox.markets.services import pause_run, start_scenario
from sandbox.markets.services_competitions import create_competition
from tests.factories import EnrollmentFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def instructor(client, course):
    client.force_login(course.ines)
    return client


@pytest.fixture
def student(client, course):
    client.force_login(course.alice)
    return client


@pytest.fixture
def run(course):
    """Given the flash crash running at speed 2 with seed 7."""
    return start_scenario(
        offering_id=course.offering.pk,
        scenario="flash-crash",
        started_by_id=course.ines.pk,
        seed=7,
        speed=2,
    )


def url(name, course, *args):
    return reverse(name, args=[course.offering.slug, *args])


def page_of(response) -> str:
    return response.content.decode()


def standings_table(response) -> str:
    page = page_of(response)
    return page[page.index('<table class="table leaderboard"') : page.index("</table>")]


# -- who may look ------------------------------------------------------------------------------


def test_students_get_404_on_the_control_page(student, course):
    assert student.get(url("markets-control", course)).status_code == 404


def test_students_cannot_start_a_scenario_by_posting(student, course):
    response = student.post(url("markets-start", course), {"scenario": "flash-crash", "speed": 1})

    assert response.status_code == 404
    assert not ScenarioRun.objects.exists()


def test_outsiders_get_404_on_the_leaderboard(client, course):
    client.force_login(UserFactory())

    assert client.get(url("markets-leaderboard", course)).status_code == 404


def test_a_university_admin_may_open_the_control_page_and_the_leaderboard(client, course):
    admin = UserFactory()
    MembershipFactory(user=admin, university=course.offering.university, role="university_admin")
    client.force_login(admin)

    assert client.get(url("markets-control", course)).status_code == 200
    assert client.get(url("markets-leaderboard", course)).status_code == 200


def test_offering_page_links_students_to_the_leaderboard_only(student, course):
    page = page_of(student.get(reverse("offering-detail", args=[course.offering.slug])))

    assert url("markets-leaderboard", course) in page
    assert url("markets-control", course) not in page


def test_offering_page_links_instructors_to_the_control_page_and_leaderboard(instructor, course):
    page = page_of(instructor.get(reverse("offering-detail", args=[course.offering.slug])))

    assert url("markets-control", course) in page
    assert url("markets-leaderboard", course) in page


# -- the control page --------------------------------------------------------------------------


def test_control_page_shows_each_scenario_with_its_teaching_notes_rendered(instructor, course):
    page = page_of(instructor.get(url("markets-control", course)))

    assert "A flash crash and its recovery" in page
    assert "A large sell order meets a thin book" in page
    assert "<strong>Real cases.</strong>" in page
    assert "No scenario is running" in page


def test_starting_a_scenario_runs_it_with_the_chosen_seed_and_speed(instructor, course):
    response = instructor.post(
        url("markets-start", course),
        {"scenario": "stablecoin-depeg", "speed": "10", "seed": "1234"},
        follow=True,
    )

    run = ScenarioRun.objects.get(offering=course.offering)
    assert (run.scenario, run.seed, run.speed, run.status) == (
        "stablecoin-depeg",
        1234,
        10,
        "running",
    )
    assert run.started_by == course.ines
    assert "is running, with seed 1234" in page_of(response)
    assert 'data-testid="run-status">Running<' in page_of(response)


def test_starting_without_a_seed_picks_one_and_shows_it(instructor, course):
    instructor.post(url("markets-start", course), {"scenario": "flash-crash", "speed": "1"})

    run = ScenarioRun.objects.get(offering=course.offering)
    page = page_of(instructor.get(url("markets-control", course)))
    assert f"<code>{run.seed}</code>" in page


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"scenario": "flash-crash", "speed": "0"}, "Speed must be above 0 and at most 100."),
        ({"scenario": "flash-crash", "speed": "101"}, "Speed must be above 0 and at most 100."),
        ({"scenario": "moon-landing", "speed": "1"}, "There is no scenario called moon-landing."),
    ],
)
def test_bad_start_shows_the_services_message_and_starts_nothing(
    instructor, course, posted, message
):
    response = instructor.post(url("markets-start", course), posted)

    assert response.status_code == 400
    assert message in page_of(response)
    assert not ScenarioRun.objects.exists()


def test_second_start_while_one_runs_is_refused_and_the_first_keeps_running(
    instructor, course, run
):
    response = instructor.post(
        url("markets-start", course), {"scenario": "exchange-run", "speed": "1"}
    )

    assert response.status_code == 400
    assert "A scenario is already running in this offering" in page_of(response)
    assert list(ScenarioRun.objects.values_list("pk", "status")) == [(run.pk, "running")]


def test_pause_then_resume_through_the_buttons(instructor, course, run):
    instructor.post(url("markets-pause", course, run.pk))
    paused = ScenarioRun.objects.get(pk=run.pk).status
    instructor.post(url("markets-resume", course, run.pk))

    assert (paused, ScenarioRun.objects.get(pk=run.pk).status) == ("paused", "running")


def test_pausing_a_paused_run_says_why_it_cannot(instructor, course, run):
    pause_run(run_id=run.pk)

    response = instructor.post(url("markets-pause", course, run.pk), follow=True)

    assert "This scenario run is Paused; that cannot be done now." in page_of(response)


def test_set_speed_changes_the_runs_speed(instructor, course, run):
    instructor.post(url("markets-speed", course, run.pk), {"speed": "25"})

    assert ScenarioRun.objects.get(pk=run.pk).speed == 25


def test_speed_zero_is_refused_with_the_services_message(instructor, course, run):
    response = instructor.post(url("markets-speed", course, run.pk), {"speed": "0"}, follow=True)

    assert "Speed must be above 0 and at most 100." in page_of(response)
    assert ScenarioRun.objects.get(pk=run.pk).speed == 2


def test_stop_asks_first_and_stops_only_on_the_post(instructor, course, run):
    asked = instructor.get(url("markets-stop", course, run.pk))
    still = ScenarioRun.objects.get(pk=run.pk).status
    instructor.post(url("markets-stop", course, run.pk))

    assert 'data-testid="confirm-stop"' in page_of(asked)
    assert "Yes, stop it" in page_of(asked)
    assert (still, ScenarioRun.objects.get(pk=run.pk).status) == ("running", "stopped")


def test_a_run_of_another_offering_is_not_found(instructor, course):
    other = EnrollmentFactory(role="instructor").offering
    foreign = ScenarioRun.objects.create(
        offering=other, scenario="flash-crash", title="x", script="", seed=1
    )

    response = instructor.post(url("markets-pause", course, foreign.pk))

    assert response.status_code == 404
    assert ScenarioRun.objects.get(pk=foreign.pk).status == "running"


def test_halting_and_resuming_a_market_from_its_button(instructor, course):
    instructor.post(url("markets-halt", course, "ETHKRW"))
    halted = Market.objects.get(offering=course.offering, symbol="ETHKRW").status
    instructor.post(url("markets-resume-trading", course, "ETHKRW"))

    assert (halted, Market.objects.get(offering=course.offering, symbol="ETHKRW").status) == (
        "HALT",
        "TRADING",
    )


def test_halting_a_market_the_offering_lacks_says_so(instructor, course):
    response = instructor.post(url("markets-halt", course, "DOGEKRW"), follow=True)

    assert "This offering has no DOGEKRW market" in page_of(response)


def test_control_page_lists_the_runs_announcements_in_script_order(instructor, course, run):
    for at, text in ((200, "A very large bitcoin sell order hits the book."), (0, "Quiet.")):
        Announcement.objects.create(run=run, offering=course.offering, at=at, text=text)

    page = page_of(instructor.get(url("markets-control", course)))

    assert page.index("Quiet.") < page.index("A very large bitcoin sell order")
    assert "3:20" in page  # 200 simulated seconds


def test_replay_link_fills_the_start_form_with_the_runs_seed(instructor, course, run):
    page = page_of(instructor.get(url("markets-control", course)))
    replay = instructor.get(url("markets-control", course), {"scenario": "flash-crash", "seed": 7})

    assert "?scenario=flash-crash&amp;seed=7&amp;speed=2#start" in page
    assert 'name="seed" value="7"' in page_of(replay)


# -- competitions ------------------------------------------------------------------------------


def competition_form(title="Week 1", start="2026-10-05T09:00", end="2026-10-09T18:00"):
    return {"title": title, "starts_at": start, "ends_at": end}


def test_instructor_creates_a_competition(instructor, course):
    response = instructor.post(
        url("markets-add-competition", course), competition_form(), follow=True
    )

    competition = Competition.objects.get(offering=course.offering)
    assert competition.title == "Week 1"
    assert (
        timezone.localtime(competition.starts_at).strftime("%Y-%m-%d %H:%M") == "2026-10-05 09:00"
    )
    assert "Competition “Week 1” created." in page_of(response)


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        (competition_form(end="2026-10-05T09:00"), "The competition must end after it starts."),
        (competition_form(end="2026-10-01T09:00"), "The competition must end after it starts."),
        (competition_form(title="   "), "Give the competition a title."),
    ],
)
def test_bad_competition_is_refused_with_the_services_message(instructor, course, posted, message):
    response = instructor.post(url("markets-add-competition", course), posted)

    assert response.status_code == 400
    assert message in page_of(response)
    assert not Competition.objects.exists()


def test_competition_without_dates_is_refused_by_the_form(instructor, course):
    response = instructor.post(url("markets-add-competition", course), competition_form(start=""))

    assert response.status_code == 400
    assert not Competition.objects.exists()


def test_create_competition_refuses_a_title_longer_than_the_field(course):
    now = timezone.now()

    with pytest.raises(ServiceError) as refused:
        create_competition(
            offering_id=course.offering.pk,
            title="x" * 201,
            starts_at=now,
            ends_at=now + timedelta(hours=1),
        )

    assert refused.value.code == "competition_title"


# -- the leaderboard ---------------------------------------------------------------------------


@pytest.fixture
def traded(course):
    """alice buys 0.01 BTC from bob at 100,000,000 KRW; BTC then trades at 120,000,000."""
    sell = OrderRequest(
        side="SELL",
        type="LIMIT",
        quantity=Decimal("0.01"),
        price=Decimal("100000000"),
        time_in_force="GTC",
    )
    place_order(owner_id=course.bob.pk, market=course.btc, request=sell)
    buy = OrderRequest(side="BUY", type="MARKET", quantity=Decimal("0.01"))
    place_order(owner_id=course.alice.pk, market=course.btc, request=buy)
    Market.objects.filter(pk=course.btc.pk).update(last_price=Decimal("120000000"))
    return course


def test_leaderboard_lists_students_in_rank_order_and_marks_the_viewer(client, traded):
    client.force_login(traded.bob)

    table = standings_table(client.get(url("markets-leaderboard", traded)))

    assert table.index(">alice<") < table.index(">bob ")
    assert 'class="me" aria-current="true"' in table
    mine = table[table.index('class="me"') :]
    assert mine.index("bob") < mine.index("</tr>")
    assert "ines" not in table  # instructors are not ranked


def test_leaderboard_explains_marks_and_shows_the_current_ones(student, traded):
    page = page_of(student.get(url("markets-leaderboard", traded)))

    assert "counts at 0" in page
    assert "120,000,000 KRW" in page
    assert "no trade yet: counts at 0" in page  # ETH and KUSD have not traded


def test_frozen_competition_shows_its_final_standings(student, traded):
    start = timezone.now() - timedelta(days=2)
    competition = Competition.objects.create(
        offering=traded.offering,
        title="Week 1",
        starts_at=start,
        ends_at=start + timedelta(days=1),
        frozen_at=start + timedelta(days=1),
        standings=[
            {
                "rank": 1,
                "user_id": traded.bob.pk,
                "name": "bob",
                "value": "11000000",
                "baseline": "10000000",
                "pnl": "1000000",
                "return_pct": "10.00",
                "max_drawdown_pct": "0.00",
            },
        ],
    )

    response = student.get(url("markets-leaderboard", traded), {"competition": competition.pk})

    assert "Final standings" in page_of(response)
    assert "+10.00 %" in standings_table(response)
    assert ">alice<" not in standings_table(response)


def test_a_competition_of_another_offering_is_not_found(student, traded):
    other = EnrollmentFactory().offering
    now = timezone.now()
    foreign = create_competition(
        offering_id=other.pk, title="Elsewhere", starts_at=now, ends_at=now + timedelta(days=1)
    )

    response = student.get(url("markets-leaderboard", traded), {"competition": foreign.pk})

    assert response.status_code == 404


# -- announcements -----------------------------------------------------------------------------


def test_leaderboard_shows_the_latest_announcements_in_a_live_region(student, course, run):
    for n in range(7):
        Announcement.objects.create(run=run, offering=course.offering, at=n, text=f"News {n}.")

    page = page_of(student.get(url("markets-leaderboard", course)))

    region = page[page.index('id="announcements"') :]
    assert region.startswith('id="announcements" class="announcement-list" aria-live="polite"')
    assert region.index("News 6.") < region.index("News 2.")
    assert "News 1." not in page  # five at most


def test_announcements_tag_renders_the_offerings_news_for_any_page(course, run):
    Announcement.objects.create(run=run, offering=course.offering, at=0, text="Trading opens.")
    template = Template("{% load markets_tags %}{% offering_announcements offering %}")

    html = template.render(Context({"offering": course.offering}))

    assert 'id="announcements"' in html and 'aria-live="polite"' in html
    assert "Trading opens." in html


def test_announcements_tag_without_news_says_there_is_none_yet(course):
    template = Template("{% load markets_tags %}{% offering_announcements offering %}")

    html = template.render(Context({"offering": course.offering}))

    assert "No news yet." in html
