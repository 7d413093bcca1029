"""What the benchmarks compute from their samples."""


def percentile(samples: list[float], share: float) -> float:
    """The sample at `share` (0.95 for p95) of the sorted samples, nearest rank (NaN if none)."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
