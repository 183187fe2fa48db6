"""Wall-clock timing for the benchmarks: median and range over repeats."""

from __future__ import annotations

import statistics
import time


def median_seconds(fn, repeat: int) -> tuple[float, float, float]:
    """Run ``fn()`` ``repeat`` times; return ``(median, fastest, slowest)`` in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)
