"""The scenarios shipped with the platform (`sandbox/markets/scenarios/*.yaml`), by slug."""

from __future__ import annotations

import functools
from pathlib import Path

from sandbox.markets.scenario import Scenario, load_scenario

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"


@functools.cache
def shipped_scenarios() -> dict[str, tuple[Scenario, str]]:
    """{slug: (scenario, its YAML text)}, validated once per process."""
    return {
        path.stem: (load_scenario(path.read_text()), path.read_text())
        for path in sorted(SCENARIO_DIR.glob("*.yaml"))
    }
