"""Benchmark of the exact core (issue 2) against the NumPy code a user would write.

Run ``python bench/bench_exact.py`` (``--quick`` for sizes 10x smaller). Prints a
machine line and a markdown table: medians of several repeats, same data, same run.

The NumPy baseline is the straightforward implementation: ``argsort``, ``cumsum``,
``F**n - G**n``, ``sum(w * log(w / q))``. It ignores ties (the data here have none).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numba
import numpy as np

import bonkl_fast as bk
from _machine import cpu_model


def numpy_kl(probs, rewards, n, *, presorted):
    """What a user writes: sort, cumsum, F**n - G**n, sum w log(w/q)."""
    if not presorted:
        order = np.argsort(rewards)
        probs = probs[order]
    cdf = np.cumsum(probs)
    below = cdf - probs
    w = cdf**n - below**n
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(w > 0, w * np.log(w / probs), 0.0)
    return float(np.sum(terms))


def numpy_pmf(probs, rewards, n):
    order = np.argsort(rewards, kind="stable")
    p = probs[order]
    cdf = np.cumsum(p)
    w = cdf**n - (cdf - p) ** n
    out = np.empty_like(w)
    out[order] = w
    return out


def median_time(func, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def machine_line():
    cpu = cpu_model()
    return (
        f"machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}, numba {numba.__version__}, "
        f"numba threads {numba.get_num_threads()}, "
        "load average %.2f %.2f %.2f (the machine is shared)" % os.getloadavg()
    )


def fmt_time(seconds):
    return f"{seconds * 1e3:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def speed_rows(size, size_many, repeats):
    rng = np.random.default_rng(0)
    probs = rng.random(size)
    probs /= probs.sum()
    rewards = rng.random(size)
    sorted_rewards = np.sort(rewards)
    rows = []
    for n in [1000.0, 2.0, 1e6]:
        ours = median_time(
            lambda n=n: bk.kl_exact(probs, sorted_rewards, n, assume_sorted=True), repeats
        )
        theirs = median_time(
            lambda n=n: numpy_kl(probs, sorted_rewards, n, presorted=True), repeats
        )
        target = ">= 10x" if n == 1000.0 else "(extra n)"
        rows.append((f"presorted K={size:.0e}, n={n:g}", ours, theirs, target))
    n = 1000.0
    ours = median_time(lambda: bk.kl_exact(probs, rewards, n), repeats)
    theirs = median_time(lambda: numpy_kl(probs, rewards, n, presorted=False), repeats)
    rows.append((f"unsorted K={size:.0e}, n={n:g} (sort included)", ours, theirs, ">= 3x"))

    probs_m = probs[:size_many] / probs[:size_many].sum()
    rewards_m = np.sort(rewards[:size_many])
    ns = np.logspace(0, 6, 64)
    ours = median_time(lambda: bk.kl_exact(probs_m, rewards_m, ns, assume_sorted=True), repeats)
    theirs = median_time(
        lambda: [numpy_kl(probs_m, rewards_m, n, presorted=True) for n in ns], max(1, repeats // 2)
    )
    rows.append((f"presorted K={size_many:.0e}, 64 n in 1..1e6", ours, theirs, ">= 20x"))
    return rows


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
    from bonkl_fast.testing import mpmath_pmf as ref_pmf
    from bonkl_fast.testing import relative_error

    rows = []
    for name, probs, rewards, n in adversarial_cases():
        ref = ref_pmf(probs, rewards, n)
        keep = [i for i in range(len(probs)) if ref[i] > 1e-290]
        ours_pmf = bk.bon_pmf(probs, rewards, n)
        theirs_pmf = numpy_pmf(probs, rewards, n)
        kl_ref = ref_kl(probs, rewards, n)
        rows.append(
            (
                name,
                relative_error(bk.kl_exact(probs, rewards, n), kl_ref),
                relative_error(numpy_kl(probs, rewards, n, presorted=False), kl_ref),
                max(relative_error(ours_pmf[i], ref[i]) for i in keep),
                max(relative_error(theirs_pmf[i], ref[i]) for i in keep),
            )
        )
    return rows


COLD_SCRIPT = """
import time
start = time.perf_counter()
import bonkl_fast as bk
bk.kl_exact([0.25, 0.75], [0.0, 1.0], 10.0)
print(time.perf_counter() - start)
"""


def cold_start(repeats):
    def run(env):
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", COLD_SCRIPT], env=env, capture_output=True, text=True, check=True
        )
        return float(out.stdout.strip()), time.perf_counter() - start

    warm_env = dict(os.environ)
    run(warm_env)  # make sure the default cache is populated
    warm = [run(warm_env) for _ in range(repeats)]
    cold = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as empty:
            cold.append(run(dict(os.environ, NUMBA_CACHE_DIR=empty)))
    med = lambda pairs, k: statistics.median(p[k] for p in pairs)  # noqa: E731
    return [
        ("warm Numba cache", med(warm, 0), med(warm, 1)),
        ("cold Numba cache (empty NUMBA_CACHE_DIR)", med(cold, 0), med(cold, 1)),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="K = 1e6 / 1e5 instead of 1e7 / 1e6")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    size, size_many = (10**6, 10**5) if args.quick else (10**7, 10**6)

    # compile (or load) every kernel before timing
    bk.kl_exact(np.full(5000, 2e-4), np.arange(5000.0), [2.0, 3.0])
    bk.kl_exact(np.full(5000, 2e-4), np.arange(5000.0)[::-1].copy(), 2.0)

    print(machine_line())
    print()
    print("| case | bonkl_fast | NumPy | speed-up | target |")
    print("|---|---|---|---|---|")
    for name, ours, theirs, target in speed_rows(size, size_many, args.repeats):
        print(
            f"| {name} | {fmt_time(ours)} | {fmt_time(theirs)} | {theirs / ours:.1f}x | {target} |"
        )
    print()
    print(
        "| adversarial case | KL rel. error bonkl_fast | KL rel. error NumPy "
        "| pmf max rel. error bonkl_fast | pmf max rel. error NumPy |"
    )
    print("|---|---|---|---|---|")
    for name, kl_ours, kl_theirs, pmf_ours, pmf_theirs in accuracy_rows():
        print(f"| {name} | {kl_ours:.1e} | {kl_theirs:.1e} | {pmf_ours:.1e} | {pmf_theirs:.1e} |")
    print()
    print("| cold start: import + first kl_exact, fresh process | in-process | whole process |")
    print("|---|---|---|")
    for name, inner, whole in cold_start(3):
        print(f"| {name} | {fmt_time(inner)} | {fmt_time(whole)} |")


if __name__ == "__main__":
    main()
