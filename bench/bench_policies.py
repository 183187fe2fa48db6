"""Benchmark of ``frontier`` (issue 5): K = 1e6 outcomes, 50 values of n.

Run ``python bench/bench_policies.py`` (``--quick``: K = 2e4, 20 values of n, one
repeat, well under a minute: a smoke run for CI that asserts nothing about speed).
Prints a machine line, the peak memory of one ``frontier`` call next to its input,
and markdown tables: the median wall time of ``frontier`` over repeats, and the same
computation split into its parts (sorting and merging, best-of-n for all n,
rewind-and-repeat, the two tilt solves) so the share of the tilt solves is visible.

Baseline: what a user would write for one tilt solve, ``scipy.optimize.brentq``
on log beta with a NumPy log-sum-exp KL (one O(K) NumPy evaluation per
iteration), timed on a few targets and reported per target next to ours.
"""

from __future__ import annotations

import argparse
import math
import resource
import statistics
import time
import tracemalloc

import numpy as np
from scipy.optimize import brentq

from _machine import machine_line
from bonkl_fast._levels import prepare_levels
from bonkl_fast.policies import _frontier, _rewind, _tilt_solve
from bonkl_fast.policies._levels import _scaled_rewards, _Tilt, _win_scores


def references(size, rng):
    return {
        "Dirichlet(1), normal rewards": (rng.dirichlet(np.ones(size)), rng.normal(size=size)),
        "uniform, distinct rewards": (
            np.full(size, 1.0 / size),
            rng.permutation(size).astype(float),
        ),
        "Dirichlet(0.3), rewards rounded (ties)": (
            rng.dirichlet(np.full(size, 0.3)),
            np.round(rng.normal(size=size), 3),
        ),
    }


def parts(probs, rewards, ns):
    """frontier's steps, timed one by one (the calls of policies._frontier.frontier_of_levels)."""
    clock = {}
    start = time.perf_counter()
    levels = prepare_levels(probs, rewards, order_only=False)
    clock["sort + merge levels"] = time.perf_counter() - start

    start = time.perf_counter()
    reward, _ = _scaled_rewards(levels)
    bon = _frontier._best_of_n(levels, ns, reward)
    clock["best-of-n, all n (one pass)"] = time.perf_counter() - start
    saturation = levels.saturation
    bon_kl = np.minimum(np.maximum(bon[0], 0.0), saturation)

    start = time.perf_counter()
    _rewind._rewind_for_frontier(levels, ns, bon_kl, _win_scores(levels), reward)
    clock["rewind-and-repeat (cost and equal KL)"] = time.perf_counter() - start

    for kind in ("win_rate", "reward"):
        start = time.perf_counter()
        _tilt_solve._tilts_at(_Tilt.build(levels, kind), bon_kl, saturation)
        clock[f"{kind} tilt solve ({ns.size} targets)"] = time.perf_counter() - start
    return clock, bon_kl, levels


def numpy_tilt_solve(levels, kind, target):
    """brentq on log beta, each step a NumPy log-sum-exp KL over all levels."""
    q = levels.mass
    score = levels.cum - 0.5 * q if kind == "win_rate" else levels.reward
    score = score - score.max()
    log_q = np.log(q)

    def excess(log_beta):
        log_w = log_q + math.exp(log_beta) * score
        top = log_w.max()
        log_z = top + math.log(np.sum(np.exp(log_w - top)))
        w = np.exp(log_w - log_z)
        return float(np.sum(w * (log_w - log_z - log_q))) - target

    return brentq(excess, -30.0, 40.0, xtol=1e-14, rtol=1e-15)


def peak_memory_line(probs, rewards, ns) -> str:
    """Peak NumPy memory of one frontier call (tracemalloc sees NumPy's allocations,
    not Numba's: the kernels allocate only O(len(ns)) and per-chunk sums) next to its
    input, and the process's peak resident set so far."""
    tracemalloc.start()
    _frontier.frontier(probs, rewards, ns)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    input_bytes = probs.nbytes + rewards.nbytes
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    return (
        f"peak memory of one frontier call: {peak / 2**20:.1f} MB of NumPy arrays "
        f"({peak / input_bytes:.1f}x its {input_bytes / 2**20:.1f} MB input); "
        f"process peak RSS {rss / 2**20:.0f} MB\n"
    )


def median(values):
    return statistics.median(values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="K = 2e4, 20 values of n, 1 repeat (CI smoke run)"
    )
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    size = 2 * 10**4 if args.quick else 10**6
    repeats = args.repeats or (1 if args.quick else 5)
    rng = np.random.default_rng(20261127)
    ns = np.unique(np.round(np.logspace(0, 6, 61)))[: 20 if args.quick else 50].astype(float)
    print(machine_line())
    print(
        f"K = {size:.0e}, {ns.size} values of n from {ns[0]:g} to {ns[-1]:g}, "
        f"median of {repeats} repeats\n"
    )

    warm = references(200, np.random.default_rng(0))
    for p, r in warm.values():
        _frontier.frontier(p, r, ns)
    print(
        peak_memory_line(
            *references(size, np.random.default_rng(1))["Dirichlet(1), normal rewards"], ns
        )
    )

    rows = []
    part_tables = []
    for name, (p, r) in references(size, rng).items():
        totals = []
        clocks = []
        for _ in range(repeats):
            start = time.perf_counter()
            _frontier.frontier(p, r, ns)
            totals.append(time.perf_counter() - start)
            clocks.append(parts(p, r, ns)[0])
        clock = {key: median([c[key] for c in clocks]) for key in clocks[0]}
        tilt = sum(v for k, v in clock.items() if "tilt" in k)
        parts_total = sum(clock.values())
        _, bon_kl, levels = parts(p, r, ns)
        targets = bon_kl[(bon_kl > 0) & (bon_kl < 0.0 - math.log(levels.p_top) * (1 - 1e-13))]
        picks = targets[np.linspace(0, targets.size - 1, 3).astype(int)]
        naive = []
        for kind in ("win_rate", "reward"):
            for target in picks:
                start = time.perf_counter()
                numpy_tilt_solve(levels, kind, float(target))
                naive.append(time.perf_counter() - start)
        ours_per_target = tilt / (2 * ns.size)
        rows.append(
            (
                name,
                levels.mass.size,
                median(totals),
                tilt,
                tilt / parts_total,
                ours_per_target,
                median(naive),
            )
        )
        part_tables.append((name, clock, parts_total))

    print(
        "| reference | levels | frontier (median) | tilt solves | tilt share | "
        "tilt solve per target | NumPy+brentq per target | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, levels_count, total, tilt, share, ours, naive in rows:
        print(
            f"| {name} | {levels_count:,} | {total:.2f} s | {tilt:.2f} s | {share:.0%} | "
            f"{ours * 1e3:.1f} ms | {naive * 1e3:.0f} ms | {naive / ours:.1f}x |"
        )
    for name, clock, parts_total in part_tables:
        print(f"\nparts, {name} (medians; sum {parts_total:.2f} s)\n")
        print("| part | time | share |")
        print("|---|---|---|")
        for key, value in clock.items():
            print(f"| {key} | {value:.3f} s | {value / parts_total:.0%} |")


if __name__ == "__main__":
    main()
