"""Benchmark of the Monte Carlo layer (issue 3): prints markdown tables and the machine line.

    python bench/bench_sampling.py            # full run, a few minutes on 2 cores
    python bench/bench_sampling.py --quick    # small sizes, under a minute (CI runs it)
    python bench/bench_sampling.py --threads 1   # one Numba thread (the NumPy side is serial)
    python bench/bench_sampling.py --memory   # only the peak-memory table (K = 1e6 and 1e7)

Timings are medians of repeats after a warm-up call (compilation excluded; the cold
and warm-cache first-call times are measured separately in fresh processes).

* draws/s of ``sample_best_of_n`` for K in {10, 1e4, 1e6} and n in {2, 1e3, 1e9};
* the same against the NumPy way a user writes at n = 1000,
  ``rng.choice(K, size=(M, n), p=probs)`` then the argmax of the rewards along rows. The
  NumPy side draws M * n reference samples, so it runs with a smaller M and the
  comparison is per best-of-n draw (draws/s on both sides);
* ``simulate_best_of_n`` on K = 1e5 with 1e6 draws: wall time;
* ``method="direct"`` against the NumPy way at n in {4, 64}, same M on both sides;
* peak memory of ``simulate_best_of_n``, ``sample_best_of_n`` and ``Reference(...)`` at
  K = 1e6 and 1e7 (1e6 only with ``--quick``) against the size of their input and output.

Nothing here asserts anything about speed; ``--quick`` only checks that it runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial

import numba
import numpy as np

from _machine import machine_line
from _memory import peak_extra
from bonkl_fast import Reference
from bonkl_fast.sampling import sample_best_of_n
from bonkl_fast.simulation import simulate_best_of_n

KS = (10, 10_000, 1_000_000)
NS = (2, 1000, 10**9)


def median_time(fn, repeats: int) -> float:
    fn()  # warm-up (compilation, caches)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def reference(k: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(k))
    return probs, rng.permutation(k).astype(np.float64)  # distinct rewards, unsorted


def numpy_best_of_n(probs, rewards, n, m, rng):
    picks = rng.choice(probs.shape[0], size=(m, n), p=probs)
    return picks[np.arange(m), rewards[picks].argmax(axis=1)]


def fmt_rate(x: float) -> str:
    return f"{x / 1e6:.2f} M/s" if x >= 1e6 else f"{x / 1e3:.2f} k/s"


def bench_throughput(ks, draws: int, numpy_m: int, repeats: int) -> list[str]:
    rows = [
        f"| K | setup per call | n = 2 | n = 1e3 | n = 1e9 | n=1e9 / n=2 "
        f"| NumPy, n = 1e3 (M = {numpy_m:,}) | speed-up at n = 1e3 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for k in ks:
        probs, rewards = reference(k)
        setup = median_time(partial(sample_best_of_n, probs, rewards, 2, 1, rng=1), repeats)
        rates = {}
        for n in NS:
            call = partial(sample_best_of_n, probs, rewards, n, draws, rng=1)
            rates[n] = draws / median_time(call, repeats)
        rng = np.random.default_rng(2)
        call = partial(numpy_best_of_n, probs, rewards, 1000, numpy_m, rng)
        np_rate = numpy_m / median_time(call, repeats)
        rows.append(
            f"| {k:.0e} | {setup * 1e3:.1f} ms | {fmt_rate(rates[2])} | {fmt_rate(rates[1000])} "
            f"| {fmt_rate(rates[10**9])} | {rates[10**9] / rates[2]:.2f}x | {fmt_rate(np_rate)} "
            f"| {rates[1000] / np_rate:,.0f}x |"
        )
    return rows


def bench_simulate(k: int, draws: int, repeats: int) -> list[str]:
    probs, rewards = reference(k)
    rows = [
        f"| simulate_best_of_n, K = {k:.0e}, {draws:.0e} draws | n = 2 | n = 1e3 | n = 1e9 |",
        "|---|---|---|---|",
    ]
    cells = []
    for n in NS:
        t = median_time(partial(simulate_best_of_n, probs, rewards, n, draws, rng=3), repeats)
        cells.append(f"{t * 1e3:.0f} ms")
    rows.append("| wall time (inverse) | " + " | ".join(cells) + " |")
    return rows


def bench_memory(ks, draws: int) -> list[str]:
    """Peak memory above the resident size before the call, against input and output.

    Input: probs + rewards (16 bytes per outcome); output: the int64 draws of
    ``sample_best_of_n`` (none for the others). A warm-up on 2e5 outcomes first
    compiles every kernel the large calls use, so no compiler memory is counted.
    """
    probs, rewards = reference(200_000)
    for fn in (simulate_best_of_n, sample_best_of_n):
        fn(probs, rewards, 1000, 10, rng=0)
    Reference(probs, rewards)
    rows = [
        "| peak memory | K | peak above start | input + output | ratio |",
        "|---|---|---|---|---|",
    ]
    for k in ks:
        probs, rewards = reference(k)
        data = probs.nbytes + rewards.nbytes
        cases = [
            (f"simulate_best_of_n, n = 1e3, {draws:.0e} draws", simulate_best_of_n, 0),
            (f"sample_best_of_n, n = 1e3, {draws:.0e} draws", sample_best_of_n, 8 * draws),
            ("Reference(probs, rewards)", None, 0),
        ]
        for label, fn, out_bytes in cases:
            call = partial(Reference, probs, rewards)
            if fn is not None:
                call = partial(fn, probs, rewards, 1000, draws, rng=0)
            result, extra, exact = peak_extra(call)
            del result
            note = "" if exact else " (process peak: includes loading)"
            rows.append(
                f"| {label}{note} | {k:.0e} | {extra / 2**20:.0f} MB "
                f"| {(data + out_bytes) / 2**20:.0f} MB | {extra / (data + out_bytes):.2f}x |"
            )
    return rows


def bench_direct(m: int, repeats: int) -> list[str]:
    rows = [
        f"| K | n | direct (M = {m:,}) | NumPy choice + argmax (same M) | direct / NumPy |",
        "|---|---|---|---|---|",
    ]
    for k in (10, 10_000):
        probs, rewards = reference(k)
        for n in (4, 64):
            call = partial(sample_best_of_n, probs, rewards, n, m, rng=4, method="direct")
            t = median_time(call, repeats)
            rng = np.random.default_rng(5)
            t_np = median_time(partial(numpy_best_of_n, probs, rewards, n, m, rng), repeats)
            rows.append(
                f"| {k:.0e} | {n} | {fmt_rate(m / t)} | {fmt_rate(m / t_np)} "
                f"| {t_np / t:.1f}x faster |"
            )
    return rows


COLD_SCRIPT = """
import time
start = time.perf_counter()
import numpy as np
from _machine import machine_line
from _memory import peak_extra
from bonkl_fast.sampling import sample_best_of_n
from bonkl_fast.simulation import simulate_best_of_n
imported = time.perf_counter()
sample_best_of_n([0.5, 0.3, 0.2], [1.0, 2.0, 3.0], 4, 10, rng=0)
sampled = time.perf_counter()
simulate_best_of_n([0.5, 0.3, 0.2], [1.0, 2.0, 3.0], 4, 10, rng=0)
simulated = time.perf_counter()
print(imported - start, sampled - imported, simulated - sampled)
"""


def bench_first_call() -> list[str]:
    """Import and first calls in fresh processes: empty Numba cache, then warm cache."""
    rows = [
        "| fresh process | import | first sample_best_of_n | first simulate_best_of_n |",
        "|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("cold Numba cache", "warm Numba cache"):
            out = subprocess.run(
                [sys.executable, "-c", COLD_SCRIPT],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            a, b, c = (float(x) for x in out.split())
            rows.append(f"| {label} | {a:.2f} s | {b:.2f} s | {c:.2f} s |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--threads", type=int, default=None, help="Numba threads (default: all)")
    parser.add_argument("--memory", action="store_true", help="only the peak-memory table")
    args = parser.parse_args()
    if args.threads is not None:
        numba.set_num_threads(args.threads)
    repeats = 3 if args.quick else 5
    draws = 200_000 if args.quick else 4_000_000
    numpy_m = 200 if args.quick else 2_000
    print(machine_line())
    print(f"load average at start: {os.getloadavg()[0]:.2f} (the machine may be shared)")
    memory_ks = (10**6,) if args.quick else (10**6, 10**7)
    if args.memory:
        print("\n".join(bench_memory(memory_ks, 10**6)))
        return
    print(f"\nsample_best_of_n draws/s: medians of {repeats} calls of {draws:,} draws (inverse")
    print("method), each call including its setup (validation, sort by reward, tables); NumPy")
    print("side: per best-of-n draw, with the smaller M given in its column\n")
    ks = KS[:2] if args.quick else KS
    print("\n".join(bench_throughput(ks, draws, numpy_m, repeats)))
    print()
    if args.quick:
        print("\n".join(bench_simulate(10_000, 100_000, repeats)))
    else:
        print("\n".join(bench_simulate(100_000, 10**6, repeats)))
    print()
    print("\n".join(bench_direct(5_000 if args.quick else 100_000, repeats)))
    print()
    print("\n".join(bench_memory(memory_ks, 10**6)))
    print()
    if args.quick:
        print("(first-call times in fresh processes: full run only, they compile every kernel)")
    else:
        print("\n".join(bench_first_call()))


if __name__ == "__main__":
    main()
