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
