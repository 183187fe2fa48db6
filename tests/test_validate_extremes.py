"""Regression tests: rewards never merged by float64, huge Python ints, float16 sums."""

from __future__ import annotations

import numpy as np
import pytest

import bonkl_fast as bk
from bonkl_fast._validate import as_rewards

PROBS = [0.5, 0.3, 0.2]


@pytest.mark.parametrize(
    "rewards",
    [
        np.array([2**53, 2**53 + 1, 0], dtype=np.int64),
        np.array([2**64 - 2, 2**64 - 1, 0], dtype=np.uint64),
        [2**70, 2**70 + 1, 0],  # Python ints beyond every NumPy integer type
        [2**53 + 1, 2**53 + 2, -(2**62)],
    ],
)
def test_distinct_integer_rewards_stay_distinct(rewards):
    ranks = [1.0, 2.0, 0.0]  # the same order, no ties
    assert bk.kl_exact(PROBS, rewards, 4) == bk.kl_exact(PROBS, ranks, 4)
    assert bk.kl_exact(PROBS, rewards, 4) == pytest.approx(0.5219821285976932, rel=1e-14)
    np.testing.assert_array_equal(bk.bon_pmf(PROBS, rewards, 4), bk.bon_pmf(PROBS, ranks, 4))
    assert bk.win_rate(PROBS, rewards, 4) == bk.win_rate(PROBS, ranks, 4)


def test_integer_ties_stay_ties():
    rewards = np.array([2**60 + 1, 2**60 + 1, 5], dtype=np.int64)
    assert bk.kl_exact(PROBS, rewards, 4) == bk.kl_exact(PROBS, [1.0, 1.0, 0.0], 4)


def test_assume_sorted_with_large_integers():
    rewards = np.array([0, 2**53, 2**53 + 1], dtype=np.int64)
    p = [0.2, 0.5, 0.3]
    assert bk.kl_exact(p, rewards, 7, assume_sorted=True) == bk.kl_exact(p, rewards, 7)
    with pytest.raises(ValueError, match="ascending"):
        bk.kl_exact(p, rewards[::-1].copy(), 7, assume_sorted=True)


def test_longdouble_rewards_order_in_their_own_dtype():
    base = np.longdouble(2**60)
    rewards = np.array([base + 1, base + 2, base], dtype=np.longdouble)
    # whatever precision longdouble has here, the result equals that of its exact ranks
    ranks = np.unique(rewards, return_inverse=True)[1].astype(float)
    assert bk.kl_exact(PROBS, rewards, 4) == bk.kl_exact(PROBS, ranks, 4)


def test_values_needed_refuse_lossy_rewards():
    with pytest.raises(ValueError, match="equal once converted to float64"):
        as_rewards(np.array([2**53, 2**53 + 1], dtype=np.int64), 2, order_only=False)
    exact = as_rewards(np.array([2**52, 3], dtype=np.int64), 2, order_only=False)
    np.testing.assert_array_equal(exact, [2.0**52, 3.0])


@pytest.mark.parametrize(
    "call",
    [
        lambda: bk.kl_exact([0.5, 0.5], [0, 1], 10**309),
        lambda: bk.kl_exact([0.5, 0.5], [0, 10**309], 3),
        lambda: bk.kl_exact([10**309, 1], [0, 1], 3, normalize=True),
        lambda: bk.kl_bound([10**400]),
        lambda: bk.sample_best_of_n([0.5, 0.5], [0, 1], 10**309, size=2, rng=0),
    ],
)
def test_huge_python_ints_are_value_errors(call):
    with pytest.raises(ValueError, match="too large|at most 2\\*\\*53"):
        call()


def test_float16_probs_three_percent_off_are_refused():
    p16 = np.array([0.5, 0.47], dtype=np.float16)
    with pytest.raises(ValueError, match="normalize=True"):
        bk.kl_exact(p16, [0, 1], 3)
    assert bk.kl_exact(p16, [0, 1], 3, normalize=True) == pytest.approx(
        bk.kl_exact(np.array([0.5, 0.47]) / 0.97, [0, 1], 3), rel=1e-3
    )
    # float16 rounding of a true distribution still passes
    near = np.array([0.5, 0.4998], dtype=np.float16)
    assert bk.kl_exact(near, [0, 1], 3) > 0
