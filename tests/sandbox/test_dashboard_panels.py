"""The sandbox's panels on the student's dashboard (the offering page): their portfolio valued as
the leaderboard values it, the market news, their chain and their wallet; each with a plain
word when there is nothing yet, none of them opening or starting anything, and the page's cost
fixed whatever the class size or the student's trading history."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campus.models import User
from courses.models import Attempt, Enrollment
from sandbox.chain.models import Chain
from sandbox.chain.services import open_chain
from sandbox.exchange.api import Market, place_order
from sandbox.markets.leaderboard import standings
from sandbox.markets.models import Announcement, ScenarioRun
from sandbox.wallet.models import Wallet
from sandbox.wallet.services import open_wallet
from tests.factories import EnrollmentFactory, ExerciseFactory
from tests.sandbox.trades import bob_sells_to_alice, limit

pytestmark = pytest.mark.django_db


@pytest.fixture
def classroom(exchange):
    """alice and bob study the exchange's offering (their wallets open), ines teaches it."""
    for student in (exchange.alice, exchange.bob):
        EnrollmentFactory(offering=exchange.offering, user=student)
    exchange.ines = EnrollmentFactory(
        offering=exchange.offering, role=Enrollment.Role.INSTRUCTOR, user__username="ines"
    ).user
    return exchange


def dashboard(client, classroom, user=None) -> str:
    client.force_login(user or classroom.alice)
    response = client.get(reverse("offering-detail", args=[classroom.offering.slug]))
    assert response.status_code == 200
    return response.content.decode()


def panel(page: str, key: str) -> str:
    """The HTML of one panel on the page."""
    start = page.index(f'data-testid="panel-{key}"')
    return page[start : page.index("</section>", start)]


def by_testid(html: str, name: str, closing: str = "</dd>") -> str:
    """The text of the element with this test id (up to `closing`), tags left out."""
    start = html.index(f'data-testid="{name}">') + len(f'data-testid="{name}">')
    return " ".join(re.sub(r"<[^>]+>", " ", html[start : html.index(closing, start)]).split())


# -- portfolio ---------------------------------------------------------------------------------


def test_the_portfolio_shows_the_value_pnl_and_return_the_leaderboard_gives(client, classroom):
    bob_sells_to_alice(classroom)
    Market.objects.filter(pk=classroom.btc.pk).update(last_price=Decimal("120000000"))
    row = next(s for s in standings(classroom.offering.pk) if s.user_id == classroom.alice.pk)

    portfolio = panel(dashboard(client, classroom), "portfolio")

    assert by_testid(portfolio, "portfolio-value") == f"{row.value:,.0f}"
    assert by_testid(portfolio, "portfolio-pnl") == f"+{row.pnl:,.0f}"
    assert by_testid(portfolio, "portfolio-return") == f"+{row.return_pct} %"
    assert 'class="gain"' in portfolio
    assert reverse("markets-leaderboard", args=[classroom.offering.slug]) in portfolio


def test_a_loss_shows_with_its_minus_sign_and_as_a_loss(client, classroom):
    bob_sells_to_alice(classroom)
    Market.objects.filter(pk=classroom.btc.pk).update(last_price=Decimal("80000000"))

    portfolio = panel(dashboard(client, classroom), "portfolio")

    assert by_testid(portfolio, "portfolio-pnl").startswith("-")
    assert 'class="loss"' in portfolio


def test_an_asset_without_a_price_counts_at_zero_and_the_panel_says_so(client, classroom):
    bob_sells_to_alice(classroom)  # BTC has traded; ETH and KUSD have not

    portfolio = panel(dashboard(client, classroom), "portfolio")

    assert "ETH, KUSD: no trade has priced it in KRW yet" in portfolio


def test_before_the_wallet_opens_the_portfolio_says_when_it_will(client, classroom):
    carol = EnrollmentFactory(offering=classroom.offering, user__username="carol").user

    page = dashboard(client, classroom, carol)

    assert "Your portfolio shows here once your wallet is open." in panel(page, "portfolio")
    assert not Wallet.objects.filter(owner=carol).exists()  # looking never opens it


# -- market news -------------------------------------------------------------------------------


def test_with_no_scenario_the_news_panel_says_there_is_no_news_yet(client, classroom):
    news = panel(dashboard(client, classroom), "news")

    assert "No market scenario is running." in news
    assert "No market news yet." in news
    assert 'id="announcements"' in news  # where live news will arrive


def test_the_news_panel_shows_the_running_scenarios_latest_news_newest_first(client, classroom):
    run = ScenarioRun.objects.create(
        offering=classroom.offering, scenario="s", title="Flash crash", script="", seed=1
    )
    for n in range(5):
        Announcement.objects.create(run=run, offering=classroom.offering, at=n, text=f"News {n}")

    news = panel(dashboard(client, classroom), "news")

    assert "Running now: Flash crash" in news
    assert news.index("News 4") < news.index("News 3") < news.index("News 2")
    assert "News 1" not in news
    assert 'data-stream="/o/' in news and "announcements.js" in news


# -- chain -------------------------------------------------------------------------------------


