"""Hypothesis properties of the exact core (MATH §2-5), strict tolerances.

Tolerances are for float rounding only: 1e-12 absolute on quantities of order 1
(KL, W) and a relative slack of a few ulps where a bound is attained.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, note
from hypothesis import strategies as st

import bonkl_fast as bk
from bonkl_fast.testing import ns, references

EPS = 1e-12


@given(references(), ns())
def test_kl_between_zero_and_bounds(ref, n):
    probs, rewards = ref
    kl = bk.kl_exact(probs, rewards, n)
    bound = bk.kl_bound(n)
    saturation = bk.kl_saturation(probs, rewards)
    note(f"kl={kl!r} bound={bound!r} saturation={saturation!r}")
    assert kl >= 0.0
    assert kl <= bound * (1 + 1e-13) + 1e-300
    assert kl <= saturation * (1 + 1e-13) + 1e-300


@given(references(), st.lists(ns(), min_size=2, max_size=6))
def test_monotone_in_n(ref, n_values):
    probs, rewards = ref
    n_sorted = np.sort(np.array(n_values))
    kls = bk.kl_exact(probs, rewards, n_sorted)
    wins = bk.win_rate(probs, rewards, n_sorted)
    assert np.all(np.diff(kls) >= -1e-13 * np.maximum(kls[1:], 1e-300))
    assert np.all(np.diff(wins) >= -EPS)


@given(references(), ns(), st.randoms(use_true_random=False))
def test_invariant_to_permutation(ref, n, random):
    probs, rewards = ref
    order = list(range(len(probs)))
    random.shuffle(order)
    kl = bk.kl_exact(probs, rewards, n)
    kl_perm = bk.kl_exact(probs[order], rewards[order], n)
    assert abs(kl - kl_perm) <= 1e-14 * kl + 1e-300
    assert (
        abs(bk.win_rate(probs, rewards, n) - bk.win_rate(probs[order], rewards[order], n)) <= 1e-15
    )
    pmf = bk.bon_pmf(probs, rewards, n)
    np.testing.assert_allclose(bk.bon_pmf(probs[order], rewards[order], n), pmf[order], rtol=1e-14)


@given(references(), ns(), st.data())
def test_invariant_to_splitting_an_outcome(ref, n, data):
    probs, rewards = ref
    i = data.draw(st.integers(0, len(probs) - 1))
    frac = data.draw(st.floats(0.0, 1.0))
    first = probs[i] * frac
    split_p = np.concatenate([probs, [probs[i] - first]])
    split_p[i] = first
    split_r = np.concatenate([rewards, [rewards[i]]])
    kl = bk.kl_exact(probs, rewards, n)
    assert abs(bk.kl_exact(split_p, split_r, n) - kl) <= 1e-13 * kl + 1e-300
    win = bk.win_rate(probs, rewards, n)
    assert abs(bk.win_rate(split_p, split_r, n) - win) <= 1e-15
    pmf = bk.bon_pmf(split_p, split_r, n)
    np.testing.assert_allclose(pmf[i] + pmf[-1], bk.bon_pmf(probs, rewards, n)[i], rtol=1e-13)


@given(references(), ns())
def test_pmf_is_a_distribution(ref, n):
    probs, rewards = ref
    pmf = bk.bon_pmf(probs, rewards, n)
    assert np.all(pmf >= 0)
    assert np.all(pmf[probs == 0] == 0)
    assert abs(math.fsum(pmf) - 1.0) <= 1e-13


@given(references())
def test_win_rate_at_one_is_half(ref):
    probs, rewards = ref
    assert bk.win_rate(probs, rewards, 1) == 0.5
    assert (
        bk.win_rate(probs, rewards, 1 + 1e-15) == 0.5
        or abs(bk.win_rate(probs, rewards, 1 + 1e-15) - 0.5) <= 1e-14
    )


@given(references(), ns())
def test_win_rate_bounds(ref, n):
    probs, rewards = ref
    win = bk.win_rate(probs, rewards, n)
    assert 0.5 - 1e-15 <= win <= bk.win_rate_bound(n) + 1e-15
    # W_n -> 1 - p_top / 2 from below
    p_top = math.exp(-bk.kl_saturation(probs, rewards))
    assert win <= 1 - p_top / 2 + 1e-15


@given(st.floats(1e-300, 1.0), ns())
def test_kl_estimate_in_range(eps, n):
    value = bk.kl_estimate(eps, n)
    assert math.isfinite(value)
    assert 0.0 <= value <= bk.kl_bound(n)


@given(references(), ns())
def test_expected_estimate_not_below_exact(ref, n):
    """Conjecture (MATH §4): E_{y ~ pi_n}[kl_estimate(pi(y), n)] >= KL(pi_n || pi)."""
    probs, rewards = ref
    kl = bk.kl_exact(probs, rewards, n)
    expected = bk.kl_estimate_expected(probs, rewards, n)
    note(f"kl={kl!r} expected={expected!r}")
    assert expected >= kl * (1 - 1e-12)
