"""Benchmark of the exact core (issues 2 and 9) against the NumPy code a user would write.

Run ``python bench/bench_exact.py`` (about 5 minutes on 2 cores), ``--quick`` for
sizes 10x smaller (under a minute, for CI; it asserts nothing about speed),
``--markdown`` for the tables only (the README's), ``--cold`` to add a cold-cache
start-up (every kernel compiles, about a minute).

Every row times both sides on the same data in the same run, alternating, and
prints the median time, the median ratio and its range over the repeats. The
baseline is the FASTER of the two plain NumPy versions a user writes (both are
printed): ``np.where(w > 0, w * log(w / q), 0).sum()`` and the masked
``w = F**n - G**n; m = w > 0; sum(w[m] * log(w[m] / q[m]))``, after
``np.argsort`` for unsorted input. bonkl_fast runs the public functions,
validation included (``assume_sorted=True`` on the presorted rows).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import bonkl_fast as bk
from _machine import machine_line
from _memory import peak_extra


def numpy_kl_where(probs, rewards, n, presorted):
    """User version 1: sort, cumsum, F**n - G**n, np.where over the log terms."""
    if not presorted:
        probs = probs[np.argsort(rewards)]
    cdf = np.cumsum(probs)
    w = cdf**n - (cdf - probs) ** n
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.where(w > 0, w * np.log(w / probs), 0.0).sum())


def numpy_kl_masked(probs, rewards, n, presorted):
    """User version 2 (issue 9): the same with a boolean mask instead of np.where."""
    if not presorted:
        probs = probs[np.argsort(rewards)]
    cdf = np.cumsum(probs)
    w = cdf**n - (cdf - probs) ** n
    m = w > 0
    return float(np.sum(w[m] * np.log(w[m] / probs[m])))


def numpy_pmf(probs, rewards, n):
    """argsort, cumsum, powers, scatter back."""
    order = np.argsort(rewards, kind="stable")
    p = probs[order]
    cdf = np.cumsum(p)
    out = np.empty_like(p)
    out[order] = cdf**n - (cdf - p) ** n
    return out


def timed(func):
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def compare(ours, theirs, repeats):
    """Alternate the two sides; (median ours, median theirs, ratios theirs/ours)."""
    ours(), theirs()  # warm caches and page in
    pairs = [(timed(ours), timed(theirs)) for _ in range(repeats)]
    ratios = sorted(b / a for a, b in pairs)
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs), ratios


def fmt_time(seconds):
    return f"{seconds * 1e3:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def reference(size, seed=0):
    rng = np.random.default_rng(seed)
    probs = rng.random(size)
    probs /= probs.sum()
    rewards = rng.random(size)
    return probs, rewards, np.sort(rewards)


def faster_numpy(probs, rewards, n, presorted, repeats):
    """Times of both NumPy versions and the faster one's callable."""
    where = statistics.median(
        timed(lambda: numpy_kl_where(probs, rewards, n, presorted)) for _ in range(repeats)
    )
    masked = statistics.median(
        timed(lambda: numpy_kl_masked(probs, rewards, n, presorted)) for _ in range(repeats)
    )
    best = numpy_kl_where if where <= masked else numpy_kl_masked
    return where, masked, best


