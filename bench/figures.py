"""What the benchmarks compute from their samples."""


def percentile(samples: list[float], share: float) -> float:
    """The sample at `share` (0.95 for p95) of the sorted samples, nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
