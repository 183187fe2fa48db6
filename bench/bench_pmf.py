"""Benchmark: bon_pmf / bon_logpmf against the NumPy way, time and peak memory.

The NumPy way is what a user writes: stable argsort, ``np.unique`` for the
levels, ``np.add.reduceat`` for their masses, ``cumsum``, ``F**n - G**n``,
scatter back (and ``np.log`` of that for the log pmf). Same data, same run.
Peak memory is the resident-set peak of each call above the memory before it
(the inputs are already resident), as a multiple of its input + output bytes.

Usage: ``python bench/bench_pmf.py [--quick]`` (K = 1e7; 1e6 with --quick).
"""

from __future__ import annotations

import argparse
from functools import partial

import numpy as np

from _machine import machine_line
from _memory import peak_extra
from _timing import median_seconds
from bonkl_fast.exact import bon_logpmf, bon_pmf


def numpy_pmf(probs, rewards, n):
    order = np.argsort(rewards, kind="stable")
    r, p = rewards[order], probs[order]
    _, start, inverse = np.unique(r, return_index=True, return_inverse=True)
    q = np.add.reduceat(p, start)
    f = np.cumsum(q)
    w = f**n - (f - q) ** n
    out = np.empty_like(p)
    out[order] = p * (w / q)[inverse]
    return out


def numpy_logpmf(probs, rewards, n):
    with np.errstate(divide="ignore"):
        return np.log(numpy_pmf(probs, rewards, n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="K = 1e6 instead of 1e7")
    args = parser.parse_args()
    k = 10**6 if args.quick else 10**7
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.full(k, 0.5))
    rewards = np.round(rng.normal(size=k), 4)  # about 8e4 distinct rewards: many ties
    n = 1000.0
    for fn in (bon_pmf, bon_logpmf, numpy_pmf):  # compile / warm
        fn(probs[:5000] / probs[:5000].sum(), rewards[:5000], n)
    print(machine_line())
    io_bytes = 3 * probs.nbytes  # probs, rewards in; one float64 per outcome out
    print(f"K = {k:.0e} (Dirichlet 0.5, rewards rounded to 4 decimals), n = {n:g}")
    print("| function | median s | spread s | peak above start | x (input + output) |")
    print("|---|---|---|---|---|")
    results = {}
    for name, fn in [
        ("bon_pmf", bon_pmf),
        ("NumPy pmf", numpy_pmf),
        ("bon_logpmf", bon_logpmf),
        ("NumPy log(pmf)", numpy_logpmf),
    ]:
        call = partial(fn, probs, rewards, n)
        seconds, fastest, slowest = median_seconds(call, 3)
        spread = slowest - fastest
        results[name], extra, exact = peak_extra(call)
        note = "" if exact else " (process peak)"
        print(
            f"| {name} | {seconds:.3f} | {spread:.3f} | {extra / 2**20:.0f} MB{note} "
            f"| {extra / io_bytes:.2f} |"
        )
    finite = np.isfinite(results["bon_logpmf"]).sum()
    naive = np.isfinite(results["NumPy log(pmf)"]).sum()
    print(f"finite log pmf entries: bon_logpmf {finite:,} of {k:,}, NumPy log(pmf) {naive:,}")


if __name__ == "__main__":
    main()
