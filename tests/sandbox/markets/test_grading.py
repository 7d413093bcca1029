"""The trading grader: each check reads the student's own activity on the offering's exchange in
the window from the exercise's opening to the submission, and says what it found."""

from decimal import Decimal as D
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from courses.grading import attempts
from courses.grading.registry import GradingContext, GradingError, grader_for
from courses.models import Attempt, Deadline
from sandbox.exchange.api import OrderRequest, place_order
from sandbox.exchange.markets import list_default_markets
from sandbox.markets.grading import trading_grader
from sandbox.wallet.api import reset_wallet
from sandbox.wallet.services import issue, open_wallet
from tests.factories import EnrollmentFactory, ExerciseFactory, OfferingFactory, UserFactory
from tests.sandbox.trades import bob_sells_to_alice, limit

pytestmark = pytest.mark.django_db

POST_ONLY_BID = {"symbol": "BTCKRW", "side": "BUY", "type": "LIMIT_MAKER", "rested": True}


def check(kind: str, body, name="A check", hint=None) -> dict:
    found = {"name": {"en": name, "ko": name}, kind: body}
    if hint is not None:
        found["hint"] = hint
    return found


def exercise_for(offering, *checks):
    return ExerciseFactory(
        lesson__module__course=offering.course, kind="trading", spec={"checks": list(checks)}
    )


def grade(exchange, user, *checks, since, until=None):
    """The outcome of grading `checks` for `user` over [since, until (now)]."""
    ctx = GradingContext(
        attempt_id=0,
        exercise=exercise_for(exchange.offering, *checks),
        offering=exchange.offering,
        user=user,
        submission={},
        submitted_at=until or timezone.now(),
        window_start=since,
        language="en",
    )
    return trading_grader.grade(ctx)


def only(outcome):
    [result] = outcome.checks
    return result


def post_only_bid(exchange, user, price="90000000", quantity="0.01"):
    request = OrderRequest(side="BUY", type="LIMIT_MAKER", quantity=D(quantity), price=D(price))
    return place_order(owner_id=user.pk, market=exchange.btc, request=request)


def market_sell(exchange, user, quantity="0.01"):
    request = OrderRequest(side="SELL", type="MARKET", quantity=D(quantity))
    return place_order(owner_id=user.pk, market=exchange.btc, request=request)


def print_price(exchange, price):
    """bob sells 0.001 BTC to carol at `price`: the market's last price moves, alice's wallet
    does not."""
    carol = getattr(exchange, "carol", None) or UserFactory(username="carol")
    exchange.carol = carol
    open_wallet(offering_id=exchange.offering.pk, owner_id=carol.pk)
    place_order(
        owner_id=exchange.bob.pk, market=exchange.btc, request=limit("SELL", "0.001", price)
    )
    buy = OrderRequest(side="BUY", type="MARKET", quantity=D("0.001"))
    place_order(owner_id=carol.pk, market=exchange.btc, request=buy)


# --- the grader in the registry -------------------------------------------------------------


def test_the_trading_grader_is_registered_for_the_trading_kind():
    assert grader_for("trading") is trading_grader


def test_a_trading_submission_has_nothing_in_it(course):
    exercise = exercise_for(course.offering, check("trades", {"min": 1}))

    cleaned = trading_grader.clean_submission(
        exercise=exercise, data={"csrfmiddlewaretoken": ["x"]}
    )

    assert cleaned == {}


# --- placed_order ---------------------------------------------------------------------------


def test_a_post_only_bid_that_rests_passes_and_names_the_order(course):
    since = timezone.now()
    order = post_only_bid(course, course.alice)

    result = only(grade(course, course.alice, check("placed_order", POST_ONLY_BID), since=since))

    assert result.passed
    assert f"Order #{order.pk}, a LIMIT_MAKER buy order on BTCKRW" in result.detail
    assert "rested on the book" in result.detail
    assert result.hint is None


