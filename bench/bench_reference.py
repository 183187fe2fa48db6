"""Benchmark: questions asked of one ``Reference`` against the functions that revalidate.

``Reference(probs, rewards)`` validates and sorts once; ``ref.kl(n)`` then costs one
pass over the sorted outcomes. Compared with ``kl_exact(probs, rewards, n)`` on the same
unsorted input (which validates, selects and sorts on every call), same data, same run.
Target (issue 11): after construction, ``Reference.kl(1000)`` at K = 1e6 costs at most
half of ``kl_exact``. Also: ten questions (kl, win rate, pmf at several n) asked of one
Reference against ten function calls.

Usage: ``python bench/bench_reference.py [--quick]`` (K = 1e6; 1e5 with --quick).
"""

from __future__ import annotations

import argparse

import numpy as np

from _machine import machine_line
from _memory import peak_extra
from _timing import median_seconds
from bonkl_fast import Reference, bon_pmf, kl_exact, win_rate


def questions_by_function(probs, rewards):
    return (
        [kl_exact(probs, rewards, n) for n in (2, 16, 1000)]
        + [win_rate(probs, rewards, n) for n in (2, 16, 1000)]
        + [bon_pmf(probs, rewards, n) for n in (2, 16, 1000, 1e6)]
    )


def questions_by_reference(ref):
    return (
        [ref.kl(n) for n in (2, 16, 1000)]
        + [ref.win_rate(n) for n in (2, 16, 1000)]
        + [ref.pmf(n) for n in (2, 16, 1000, 1e6)]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="K = 1e5 instead of 1e6")
    args = parser.parse_args()
    k = 10**5 if args.quick else 10**6
    repeat = 3 if args.quick else 7
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(k))
    rewards = rng.normal(size=k)
    print(machine_line())
    Reference(probs[:100], rewards[:100] / 1.0, normalize=True).kl(2.0)  # compile / load caches
    kl_exact(probs[:100] / probs[:100].sum(), rewards[:100], 2.0)
    build, build_lo, build_hi = median_seconds(lambda: Reference(probs, rewards), repeat)
    ref, peak, _ = peak_extra(lambda: Reference(probs, rewards))
    assert ref.kl(1000) == kl_exact(probs, rewards, 1000)  # same numbers, else the ratio is moot
    method, m_lo, m_hi = median_seconds(lambda: ref.kl(1000), repeat)
    function, f_lo, f_hi = median_seconds(lambda: kl_exact(probs, rewards, 1000), repeat)
    print(f"K = {k:,} unsorted, Dirichlet(1) masses, normal rewards; medians of {repeat}")
    print("| work | median ms | range ms |")
    print("|---|---|---|")
    rows = [
        ("Reference(probs, rewards)", build, build_lo, build_hi),
        ("ref.kl(1000)", method, m_lo, m_hi),
        ("kl_exact(probs, rewards, 1000)", function, f_lo, f_hi),
    ]
    for label, median, low, high in rows:
        print(f"| {label} | {1e3 * median:.2f} | {1e3 * low:.2f}-{1e3 * high:.2f} |")
    print(f"ref.kl(1000) / kl_exact: {method / function:.3f} (target <= 0.5)")
    many_ref, _, _ = median_seconds(lambda: questions_by_reference(ref), repeat)
    many_fn, _, _ = median_seconds(lambda: questions_by_function(probs, rewards), repeat)
    print(
        f"ten questions: one Reference (built once) {1e3 * (build + many_ref):.1f} ms vs "
        f"ten function calls {1e3 * many_fn:.1f} ms: {many_fn / (build + many_ref):.2f}x"
    )
    print(
        f"Reference construction peak memory: {peak / 2**20:.0f} MB above the inputs "
        f"({peak / (probs.nbytes + rewards.nbytes):.1f}x the input bytes)"
    )


if __name__ == "__main__":
    main()
