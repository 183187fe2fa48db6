"""Truncation of negligible levels, selection before sorting, integer n (MATH §10).

The cut is tested three ways: the bound itself (log_cut against an mpmath
evaluation of B), the lemma on data (the exact contribution of the dropped
levels lies in the proven interval), and the results (truncated kernels
against mpmath and against the untruncated float sums).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bonkl_fast as bk
from bonkl_fast import _levels
from bonkl_fast._kernels_check import BLOCK, probs_summary_parallel, probs_summary_serial
from bonkl_fast._kernels_cut import log_cut, partition_kl
from bonkl_fast._kernels_kl import (
    CHUNK,
    chunk_levels,
    chunk_terms,
    finish,
    first_kept,
    kl_win_serial,
)
from bonkl_fast._kernels_kl_parallel import kl_win_parallel
from bonkl_fast._kernels_levels import merge_levels
from bonkl_fast._validate import as_probs
from bonkl_fast.exact import kl_and_win_rate
from bonkl_fast.testing import mpmath_kl, mpmath_win_rate, relative_error

TOL = 1e-13
MARGIN = 2.0**-60


def bound_mp(n, y):
    """B(e^y) = F^n (1 + n |log(n F^(n-1))|) and log r, at 50 digits."""
    with mpmath.workdps(50):
        n, y = mpmath.mpf(n), mpmath.mpf(y)
        log_r = mpmath.log(n) + (n - 1) * y
        return mpmath.exp(n * y) * (1 + n * abs(log_r)), log_r


@pytest.mark.parametrize("n", [1 + 1e-12, 1.001, 1.5, 2.0, 3.0, 10.0, 1e3, 1e6, 1e9, 1e15])
@pytest.mark.parametrize("lower", [1e-300, 1e-20, 0.01, 0.3, 5.0, 700.0])
def test_log_cut_meets_the_bound_and_is_nearly_the_largest(n, lower):
    y = log_cut(n, lower)
    target = MARGIN * min(lower, 0.5)
    if y == -math.inf:  # nothing may be dropped: then even e^-745 (F^n = 0 region) fails
        return
    bound, log_r = bound_mp(n, y)
    assert log_r <= -1
    assert bound <= target
    step = abs(y) * 1e-5
    bound_up, log_r_up = bound_mp(n, y + step)
    assert bound_up > target or log_r_up > -1  # bisection stopped near the largest cut


def test_log_cut_is_minus_inf_without_a_positive_lower_bound():
    assert log_cut(1000.0, 0.0) == -math.inf
    assert log_cut(1.0, 5.0) == -math.inf


def spread_reference(size, seed, *, concentration=1.0, ties=1):
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(size, concentration))
    rewards = np.floor(rng.random(size) * size / ties)
    return probs, rewards


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("n", [2.0, 7.5, 1e3, 1e6])
def test_dropped_levels_stay_inside_the_proven_interval(seed, n):
    """The lemma on data: all levels with log F <= log_cut change KL by [-B, 0], W by
    [0, F^(n+1)], with B <= 2^-60 KL (exact contributions, mpmath)."""
    probs, rewards = spread_reference(1500, seed, concentration=0.5)
    order = np.argsort(rewards, kind="stable")
    _, mass, cum, tail, *_ = merge_levels(rewards[order], probs[order])
    log_f = np.array(
        [math.log(c) if c < 0.5 else math.log1p(-t) for c, t in zip(cum, tail, strict=True)]
    )
    kl = float(mpmath_kl(probs, rewards, n))
    lower = max(partition_kl(log_f[j], tail[j], n) for j in range(mass.size - 1))
    assert lower <= kl * (1 + 1e-12)
    y = log_cut(n, lower)
    top = np.searchsorted(log_f, y, side="right") - 1  # highest dropped level
    if top < 0:
        return
    with mpmath.workdps(60):
        q = [mpmath.mpf(float(m)) for m in mass[: top + 1]]
        f_values = [mpmath.fsum(q[: j + 1]) for j in range(top + 1)]
        g_values = [f - qq for f, qq in zip(f_values, q, strict=True)]
        w = [f**n - g**n for f, g in zip(f_values, g_values, strict=True)]
        dropped_kl = mpmath.fsum(
            wk * mpmath.log(wk / qk) for wk, qk in zip(w, q, strict=True) if wk > 0
        )
        dropped_win = mpmath.fsum(
            wk * (g + qk / 2) for wk, g, qk in zip(w, g_values, q, strict=True)
        )
        bound, _ = bound_mp(n, math.log(float(f_values[-1])))
        assert -bound <= dropped_kl <= 0
        assert 0 <= dropped_win <= f_values[-1] ** (n + 1)
        assert bound <= MARGIN * min(kl, 0.5) * (1 + 1e-9)


def heavy_and_tiny(size, heavy, tiny_total, seed):
    """A few heavy levels and many tiny ones, shuffled rewards."""
    rng = np.random.default_rng(seed)
    probs = np.concatenate([rng.random(heavy), rng.random(size - heavy)])
    probs[:heavy] *= (1 - tiny_total) / probs[:heavy].sum()
    probs[heavy:] *= tiny_total / probs[heavy:].sum()
    return probs, rng.permutation(size).astype(float)


CASES = {
    # mass piled at the bottom: one level of 0.9 under 9000 small ones
    "bottom heavy": (np.r_[0.9, np.full(9000, 0.1 / 9000)], np.arange(9001.0)),
    # a tiny top level over a spread-out bulk
    "tiny top": (np.r_[np.full(9000, (1 - 1e-12) / 9000), 1e-12], np.arange(9001.0)),
    # huge tied levels around the cut of n = 1000 (F ~ 0.95)
    "ties at the cut": (
        np.full(12000, 1 / 12000),
        np.r_[np.arange(10500.0), np.full(1000, 10500.0), np.full(500, 10501.0)],
    ),
    "heavy and tiny": heavy_and_tiny(9000, 5, 1e-3, 0),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("n", [1 + 1e-12, 2.0, 8.0, 37.5, 1e3, 1e15])
def test_truncating_kernels_match_mpmath(name, n):
    """Public path (serial kernel) and the parallel kernel (several chunks), both cutting."""
    probs, rewards = CASES[name]
    assert probs.size > CHUNK
    kl_ref, win_ref = mpmath_kl(probs, rewards, n), mpmath_win_rate(probs, rewards, n)
    kl, win = kl_and_win_rate(probs, rewards, n)
    assert relative_error(kl, kl_ref) <= TOL
    assert relative_error(win, win_ref) <= TOL
    order = np.argsort(rewards, kind="stable")
    (kl,), (win,) = kl_win_parallel(rewards[order], as_probs(probs)[order], np.array([n]))
    assert relative_error(kl, kl_ref) <= TOL
    assert relative_error(win, win_ref) <= TOL


def tied_many(size, levels, seed):
    """``size`` outcomes on ``levels`` distinct rewards (cheap for mpmath), shuffled."""
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(size, 2.0))
    return probs, rng.integers(0, levels, size).astype(float)


@pytest.mark.parametrize("n", [200.0, 1e3, 1e15])
def test_selection_before_sorting_matches_mpmath(n):
    probs, rewards = tied_many(_levels.SELECT_MIN + 5000, 1000, 1)
    ns = np.array([n])
    assert _levels._select_above(rewards, probs, ns) is not None  # the selection really cuts
    kl, win = kl_and_win_rate(probs, rewards, n)
    assert relative_error(kl, mpmath_kl(probs, rewards, n)) <= TOL
    assert relative_error(win, mpmath_win_rate(probs, rewards, n)) <= TOL


def test_selection_falls_back_to_the_full_sort_near_n_one():
    probs, rewards = tied_many(_levels.SELECT_MIN + 5000, 1000, 2)
    assert _levels._select_above(rewards, probs, np.array([1.5, 1e3])) is None
    order = np.argsort(rewards, kind="stable")
    ns = [1.5, 1e3]
    unsorted = kl_and_win_rate(probs, rewards, ns)
    presorted = kl_and_win_rate(probs[order], rewards[order], ns, assume_sorted=True)
    np.testing.assert_allclose(unsorted, presorted, rtol=1e-15)


@st.composite
def chunked_references(draw):
    """More than one chunk of outcomes: heavy levels, tiny ones and ties, any n."""
    size = draw(st.integers(CHUNK + 1, 3 * CHUNK))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    concentration = 10.0 ** draw(st.floats(-2, 1))
    probs = rng.dirichlet(np.full(size, concentration))
    if draw(st.booleans()):  # mass piled on a few outcomes
        heavy = rng.integers(0, size, 3)
        probs[heavy] += draw(st.floats(0.1, 10.0))
        probs /= probs.sum()
    levels = draw(st.integers(2, size))
    rewards = np.sort(rng.integers(0, levels, size)).astype(float)
    return as_probs(probs), rewards  # the kernels' precondition: a sum within 4 ulp of 1


def untruncated(rewards, probs, ns):
    """(KL, W) with nothing dropped beyond underflow: one chunk, no cut."""
    sums = np.zeros((4, ns.size))
    mass, cum, tail = chunk_levels(rewards, probs, 0, rewards.size, 0.0, 0.0, 0.0, 0.0)
    no_cut = np.full(ns.size, -np.inf)
    chunk_terms(mass, cum, tail, 0.0, -np.inf, ns, no_cut, sums)
    return finish(sums, ns)


def test_untruncated_helper_really_keeps_the_levels_the_cut_drops():
    probs, rewards = spread_reference(2000, 0)
    order = np.argsort(rewards, kind="stable")
    _, mass, cum, tail, *_ = merge_levels(rewards[order], probs[order])
    ns = np.array([1e3])
    assert first_kept(cum, tail, ns, np.array([log_cut(1e3, 1.0)]), 0) > mass.size // 2


@given(
    chunked_references(),
    st.lists(st.one_of(st.floats(1.0, 20.0), st.floats(0, 15).map(lambda e: 10.0**e)), min_size=1),
)
def test_truncated_and_untruncated_sums_agree(reference, n_list):
    """Property: the truncating kernels (parallel and serial) and the sum over every
    level differ by the proven 2^-60 of the KL plus summation rounding."""
    probs, rewards = reference
    ns = np.unique(np.maximum(np.array(n_list), 1.0 + 2.0**-40))
    kl_all, win_all = untruncated(rewards, probs, ns)
    for kernel in (kl_win_parallel, kl_win_serial):
        kl_cut, win_cut = kernel(rewards, probs, ns)
        np.testing.assert_allclose(kl_cut, kl_all, rtol=1e-13, atol=1e-300)
        np.testing.assert_allclose(win_cut, win_all, rtol=1e-15)


@pytest.mark.parametrize("n", [2.0, 3.0, 4.0, 5.0, 8.0])
@pytest.mark.parametrize(
    "probs, rewards",
    [
        ([1 - 1e-15, 1e-15], [0.0, 1.0]),  # dominant bottom
        ([1e-10, 1 - 1e-10], [0.0, 1.0]),  # dominant top
        ([1e-12, 1 - 2e-12, 1e-12], [0.0, 1.0, 2.0]),  # dominant middle
        ([1e-300, 0.5, 0.5 - 1e-300], [0.0, 1.0, 2.0]),
        ([0.25, 0.25, 0.25, 0.25], [0.0, 1.0, 2.0, 3.0]),
        ([1e-5] * 10 + [1 - 1e-4], list(range(11))),
    ],
)
def test_integer_n_without_exp_matches_mpmath(n, probs, rewards):
    probs, rewards = np.array(probs), np.array(rewards)
    kl, win = kl_and_win_rate(probs, rewards, n)
    assert relative_error(kl, mpmath_kl(probs, rewards, n)) <= TOL
    assert relative_error(win, mpmath_win_rate(probs, rewards, n)) <= TOL


def test_win_rate_never_exceeds_n_over_n_plus_one_near_one():
    """Regression: near n = 1 the sum of w (G + q/2) rounded 4-5 ulp above n/(n+1)
    (K = 1000, n = 1 + 1.76e-12); W is now summed as 1/2 + sum (w - q)(G + q/2)."""
    rng = np.random.default_rng(1)
    ns = 1.0 + np.geomspace(1e-12, 1.0, 50)
    for size in [1000, 20000]:
        for _ in range(5):
            probs = rng.dirichlet(np.ones(size))
            rewards = rng.random(size)
            assert (bk.win_rate(probs, rewards, ns) <= bk.win_rate_bound(ns)).all()


def test_probs_summary_serial_and_parallel_agree_bit_for_bit():
    rng = np.random.default_rng(3)
    values = rng.random(3 * BLOCK + 17) * 10.0 ** rng.uniform(-300, 0, 3 * BLOCK + 17)
    assert probs_summary_serial(values) == probs_summary_parallel(values)
    assert probs_summary_serial(values)[2] == math.fsum(values)


def test_probs_summary_names_the_first_bad_entry_of_each_kind():
    values = np.full(3 * BLOCK, 1.0)
    values[2 * BLOCK + 5] = np.nan
    values[BLOCK + 1] = np.inf
    values[2 * BLOCK] = -1.0
    assert probs_summary_parallel(values)[:2] == (BLOCK + 1, 2 * BLOCK)
    with pytest.raises(ValueError, match=f"found inf at index {BLOCK + 1}"):
        bk.kl_exact(values, np.arange(values.size, dtype=float), 2.0)


def test_a_sum_within_4_ulp_of_one_is_not_copied_but_a_larger_error_is_divided():
    near = np.array([0.25, 0.25, 0.25, 0.25 + 2.0**-52])
    assert as_probs(near) is near
    off = np.array([0.25, 0.25, 0.25, 0.25 + 2.0**-40])
    scaled = as_probs(off)
    assert scaled is not off and math.fsum(scaled) == pytest.approx(1.0, abs=2e-16)