def test_a_limit_buy_that_traded_on_arrival_did_not_rest(course):
    place_order(
        owner_id=course.bob.pk, market=course.btc, request=limit("SELL", "0.01", "100000000")
    )
    since = timezone.now()
    place_order(
        owner_id=course.alice.pk, market=course.btc, request=limit("BUY", "0.01", "100000000")
    )
    wanted = {"symbol": "BTCKRW", "side": "BUY", "type": "LIMIT", "rested": True}

    result = only(
        grade(
            course, course.alice, check("placed_order", wanted, hint="Price it lower."), since=since
        )
    )

    assert not result.passed
    assert "You placed 1 LIMIT buy order on BTCKRW since" in result.detail
    assert "but none of them rested on the book" in result.detail
    assert "1 traded in full as soon as it arrived" in result.detail
    assert result.hint == "Price it lower."


def test_a_bid_that_rested_and_was_then_hit_counts_as_rested_and_filled(course):
    since = timezone.now()
    order = post_only_bid(course, course.alice, price="100000000")
    market_sell(course, course.bob)
    wanted = {**POST_ONLY_BID, "filled": True}

    result = only(grade(course, course.alice, check("placed_order", wanted), since=since))

    assert result.passed
    assert f"Order #{order.pk}" in result.detail
    assert "rested on the book and was filled" in result.detail


def test_a_resting_bid_that_never_traded_fails_a_filled_check(course):
    since = timezone.now()
    post_only_bid(course, course.alice)
    wanted = {"symbol": "BTCKRW", "filled": True}

    result = only(grade(course, course.alice, check("placed_order", wanted), since=since))

    assert not result.passed
    assert "You placed 1 order on BTCKRW" in result.detail
    assert "None had traded by the time you submitted" in result.detail


def test_a_waiting_stop_loss_was_accepted_but_never_rested(course):
    bob_sells_to_alice(course)  # the last price is now 100,000,000
    since = timezone.now()
    stop = OrderRequest(
        side="SELL",
        type="STOP_LOSS_LIMIT",
        quantity=D("0.01"),
        price=D("97000000"),
        stop_price=D("98000000"),
        time_in_force="GTC",
    )
    place_order(owner_id=course.alice.pk, market=course.btc, request=stop)
    accepted = {"symbol": "BTCKRW", "side": "SELL", "type": "STOP_LOSS_LIMIT"}

    outcome = grade(
        course,
        course.alice,
        check("placed_order", accepted),
        check("placed_order", {**accepted, "rested": True}),
        since=since,
    )

    assert [c.passed for c in outcome.checks] == [True, False]
    assert "was accepted" in outcome.checks[0].detail
    assert "1 is a stop order that never left the wait for its stop price" in (
        outcome.checks[1].detail
    )


def test_no_order_in_the_window_fails_and_says_rejected_orders_are_not_kept(course):
    since = timezone.now()

    result = only(grade(course, course.alice, check("placed_order", POST_ONLY_BID), since=since))

    assert not result.passed
    assert "You placed 0 LIMIT_MAKER buy orders on BTCKRW since" in result.detail
    assert "An order the exchange rejected" in result.detail


# --- trades ---------------------------------------------------------------------------------


def test_enough_fills_in_the_window_pass_the_trades_check(course):
    since = timezone.now()
    bob_sells_to_alice(course)
    bob_sells_to_alice(course)

    result = only(
        grade(course, course.alice, check("trades", {"symbol": "BTCKRW", "min": 2}), since=since)
    )

    assert result.passed
    assert "You had 2 fills on BTCKRW since" in result.detail


def test_too_few_fills_fail_the_trades_check_with_the_count(course):
    since = timezone.now()
    bob_sells_to_alice(course)

    result = only(grade(course, course.alice, check("trades", {"min": "3"}), since=since))

    assert not result.passed
    assert "You had 1 fill since" in result.detail
    assert "at least 3 needed" in result.detail


# --- max_position ---------------------------------------------------------------------------


def test_a_position_within_the_limit_passes_with_its_peak(course):
    since = timezone.now()
    bob_sells_to_alice(course)  # alice: 0.05 + 0.01 - 0.00001 fee

    result = only(
        grade(
            course, course.alice, check("max_position", {"asset": "BTC", "max": "0.1"}), since=since
        )
    )

    assert result.passed
    assert "Your BTC peaked at 0.05999 at" in result.detail
    assert "within the limit 0.10" in result.detail


