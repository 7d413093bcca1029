"""Scenario scripts: the shipped ones load, and a bad script reports every problem with its place."""

import pytest

from sandbox.markets.pricemodels import JumpDiffusion, MeanReverting
from sandbox.markets.scenario import ScenarioError, load_scenario
from tests.sandbox.markets.scripts import SHIPPED

GOOD = """
title: Test
duration: 100
markets:
  KUSDKRW: {model: mean_reverting, start: 1400, speed: 2000, volatility: 0.01}
bots:
  - {kind: noise, market: KUSDKRW, orders_per_tick: 2, size: "10"}
events:
  - {at: 0, announce: Open}
  - {at: 50, model: {KUSDKRW: {target: 1000}}, halt: [KUSDKRW]}
"""


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_loads_with_teaching_notes_and_announcements(path):
    scenario = load_scenario(path.read_text())

    assert len(scenario.teaching_notes) > 500
    assert scenario.bots and scenario.events
    assert all(event.at <= scenario.duration for event in scenario.events)
    assert sum(1 for event in scenario.events if event.announce) >= 4


def test_the_three_worked_scenarios_are_shipped():
    assert {p.stem for p in SHIPPED} >= {"stablecoin-depeg", "exchange-run", "flash-crash"}


def test_a_good_script_becomes_models_bots_and_events():
    scenario = load_scenario(GOOD)

    model = scenario.markets["KUSDKRW"].model
    assert isinstance(model, MeanReverting) and model.target == 1400.0  # defaults to the start
    assert scenario.bots[0].params == {"orders_per_tick": 2, "size": 10}
    assert scenario.events[1].model == {"KUSDKRW": {"target": 1000.0}}
    assert scenario.events[1].halt == ("KUSDKRW",)


def test_jump_diffusion_takes_its_diffusions_parameters_too():
    text = GOOD.replace(
        "mean_reverting, start: 1400, speed: 2000, volatility: 0.01",
        "jump_diffusion, start: 1400, volatility: 0.2, jumps_per_year: 5",
    ).replace("{target: 1000}", "{jump_mean: -0.1}")

    model = load_scenario(text).markets["KUSDKRW"].model

    assert isinstance(model, JumpDiffusion)
    assert (model.diffusion.volatility, model.jumps_per_year) == (0.2, 5.0)


def test_a_bad_script_reports_every_problem_with_its_place():
    text = """
title: Broken
duration: 100
markets:
  KUSDKRW: {model: mean_reverting, start: -5, peg: 3}
  BTCKRW: {model: gbm, start: 100}
bots:
  - {kind: arbitrageur, market: BTCKRW}
  - {kind: noise, market: ETHKRW, orders_per_tick: 1, size: "1"}
  - {kind: noise, market: BTCKRW, orders_per_tick: 0, size: "1"}
events:
  - {at: 50, announce: later}
  - {at: 10, model: {BTCKRW: {volatility: abc}}}
  - {at: 20, halt: [DOGEKRW], surprise: 1}
"""
    with pytest.raises(ScenarioError) as refused:
        load_scenario(text)

    places = [where for where, _ in refused.value.problems]
    assert "markets.KUSDKRW.start" in places
    assert "markets.KUSDKRW" in places  # the unknown parameter "peg"
    assert "bots[0].kind" in places
    assert "bots[1].market" in places
    assert "bots[2].orders_per_tick" in places
    assert "events[1].at" in places  # out of order
    assert "events[1].model.BTCKRW.volatility" in places
    assert "events[2].halt" in places and "events[2]" in places


def test_invalid_yaml_names_its_line():
    with pytest.raises(ScenarioError) as refused:
        load_scenario("title: x\nmarkets: {a: [}\n")

    assert refused.value.problems[0][0].startswith("line ")
