"""bon_pmf against exact enumeration of all K**n draws (K <= 4, n <= 6), MATH §1.

The oracle (bonkl_fast.testing.brute_force_pmf) draws every ordered n-tuple, keeps the highest
reward and breaks ties uniformly among the drawn positions, in exact rationals.
"""

from __future__ import annotations

import numpy as np
import pytest

import bonkl_fast as bk
from bonkl_fast.testing import brute_force_pmf

TOL = 1e-14

CASES = [
    # (probs, rewards)
    ([1.0], [0.0]),
    ([0.5, 0.5], [0.0, 1.0]),
    ([0.5, 0.5], [1.0, 1.0]),  # one level
    ([0.3, 0.7], [2.0, -1.0]),  # unsorted
    ([0.25, 0.25, 0.5], [1.0, 0.0, 1.0]),  # tie between outcomes 0 and 2
    ([0.2, 0.0, 0.8], [0.0, 5.0, 1.0]),  # zero mass at the top
    ([0.0, 0.6, 0.4], [1.0, 1.0, 0.0]),  # zero mass tied with a positive one
    ([0.1, 0.2, 0.3, 0.4], [3.0, 2.0, 1.0, 0.0]),
    ([0.1, 0.2, 0.3, 0.4], [1.0, 1.0, 1.0, 1.0]),
    ([0.125, 0.375, 0.25, 0.25], [0.0, 1.0, 0.0, 1.0]),  # two tied pairs
    ([0.9, 0.05, 0.0, 0.05], [0.0, 1.0, 2.0, 1.0]),
    ([1e-3, 0.5, 0.499, 0.0], [7.0, -2.0, 7.0, 7.0]),  # rare outcome tied at the top
]


@pytest.mark.parametrize("probs, rewards", CASES)
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_pmf_equals_enumeration(probs, rewards, n):
    exact = brute_force_pmf(probs, rewards, n)
    pmf = bk.bon_pmf(probs, rewards, n)
    for value, ref in zip(pmf, exact, strict=True):
        assert abs(value - float(ref)) <= TOL * max(float(ref), 1e-300), (value, ref)
    # zero-mass outcomes get exactly zero
    for value, p in zip(pmf, probs, strict=True):
        if p == 0:
            assert value == 0.0


@pytest.mark.parametrize("seed", range(8))
def test_random_small_references_with_ties(seed):
    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 5))
    probs = rng.dirichlet(np.full(size, 0.7))
    if size > 1 and rng.random() < 0.5:
        probs[rng.integers(size)] = 0.0
        probs /= probs.sum()
    rewards = rng.integers(0, 3, size).astype(float)
    n = int(rng.integers(1, 7))
    exact = brute_force_pmf(probs, rewards, n)
    pmf = bk.bon_pmf(probs, rewards, n)
    np.testing.assert_allclose(pmf, [float(x) for x in exact], rtol=TOL, atol=1e-300)
    # the scalar summaries of the enumerated pmf agree too
    exact_f = np.array([float(x) for x in exact])
    assert bk.win_rate(probs, rewards, n) == pytest.approx(
        bk.win_rate_vs_reference(exact_f / exact_f.sum(), probs, rewards), rel=1e-13
    )