def test_a_position_sold_again_before_submitting_still_fails_at_its_peak(course):
    since = timezone.now()
    bob_sells_to_alice(course)
    place_order(
        owner_id=course.bob.pk, market=course.btc, request=limit("BUY", "0.01", "100000000")
    )
    market_sell(course, course.alice)  # back under the limit by the time she submits

    result = only(
        grade(
            course,
            course.alice,
            check("max_position", {"asset": "BTC", "max": "0.055"}),
            since=since,
        )
    )

    assert not result.passed
    assert "Your BTC peaked at 0.05999 at" in result.detail
    assert "above the limit 0.055" in result.detail


def test_holding_too_much_when_the_exercise_opens_fails_max_position(course):
    since = timezone.now()

    result = only(
        grade(
            course,
            course.alice,
            check("max_position", {"asset": "KUSD", "max": "500"}),
            since=since,
        )
    )

    assert not result.passed
    assert "You already held 1,000.00 KUSD when the exercise opened" in result.detail
    assert "above the limit 500.00" in result.detail


# --- min_return_percent ---------------------------------------------------------------------


def test_a_return_above_the_minimum_passes_marked_at_the_exchanges_prices(course):
    since = timezone.now()
    bob_sells_to_alice(course)  # alice buys 0.01 BTC at 100,000,000 KRW
    print_price(course, "120000000")

    result = only(grade(course, course.alice, check("min_return_percent", "5"), since=since))

    # start: 10,000,000 KRW + 0.05 BTC at 100,000,000 (its first price after the start)
    # end: 9,000,000 KRW + 0.05999 BTC at 120,000,000 = 16,198,800: +7.992 %
    assert result.passed
    assert "worth 16,198,800.00 KRW when you submitted, against 15,000,000.00 KRW" in result.detail
    assert "a return of 7.99 %, at least the 5 % needed" in result.detail
    assert "ETH, KUSD had no trades on the exchange, so they count as worth 0" in result.detail


def test_a_return_below_the_minimum_fails(course):
    since = timezone.now()
    bob_sells_to_alice(course)
    print_price(course, "120000000")

    result = only(grade(course, course.alice, check("min_return_percent", "10"), since=since))

    assert not result.passed
    assert "a return of 7.99 %, below the 10 % needed" in result.detail


def test_a_wallet_reset_in_the_window_starts_the_return_over(course):
    since = timezone.now()
    bob_sells_to_alice(course)  # at 100,000,000
    print_price(course, "50000000")  # alice's BTC halves: a loss before the reset
    reset_wallet(offering_id=course.offering.pk, owner_id=course.alice.pk)

    result = only(grade(course, course.alice, check("min_return_percent", "0"), since=since))

    assert result.passed
    assert "after your wallet was reset or opened at" in result.detail
    assert "a return of 0.00 %" in result.detail


def test_a_top_up_in_the_window_is_a_deposit_not_a_gain(course):
    since = timezone.now()
    bob_sells_to_alice(course)
    issue(
        offering_id=course.offering.pk,
        owner_id=course.alice.pk,
        amounts={"KRW": D("1000000")},
        memo="top-up",
    )

    result = only(grade(course, course.alice, check("min_return_percent", "1"), since=since))

    assert not result.passed  # with the top-up counted as a gain it would be +6.6 %
    assert "a return of -0.01 %" in result.detail  # alice's taker fee: 0.00001 BTC
    assert "A top-up in between counts as a deposit, not a gain." in result.detail


def test_a_student_without_a_wallet_has_no_return_to_measure(course):
    carol = UserFactory(username="carol")
    EnrollmentFactory(offering=course.offering, user=carol)

    result = only(grade(course, carol, check("min_return_percent", "0"), since=timezone.now()))

    assert not result.passed
    assert "held nothing of value" in result.detail


# --- what is not the student's, or not in the window ----------------------------------------


def test_activity_before_the_window_opens_is_ignored(course):
    post_only_bid(course, course.alice)
    bob_sells_to_alice(course)
    since = timezone.now()

    outcome = grade(
        course,
        course.alice,
        check("placed_order", POST_ONLY_BID),
        check("trades", {"min": 1}),
        since=since,
    )

    assert [c.passed for c in outcome.checks] == [False, False]
    assert "You had 0 fills" in outcome.checks[1].detail


def test_activity_after_the_submission_is_ignored(course):
    since = timezone.now()
    submitted = timezone.now()
    post_only_bid(course, course.alice)
    bob_sells_to_alice(course)

    outcome = grade(
        course,
        course.alice,
        check("placed_order", POST_ONLY_BID),
        check("max_position", {"asset": "BTC", "max": "0.05"}),
        since=since,
        until=submitted,
    )

    assert [c.passed for c in outcome.checks] == [False, True]


