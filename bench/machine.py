"""The line every benchmark prints first, naming the machine its figures came from."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def machine_line() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"machine: {os.cpu_count()} cores, {model}, Python {platform.python_version()}"


MACHINE_MEMORY_GIB = 24  # the machine kind's memory setting (see the env notes)


def rss_mb(pid: int) -> float:
    """A process's resident memory, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def chains_per_machine(mb_each: float) -> int:
    """How many chains of `mb_each` fit in this machine kind's memory, a fifth kept back for
    the site, the database and the chain host itself."""
    return int(MACHINE_MEMORY_GIB * 1024 * 0.8 / mb_each)
