"""Price models are pure and seeded: the same seed gives the same path, and each behaves as its
name says."""

import itertools
import math
import statistics
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.markets.pricemodels import (
    GeometricBrownian,
    JumpDiffusion,
    MeanReverting,
    tick_random,
    to_tick,
    with_changes,
)
from sandbox.markets.replay import PriceSeriesError, parse_price_csv


def path(model, start: float, ticks: int, seed: int = 7, market: str = "BTCKRW") -> list[float]:
    prices = [start]
    for tick in range(1, ticks + 1):
        prices.append(model.step(prices[-1], 1.0, tick_random(seed, market, tick)))
    return prices


@given(seed=st.integers(min_value=0, max_value=2**32))
def test_the_same_seed_gives_the_same_path_and_another_seed_another(seed):
    model = JumpDiffusion()

    assert path(model, 100.0, 50, seed) == path(model, 100.0, 50, seed)
    assert path(model, 100.0, 50, seed) != path(model, 100.0, 50, seed + 1)


def test_a_tick_sees_the_same_randomness_whatever_came_before_it():
    model = GeometricBrownian(volatility=0.8)

    from_tick_ten = model.step(123.0, 1.0, tick_random(1, "ETHKRW", 10))

    assert from_tick_ten == model.step(123.0, 1.0, tick_random(1, "ETHKRW", 10))
    assert from_tick_ten != model.step(123.0, 1.0, tick_random(1, "BTCKRW", 10))


def test_geometric_brownian_log_returns_have_the_volatility_asked_for():
    model = GeometricBrownian(drift=0.0, volatility=0.5, time_scale=3600)
    prices = path(model, 100.0, 4000)

    returns = [math.log(b / a) for a, b in itertools.pairwise(prices)]
    per_step = 0.5 * math.sqrt(3600 / (365 * 24 * 3600))

    assert statistics.stdev(returns) == pytest.approx(per_step, rel=0.08)
    assert all(p > 0 for p in prices)


def test_a_mean_reverting_price_returns_to_its_target_after_a_shock():
    model = MeanReverting(target=1400.0, speed=20_000.0, volatility=0.01)

    prices = path(model, 1000.0, 300)

    assert prices[-1] == pytest.approx(1400.0, rel=0.02)


def test_a_scenario_can_move_the_peg_and_the_price_follows():
    pegged = MeanReverting(target=1400.0, speed=20_000.0, volatility=0.01)
    depegged = with_changes(pegged, target=700.0, volatility=0.2)

    prices = path(depegged, 1400.0, 300)

    assert depegged.target == 700.0 and pegged.target == 1400.0
    assert prices[-1] == pytest.approx(700.0, rel=0.15)


def test_jumps_happen_about_as_often_as_asked():
    model = JumpDiffusion(
        diffusion=GeometricBrownian(volatility=0.0001, time_scale=3600),
        jumps_per_year=365 * 24,  # one an hour: one a tick on average at this time scale
        jump_mean=-0.2,
        jump_volatility=0.01,
    )
    prices = path(model, 100.0, 400)

    jumps = sum(1 for a, b in itertools.pairwise(prices) if b / a < 0.9)

    assert 0.5 * 400 * (1 - math.exp(-1)) < jumps < 1.5 * 400 * (1 - math.exp(-1))


def test_changing_an_unknown_parameter_is_refused():
    with pytest.raises(TypeError):
        with_changes(GeometricBrownian(), peg=1.0)


def test_prices_are_put_on_the_markets_tick_grid_as_decimals():
    assert to_tick(100_123_456.7, Decimal("1000")) == Decimal("100123000")
    assert to_tick(1400.04, Decimal("0.1")) == Decimal("1400.0")
    assert to_tick(0.0001, Decimal("0.1")) == Decimal("0.1")  # never zero


def test_a_replay_gives_the_last_recorded_price_at_each_moment():
    replay = parse_price_csv("timestamp,price\n0,100\n10,110\n20,90\n")

    assert [replay.price_at(t) for t in (0, 5, 10, 19.9, 20, 99)] == [100, 100, 110, 110, 90, 90]


def test_a_replay_reads_iso_timestamps_as_seconds_from_the_first_row():
    replay = parse_price_csv("2022-05-09T00:00:00Z,1.0\n2022-05-09T00:01:00Z,0.95\n")

    assert replay.points == ((0.0, 1.0), (60.0, 0.95))


def test_a_bad_price_series_reports_every_problem_with_its_line():
    text = "timestamp,price\n0,100\n10,abc\n0,100\n20,-3\n30\n"

    with pytest.raises(PriceSeriesError) as refused:
        parse_price_csv(text)

    assert [line for line, _ in refused.value.problems] == [3, 4, 5, 6]
    assert "not a number" in refused.value.problems[0][1]
    assert "increase" in refused.value.problems[1][1]
    assert "positive" in refused.value.problems[2][1]
    assert "2 columns" in refused.value.problems[3][1]


def test_a_series_needs_two_rows():
    with pytest.raises(PriceSeriesError, match="at least two rows"):
        parse_price_csv("timestamp,price\n0,100\n")