def test_another_students_activity_is_ignored(course):
    since = timezone.now()
    post_only_bid(course, course.bob)
    bob_sells_to_alice(course)  # bob's fill, and alice's

    outcome = grade(
        course,
        course.alice,
        check("placed_order", POST_ONLY_BID),
        check("placed_order", {"side": "SELL"}),
        since=since,
    )

    assert [c.passed for c in outcome.checks] == [False, False]


def test_activity_in_another_offering_is_ignored(course):
    other = OfferingFactory(course=course.offering.course)
    other_btc = {m.symbol: m for m in list_default_markets(offering_id=other.pk)}["BTCKRW"]
    open_wallet(offering_id=other.pk, owner_id=course.alice.pk)
    since = timezone.now()
    place_order(
        owner_id=course.alice.pk,
        market=other_btc,
        request=OrderRequest(
            side="BUY", type="LIMIT_MAKER", quantity=D("0.01"), price=D("90000000")
        ),
    )

    result = only(grade(course, course.alice, check("placed_order", POST_ONLY_BID), since=since))

    assert not result.passed
    assert "You placed 0 LIMIT_MAKER buy orders" in result.detail


def test_a_market_the_offering_does_not_list_makes_grading_error_for_the_instructor(course):
    with pytest.raises(GradingError, match="DOGEKRW"):
        grade(
            course,
            course.alice,
            check("trades", {"symbol": "DOGEKRW", "min": 1}),
            since=timezone.now(),
        )


# --- the spec -------------------------------------------------------------------------------

VALID = {
    "checks": [
        check("placed_order", POST_ONLY_BID),
        check("trades", {"symbol": "ETHKRW", "min": 3}),
        check("max_position", {"asset": "BTC", "max": "0.5"}),
        check("min_return_percent", "2"),
        check("placed_order", None),
    ]
}


def problems(spec):
    return trading_grader.validate_spec(spec, languages=["en", "ko"], files={})


def test_a_spec_using_every_check_is_valid():
    assert problems(VALID) == []


def with_second(kind, body) -> dict:
    return {"checks": [check("trades", {"min": 1}), check(kind, body)]}


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        ({"checks": []}, ("checks",)),
        ({}, ("checks",)),
        ({"checks": [{"name": "x"}]}, ("checks", 0)),
        (
            {"checks": [{"name": "x", "trades": {"min": 1}, "min_return_percent": "1"}]},
            ("checks", 0),
        ),
        ({"checks": [{"trades": {"min": 1}}]}, ("checks", 0, "name")),
        ({"checks": [{"name": {"en": "x"}, "trades": {"min": 1}}]}, ("checks", 0, "name")),
        (
            {"checks": [{**check("trades", {"min": 1}), "max_positon": {}}]},
            ("checks", 0, "max_positon"),
        ),
        (
            with_second("placed_order", {"symbol": "btckrw"}),
            ("checks", 1, "placed_order", "symbol"),
        ),
        (with_second("placed_order", {"side": "LONG"}), ("checks", 1, "placed_order", "side")),
        (with_second("placed_order", {"type": "ICEBERG"}), ("checks", 1, "placed_order", "type")),
        (with_second("placed_order", {"rested": "yes"}), ("checks", 1, "placed_order", "rested")),
        (
            with_second("placed_order", {"type": "MARKET", "rested": True}),
            ("checks", 1, "placed_order", "rested"),
        ),
        (with_second("placed_order", {"price": "1"}), ("checks", 1, "placed_order", "price")),
        (with_second("trades", {"min": 0}), ("checks", 1, "trades", "min")),
        (with_second("trades", {"min": True}), ("checks", 1, "trades", "min")),
        (with_second("trades", {}), ("checks", 1, "trades", "min")),
        (
            with_second("max_position", {"asset": "btc", "max": "1"}),
            ("checks", 1, "max_position", "asset"),
        ),
        (
            with_second("max_position", {"asset": "BTC", "max": 0.5}),
            ("checks", 1, "max_position", "max"),
        ),
        (
            with_second("max_position", {"asset": "BTC", "max": "-1"}),
            ("checks", 1, "max_position", "max"),
        ),
        (with_second("max_position", {"asset": "BTC"}), ("checks", 1, "max_position", "max")),
        (with_second("min_return_percent", "lots"), ("checks", 1, "min_return_percent")),
        (with_second("min_return_percent", "-100"), ("checks", 1, "min_return_percent")),
    ],
)
def test_each_problem_in_a_spec_is_reported_at_its_path(spec, path):
    assert path in [problem.path for problem in problems(spec)]


