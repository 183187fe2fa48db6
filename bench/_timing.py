"""Timing for the benchmarks: median and range over repeats, wall and CPU seconds."""

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


def cpu_and_wall(call, repeat: int) -> tuple[list[float], list[float]]:
    """CPU and wall seconds of ``repeat`` runs of ``call()`` (no warm-up run)."""
    cpu, wall = [], []
    for _ in range(repeat):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        call()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    return cpu, wall