def test_without_a_chain_the_panel_says_it_opens_on_the_first_visit(client, classroom):
    chain = panel(dashboard(client, classroom), "chain")

    assert "opens when you first visit My chain" in chain
    assert reverse("chain-mine", args=[classroom.offering.slug]) in chain
    assert not Chain.objects.exists()  # looking never opens one


def test_the_chain_panel_shows_its_status_and_id_and_links_to_its_pages(client, classroom):
    own = open_chain(offering_id=classroom.offering.pk, owner_id=classroom.alice.pk)

    chain = panel(dashboard(client, classroom), "chain")

    assert by_testid(chain, "dash-chain-status", "</span>") == "Stopped"
    assert by_testid(chain, "dash-chain-id") == str(own.chain_id)
    for name in ("chain-mine", "chain-studio", "chain-explorer"):
        assert reverse(name, args=[classroom.offering.slug]) in chain
    Chain.objects.get(pk=own.pk, status="stopped")  # and it was not started


# -- wallet ------------------------------------------------------------------------------------


def test_the_wallet_panel_shows_each_balance_available_and_locked(client, classroom):
    place_order(
        owner_id=classroom.alice.pk,
        market=classroom.btc,
        request=limit("BUY", "0.01", "90000000"),
    )

    wallet = panel(dashboard(client, classroom), "wallet")

    krw = wallet[wallet.index('data-asset="KRW"') : wallet.index("</tr>", wallet.index('"KRW"'))]
    assert '<td class="num">900,000</td>' in krw  # locked for the open order
    for name in ("sandbox-wallet", "wallet-deposit", "wallet-withdraw"):
        assert reverse(name, args=[classroom.offering.slug]) in wallet


def test_before_the_wallet_opens_its_panel_says_it_opens_on_the_first_visit(client, classroom):
    carol = EnrollmentFactory(offering=classroom.offering, user__username="carol").user

    wallet = panel(dashboard(client, classroom, carol), "wallet")

    assert "Your wallet opens with the course's starting funds the first time you visit it." in (
        wallet.replace("&#x27;", "'")
    )


# -- who sees them -----------------------------------------------------------------------------


def test_instructors_see_no_sandbox_panels_but_keep_their_links(client, classroom):
    page = dashboard(client, classroom, classroom.ines)

    for key in ("portfolio", "news", "chain", "wallet"):
        assert f'data-testid="panel-{key}"' not in page
    assert reverse("markets-control", args=[classroom.offering.slug]) in page


def test_a_students_page_keeps_the_offering_links_below_the_panels(client, classroom):
    page = dashboard(client, classroom)

    trade = reverse("sandbox-trade", args=[classroom.offering.slug, "BTCKRW"])
    assert page.index('data-testid="panel-wallet"') < page.index(trade)


# -- cost --------------------------------------------------------------------------------------


def fill_the_class(classroom, count: int) -> None:
    """`count` more students with open wallets, a resting order each, and an attempt each."""
    offering = classroom.offering
    users = User.objects.bulk_create(User(username=f"student{n}") for n in range(count))
    Enrollment.objects.bulk_create(
        Enrollment(offering=offering, user=user, role="student") for user in users
    )
    exercise = offering.course.exercises.get()
    now = timezone.now()
    Attempt.objects.bulk_create(
        Attempt(
            offering=offering,
            exercise=exercise,
            user=user,
            number=1,
            status="passed",
            score=1,
            submitted_at=now,
        )
        for user in users
    )
    for n, user in enumerate(users):
        open_wallet(offering_id=offering.pk, owner_id=user.pk)
        if n % 10 == 0:
            place_order(
                owner_id=user.pk,
                market=classroom.btc,
                request=limit("BUY", "0.001", str(80000000 + n * 1000)),
            )


def give_alice_a_history(classroom, trades: int) -> None:
    open_chain(offering_id=classroom.offering.pk, owner_id=classroom.alice.pk)
    run = ScenarioRun.objects.create(
        offering=classroom.offering, scenario="s", title="Busy", script="", seed=1
    )
    Announcement.objects.bulk_create(
        Announcement(run=run, offering=classroom.offering, at=n, text=f"News {n}")
        for n in range(50)
    )
    for _ in range(trades):
        bob_sells_to_alice(classroom, quantity="0.0001")


def queries_for(client, classroom) -> int:
    client.force_login(classroom.alice)
    url = reverse("offering-detail", args=[classroom.offering.slug])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_dashboards_queries_do_not_grow_with_500_students_or_the_students_trades(
    client, classroom, django_assert_max_num_queries
):
    bob_sells_to_alice(classroom)  # so every panel has something to show from the start
    ExerciseFactory(lesson__module__course=classroom.offering.course)
    few = queries_for(client, classroom)
    fill_the_class(classroom, 500)
    give_alice_a_history(classroom, trades=30)

    with django_assert_max_num_queries(few):
        page = client.get(reverse("offering-detail", args=[classroom.offering.slug]))

    html = page.content.decode()
    assert 'data-testid="dash-chain-status"' in html and "News 49" in html
    assert few <= 41  # 41 on 2026-11-25: 14 of them the link sections', 2 deposits and withdrawals