def test_a_localised_hint_must_have_every_language():
    spec = {"checks": [{**check("trades", {"min": 1}), "hint": {"en": "Trade more."}}]}

    assert [p.path for p in problems(spec)] == [("checks", 0, "hint")]


SHIPPED = sorted(
    path
    for path in (Path(settings.BASE_DIR) / "courses" / "catalog").rglob("*.yaml")
    if "kind: trading" in path.read_text(encoding="utf-8")
)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_the_shipped_trading_exercises_are_valid(path):
    exercise = yaml.safe_load(path.read_text(encoding="utf-8"))

    assert problems(exercise["spec"]) == []


# --- the exercise page's part ---------------------------------------------------------------


def test_the_workspace_shows_the_window_the_checks_and_where_to_trade(course):
    exercise = exercise_for(
        course.offering,
        check("placed_order", POST_ONLY_BID, name="Rest a post-only bid"),
        check("max_position", {"asset": "KUSD", "max": "1500"}, name="Stay small"),
    )
    opens = timezone.now().replace(microsecond=0)
    Deadline.objects.create(offering=course.offering, exercise=exercise, opens_at=opens)

    workspace = trading_grader.workspace(
        exercise=exercise, offering=course.offering, user=course.alice
    )
    page = render_to_string(trading_grader.form_template, {**workspace, "submit_url": "/go/"})

    assert workspace["window_start"] == opens
    assert workspace["trading_url"] == reverse(
        "sandbox-trade", args=[course.offering.slug, "BTCKRW"]
    )
    assert "Rest a post-only bid" in page
    assert "Never more than 1,500 KUSD held" in page
    assert f'href="{workspace["api_keys_url"]}"' in page
    assert 'action="/go/"' in page
    assert "Check my trading" in page


def test_the_check_button_is_disabled_when_the_student_cannot_submit(course):
    exercise = exercise_for(course.offering, check("trades", {"min": 1}))
    workspace = trading_grader.workspace(
        exercise=exercise, offering=course.offering, user=course.alice
    )

    closed = render_to_string(trading_grader.form_template, {**workspace, "can_submit": False})
    open_ = render_to_string(trading_grader.form_template, {**workspace, "can_submit": True})

    assert 'class="button primary" disabled' in closed
    assert "disabled" not in open_


# --- end to end -----------------------------------------------------------------------------


def test_a_submitted_trading_attempt_is_graded_from_the_exchange(course):
    exercise = exercise_for(
        course.offering,
        check("placed_order", POST_ONLY_BID),
        check("trades", {"symbol": "BTCKRW", "min": 1}),
    )
    Deadline.objects.create(offering=course.offering, exercise=exercise, opens_at=timezone.now())
    post_only_bid(course, course.alice, price="100000000")
    market_sell(course, course.bob)
    attempt = attempts.submit_attempt(
        offering=course.offering, exercise=exercise, user=course.alice, data={}
    )

    graded = attempts.grade(attempt.pk)

    assert graded.status == Attempt.Status.PASSED
    assert [c["passed"] for c in graded.feedback] == [True, True]
    assert "You had 1 fill on BTCKRW" in graded.feedback[1]["detail"]


def test_a_trading_attempt_with_nothing_done_fails_with_the_hint(course):
    exercise = exercise_for(
        course.offering, check("trades", {"min": 1}, hint={"en": "Buy some.", "ko": "사세요."})
    )
    Deadline.objects.create(offering=course.offering, exercise=exercise, opens_at=timezone.now())
    attempt = attempts.submit_attempt(
        offering=course.offering, exercise=exercise, user=course.alice, data={}
    )

    graded = attempts.grade(attempt.pk)

    assert graded.status == Attempt.Status.FAILED
    assert graded.feedback[0]["hint"] == {"en": "Buy some.", "ko": "사세요."}
    assert "You had 0 fills" in graded.feedback[0]["detail"]
