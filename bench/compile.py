"""Solidity compile times: cold through py-solc-x (a Node start per compile) and warm through
the persistent compiler the studio uses, on the 60-line CampusToken that imports OpenZeppelin's
ERC20 and Ownable, and on a self-contained 100-line contract.

    python bench/compile.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campus.settings")

import django  # noqa: E402

django.setup()

import solcx  # noqa: E402

from bench.machine import machine_line  # noqa: E402
from sandbox.chain.compiler import SOLC_ADAPTOR, WarmCompiler, standard_input  # noqa: E402

TOKEN = (ROOT / "sandbox" / "chain" / "contracts" / "CampusToken.sol").read_text()


def hundred_line_contract(n: int) -> str:
    """A self-contained contract of about 100 lines; `n` changes it so no cache can help."""
    functions = "\n".join(
        f"    function f{i}(uint256 a) external returns (uint256) {{\n"
        f"        total += a * {i + n};\n        emit Changed({i}, total);\n        return total;\n    }}\n"
        for i in range(18)
    )
    return (
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.20;\n"
        f"contract Counter{n} {{\n    uint256 public total;\n    event Changed(uint256 which, uint256 total);\n"
        f"{functions}}}\n"
    )


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    print(machine_line(), flush=True)
    cold = [
        timed(
            lambda: solcx.compile_standard(
                standard_input({"T.sol": TOKEN}), solc_binary=SOLC_ADAPTOR
            )
        )
        for _ in range(3)
    ]
    print(f"solc_cold_compile_token_ms: {median_ms(cold):.0f} ms")
    warm = WarmCompiler()
    started = time.perf_counter()
    warm.compile({"A.sol": "pragma solidity ^0.8.0; contract A {}"})
    print(f"solc_warm_start_ms: {(time.perf_counter() - started) * 1000:.0f} ms")
    token = [timed(lambda: warm.compile({"T.sol": TOKEN})) for _ in range(runs)]
    print(f"solc_warm_compile_token_ms: {median_ms(token):.0f} ms")
    plain = [
        timed(lambda n=n: warm.compile({"C.sol": hundred_line_contract(n)})) for n in range(runs)
    ]
    print(f"solc_warm_compile_100_lines_ms: {median_ms(plain):.0f} ms")
    print(f"solc_warm_compile_100_lines_max_ms: {max(plain) * 1000:.0f} ms")
    warm.close()


if __name__ == "__main__":
    main()
