"""``Reference`` answers every question exactly as the function of the same name."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bonkl_fast as bk
from bonkl_fast.reference import Reference
from bonkl_fast.testing import ns, references


@given(references(max_size=40), ns(max_n=1e12))
def test_exact_methods_equal_the_functions(reference, n):
    probs, rewards = reference
    ref = Reference(probs, rewards)
    assert ref.kl(n) == bk.kl_exact(probs, rewards, n)
    assert ref.win_rate(n) == bk.win_rate(probs, rewards, n)
    assert ref.kl_estimate_expected(n) == bk.kl_estimate_expected(probs, rewards, n)
    np.testing.assert_array_equal(ref.pmf(n), bk.bon_pmf(probs, rewards, n))
    np.testing.assert_array_equal(ref.logpmf(n), bk.bon_logpmf(probs, rewards, n))
    assert ref.saturation == bk.kl_saturation(probs, rewards)


@given(references(max_size=20), st.lists(ns(max_n=1e9), min_size=1, max_size=6))
def test_many_n_in_one_call(reference, n_list):
    probs, rewards = reference
    ref = Reference(probs, rewards)
    kl, win = ref.kl_and_win_rate(n_list)
    np.testing.assert_array_equal(kl, bk.kl_exact(probs, rewards, n_list))
    np.testing.assert_array_equal(win, bk.win_rate(probs, rewards, n_list))


@settings(max_examples=20)
@given(references(max_size=12, min_mass=1e-30), st.floats(0.05, 1.0), st.floats(0.0, 20.0))
def test_policies_equal_the_functions(reference, alpha, beta):
    probs, rewards = reference
    ref = Reference(probs, rewards)
    np.testing.assert_array_equal(
        ref.rewind_and_repeat(alpha), bk.rewind_and_repeat(probs, rewards, alpha)
    )
    np.testing.assert_array_equal(ref.win_rate_tilt(beta), bk.win_rate_tilt(probs, rewards, beta))
    np.testing.assert_array_equal(ref.reward_tilt(beta), bk.reward_tilt(probs, rewards, beta))


def test_sample_and_simulate_equal_the_functions():
    probs = np.array([0.1, 0.2, 0.3, 0.15, 0.25])
    rewards = np.array([2.0, 0.0, 2.0, 1.0, 3.0])  # ties, unsorted
    ref = Reference(probs, rewards)
    for method in ("inverse", "direct"):
        np.testing.assert_array_equal(
            ref.sample(7, 5000, rng=3, method=method),
            bk.sample_best_of_n(probs, rewards, 7, 5000, rng=3, method=method),
        )
    sim = ref.simulate(7, 20000, rng=5)
    assert sim == bk.simulate_best_of_n(probs, rewards, 7, 20000, rng=5)
    assert ref.tilt_for_kl(0.2) == bk.tilt_for_kl(probs, rewards, 0.2)
    np.testing.assert_array_equal(
        ref.soft_best_of_n(3, 0.5), bk.soft_best_of_n(probs, rewards, 3, 0.5)
    )
    table, expected = ref.frontier([1, 2, 8]).to_dict(), bk.frontier(probs, rewards, [1, 2, 8])
    assert table.keys() == expected.to_dict().keys()
    for key, column in table.items():
        np.testing.assert_array_equal(column, expected.to_dict()[key])


def test_large_integer_rewards_keep_their_order_and_values():
    rewards = np.array([2**53 + 1, 0, 2**53], dtype=np.int64)
    ref = Reference([0.3, 0.2, 0.5], rewards)
    assert ref.kl(4) == bk.kl_exact([0.3, 0.2, 0.5], [2.0, 0.0, 1.0], 4)
    assert ref.level_masses.tolist() == [0.2, 0.5, 0.3]
    with pytest.raises(ValueError, match="float64"):
        ref.reward_tilt(1.0)  # the values themselves cannot be told apart in float64


def test_immutable_and_independent_of_the_callers_arrays():
    probs = np.array([0.25, 0.75])
    rewards = np.array([1.0, 0.0])
    ref = Reference(probs, rewards, assume_sorted=False)
    before = ref.kl(3)
    probs[:] = [0.75, 0.25]
    rewards[:] = [0.0, 1.0]
    assert ref.kl(3) == before
    assert probs.flags.writeable and rewards.flags.writeable
    for array in (ref.probs, ref.level_masses, ref.level_rewards):
        with pytest.raises(ValueError):
            array[0] = 1.0
    sorted_ref = Reference(np.array([0.5, 0.5]), np.array([0.0, 1.0]), assume_sorted=True)
    assert sorted_ref.kl(2) == bk.kl_exact([0.5, 0.5], [0.0, 1.0], 2)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="sum to"):
        Reference([0.5, 0.6], [0, 1])
    with pytest.raises(ValueError, match="not ascending"):
        Reference([0.5, 0.5], [1, 0], assume_sorted=True)
    ref = Reference([0.5, 0.5], [0, 1])
    with pytest.raises(TypeError, match="single n"):
        ref.pmf([2, 3])
    with pytest.raises(ValueError, match=">= 1"):
        ref.kl(0.5)
    assert "Reference(outcomes=2, levels=2" in repr(ref)