def speed_rows(sizes, size_many, repeats):
    """(case, ours, NumPy where, NumPy masked, ratios vs the faster, target)."""
    rows = []
    slow = max(2, repeats // 2)
    for size, n, presorted, target in [
        (sizes[0], 1000.0, True, ">= 10x"),
        (sizes[1], 1000.0, True, ">= 10x"),
        (sizes[1], 2.0, True, ">= 3x"),
        (sizes[0], 1000.0, False, ">= 5x"),
        (sizes[1], 1000.0, False, ">= 5x"),
    ]:
        probs, rewards, rewards_sorted = reference(size)
        r = rewards_sorted if presorted else rewards
        where, masked, best = faster_numpy(probs, r, n, presorted, slow)
        ours, theirs, ratios = compare(
            lambda p=probs, r=r, n=n, s=presorted: bk.kl_exact(p, r, n, assume_sorted=s),
            lambda p=probs, r=r, n=n, s=presorted, f=best: f(p, r, n, s),
            repeats,
        )
        kind = "presorted" if presorted else "unsorted (sort included)"
        rows.append((f"{kind} K={size:.0e}, n={n:g}", ours, where, masked, ratios, target))

    probs, rewards, rewards_sorted = reference(size_many)
    ns = np.geomspace(1.0, 1e6, 64)
    where, masked, best = faster_numpy(probs, rewards_sorted, 1000.0, True, 1)
    ours, theirs, ratios = compare(
        lambda: bk.kl_exact(probs, rewards_sorted, ns, assume_sorted=True),
        lambda: [best(probs, rewards_sorted, n, True) for n in ns],
        max(1, repeats // 3),
    )
    rows.append(
        (
            f"presorted K={size_many:.0e}, 64 n in 1..1e6, one call",
            ours,
            None,
            theirs,
            ratios,
            ">= 25x",
        )
    )

    probs, rewards, _ = reference(sizes[1])
    ours, theirs, ratios = compare(
        lambda: bk.bon_pmf(probs, rewards, 1000.0),
        lambda: numpy_pmf(probs, rewards, 1000.0),
        slow,
    )
    rows.append((f"bon_pmf unsorted K={sizes[1]:.0e}, n=1000", ours, None, theirs, ratios, ">= 2x"))
    return rows


def dot_row(size, repeats):
    """Presorted kl_exact against one np.dot pass over both inputs: the memory limit."""
    probs, _, rewards_sorted = reference(size)
    ours, dot, ratios = compare(
        lambda: bk.kl_exact(probs, rewards_sorted, 1000.0, assume_sorted=True),
        lambda: np.dot(probs, rewards_sorted),
        repeats,
    )
    return ours, dot, [1.0 / r for r in reversed(ratios)]


def memory_rows(size):
    """Peak resident memory above the inputs of one call, MB."""
    probs, rewards, rewards_sorted = reference(size)
    cases = [
        (
            "kl_exact presorted, n=1000",
            lambda: bk.kl_exact(probs, rewards_sorted, 1000.0, assume_sorted=True),
        ),
        ("kl_exact unsorted, n=1000", lambda: bk.kl_exact(probs, rewards, 1000.0)),
        ("kl_exact unsorted, n=2 (full sort)", lambda: bk.kl_exact(probs, rewards, 2.0)),
        ("NumPy unsorted, n=1000 (masked)", lambda: numpy_kl_masked(probs, rewards, 1000.0, False)),
    ]
    rows = []
    for name, func in cases:
        func()
        _, extra, exact = peak_extra(func)
        rows.append((name, extra / 2**20, exact))
    return rows, 16 * size / 2**20


def adversarial_cases():
    rng = np.random.default_rng(7)
    atoms = rng.dirichlet(np.full(2000, 0.5))
    stairs = 10.0 ** -np.arange(30.0)
    stairs /= stairs.sum()
    big = 1.0 - 1e-15
    return [
        (
            "dominant bottom, top 1e-15, n=1e3",
            np.array([big, 1.0 - big]),
            np.array([0.0, 1.0]),
            1e3,
        ),
        (
            "tiny bottom 1e-300, dominant top, n=1e15",
            np.array([1e-300, 1.0]),
            np.array([0.0, 1.0]),
            1e15,
        ),
        ("staircase p_k ~ 10^-k (K=30), n=1e12", stairs, np.arange(30.0), 1e12),
        ("2000 atoms (Dirichlet 0.5), n=1e12", atoms, rng.normal(size=2000), 1e12),
    ]


def accuracy_rows():
    from bonkl_fast.testing import mpmath_kl as ref_kl
    from bonkl_fast.testing import relative_error

    rows = []
    for name, probs, rewards, n in adversarial_cases():
        exact = ref_kl(probs, rewards, n)
        ours = relative_error(bk.kl_exact(probs, rewards, n), exact)
        theirs = relative_error(numpy_kl_where(probs, rewards, n, False), exact)
        rows.append((name, ours, theirs))
    return rows


def start_up(repeats, cold):
    """Median wall time of fresh processes: numpy + numba import vs a first small call."""
    base = [sys.executable, "-c", "import numpy, numba"]
    call = [sys.executable, "-c", "import bonkl_fast as b; b.kl_exact([.5, .5], [0, 1], 4)"]

    def run(cmd, env=None):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        return time.perf_counter() - start

    run(call)  # populate the cache
    rows = [
        ('python -c "import numpy, numba"', statistics.median(run(base) for _ in range(repeats))),
        (
            'python -c "import bonkl_fast as b; b.kl_exact([.5,.5],[0,1],4)", warm cache',
            statistics.median(run(call) for _ in range(repeats)),
        ),
    ]
    if cold:
        with tempfile.TemporaryDirectory() as empty:
            rows.append(
                (
                    "the same, cold cache (empty NUMBA_CACHE_DIR)",
                    run(call, dict(os.environ, NUMBA_CACHE_DIR=empty)),
                )
            )
    return rows


def spread(ratios):
    return f"{ratios[0]:.1f}-{ratios[-1]:.1f}x"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="K = 1e5 / 1e6 instead of 1e6 / 1e7")
    parser.add_argument("--markdown", action="store_true", help="only the tables (README)")
    parser.add_argument("--cold", action="store_true", help="also time a cold-cache start-up")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    sizes, size_many = ((10**5, 10**6), 10**5) if args.quick else ((10**6, 10**7), 10**6)
    repeats = 3 if args.quick else args.repeats

    # compile (or load) every kernel before timing
    warm = np.full(200_000, 5e-6)
    bk.kl_exact(warm, np.arange(200_000.0), [2.0, 2.5, 1000.0], assume_sorted=True)
    bk.kl_exact(warm, np.arange(200_000.0)[::-1].copy(), [2.0, 1000.0])
    bk.bon_pmf(warm, np.arange(200_000.0)[::-1].copy(), 1000.0)

    print(machine_line())
    print()
    print("| case | bonkl_fast | NumPy `where` | NumPy masked | speed-up (range) | target |")
    print("|---|---|---|---|---|---|")
    for name, ours, where, masked, ratios, target in speed_rows(sizes, size_many, repeats):
        where_text = "-" if where is None else fmt_time(where)
        print(
            f"| {name} | {fmt_time(ours)} | {where_text} | {fmt_time(masked)} "
            f"| {statistics.median(ratios):.1f}x ({spread(ratios)}) | {target} |"
        )
    ours, dot, ratios = dot_row(sizes[1], repeats)
    print(
        f"| presorted K={sizes[1]:.0e}, n=1000 vs `np.dot(probs, rewards)` | {fmt_time(ours)} "
        f"| - | {fmt_time(dot)} (np.dot) | {statistics.median(ratios):.1f}x the time of np.dot "
        f"({spread(ratios)}) | <= 5x |"
    )
    print()
    rows, inputs = memory_rows(sizes[1])
    print(f"| peak memory above the inputs ({inputs:.0f} MB), K={sizes[1]:.0e} | MB |")
    print("|---|---|")
    for name, mb, exact in rows:
        print(f"| {name} | {mb:.0f}{'' if exact else ' (process peak)'} |")
    print()
    print("| adversarial case | KL rel. error bonkl_fast | KL rel. error NumPy |")
    print("|---|---|---|")
    for name, ours_err, theirs_err in accuracy_rows():
        print(f"| {name} | {ours_err:.1e} | {theirs_err:.1e} |")
    if args.markdown:
        return
    print()
    print("| start-up (fresh process, median of 5) | wall time |")
    print("|---|---|")
    for name, seconds in start_up(5, args.cold):
        print(f"| {name} | {fmt_time(seconds)} |")


if __name__ == "__main__":
    main()
