"""Tests of bonkl_fast.bank.bank_curves (issue 4): brute force, convergence, invariances, errors."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bonkl_fast as bk
from bonkl_fast.bank import bank_curves
from bonkl_fast.testing import bank_rewards


@pytest.fixture(scope="session", autouse=True)
def warm_bank_kernels():
    """Compile (or load from cache) the bank kernels once."""
    bank_curves([0.0, 1.0, 1.0], logprobs=[-1.0, -2.0, -3.0], groups=[0, 0, 1])
    bank_curves(np.arange(5000.0), [1, 2])  # radix-sort path


# ---------------------------------------------------------------- brute force


def brute_force(rewards, logprobs, n):
    """Expected reward, win rate (Fractions) and KL estimate of best-of-n by enumeration.

    Every n-subset is equally likely; among its top-reward members one is picked
    uniformly. The win rate enumerates every (n+1)-subset and every choice of the
    reference element in it; ties count 1/2.
    """
    size = len(rewards)
    reward = Fraction(0)
    estimate = 0.0
    subsets = list(itertools.combinations(range(size), n))
    for subset in subsets:
        top = max(rewards[i] for i in subset)
        best = [i for i in subset if rewards[i] == top]
        reward += Fraction(top)
        estimate += sum(bk.kl_estimate(math.exp(logprobs[i]), n) for i in best) / len(best)
    reward /= len(subsets)
    estimate /= len(subsets)
    if n >= size:
        return reward, None, estimate
    win = Fraction(0)
    count = 0
    for subset in itertools.combinations(range(size), n + 1):
        for ref in subset:
            top = max(rewards[i] for i in subset if i != ref)
            win += 1 if top > rewards[ref] else Fraction(1, 2) if top == rewards[ref] else 0
            count += 1
    return reward, win / count, estimate


def plugin_brute_force(rewards, n):
    """Exact KL of best-of-n with replacement from the bank, by enumerating all N^n tuples."""
    size = len(rewards)
    pmf = [Fraction(0)] * size
    for draw in itertools.product(range(size), repeat=n):
        top = max(rewards[i] for i in draw)
        best = [i for i in draw if rewards[i] == top]
        for i in best:
            pmf[i] += Fraction(1, len(best))
    total = size**n
    return sum(float(p / total) * math.log(float(p / total) * size) for p in pmf if p > 0)


CASES = [
    [3, 1, 4, 1, 5, 9, 2, 6, 5],  # ties
    [0, 1, 2, 3, 4, 5, 6, 7, 8],  # distinct
    [2, 2, 2, 2],  # one level
    [1, 2, 2, 2, 0, 2, 1],  # big top level
    [-0.5, 7.25],
    [5.0],
]


@pytest.mark.parametrize("rewards", CASES)
def test_matches_subset_enumeration(rewards):
    rng = np.random.default_rng(len(rewards))
    logprobs = -rng.exponential(3.0, len(rewards))
    curves = bank_curves(rewards, logprobs=logprobs)
    assert list(curves.ns) == list(range(1, len(rewards) + 1))
    for j, n in enumerate(curves.ns):
        reward, win, estimate = brute_force(rewards, logprobs, int(n))
        assert curves.expected_reward[0, j] == pytest.approx(float(reward), rel=1e-13, abs=1e-14)
        assert curves.kl_estimate[0, j] == pytest.approx(estimate, rel=1e-12, abs=1e-15)
        if win is None:
            assert np.isnan(curves.win_rate[0, j])
        else:
            assert curves.win_rate[0, j] == pytest.approx(float(win), rel=1e-13)


@pytest.mark.parametrize("rewards", [[3, 1, 4, 1, 5], [0, 1, 2, 3], [1, 1, 0, 1], [7.0]])
def test_plugin_matches_enumeration_with_replacement(rewards):
    curves = bank_curves(rewards)
    for j, n in enumerate(curves.ns):
        assert curves.kl_plugin[0, j] == pytest.approx(
            plugin_brute_force(rewards, int(n)), rel=1e-12, abs=1e-15
        )
    assert (curves.kl_plugin <= np.log(len(rewards)) + 1e-15).all()


def test_plugin_equals_core_kl_exact_on_empirical_reference():
    rng = np.random.default_rng(7)
    rewards = rng.integers(0, 30, 200).astype(float)
    ns = np.array([1, 2, 5, 50, 199, 200])
    curves = bank_curves(rewards, ns)
    expected = bk.kl_exact(np.full(200, 1 / 200), rewards, ns.astype(float))
    np.testing.assert_allclose(curves.kl_plugin[0], expected, rtol=1e-12, atol=1e-15)


def test_hand_values():
    curves = bank_curves([0.0, 1.0, 2.0, 3.0], [1, 2, 3, 4])
    np.testing.assert_allclose(curves.expected_reward[0], [1.5, 14 / 6, 11 / 4, 3.0], rtol=1e-15)
    np.testing.assert_allclose(curves.win_rate[0, :3], [0.5, 2 / 3, 3 / 4], rtol=1e-15)
    assert np.isnan(curves.win_rate[0, 3])
    np.testing.assert_allclose(curves.kl_bound, bk.kl_bound(np.array([1.0, 2, 3, 4])))


# ------------------------------------------------------ large banks converge


def test_large_bank_approaches_core_values():
    """One big group drawn from a known discrete reference (fixed seed).

    Tolerance: 4 standard errors of the U-statistics at N = 200 000, which for
    these bounded quantities is below 0.01 absolute (reward range 0..4).
    """
    probs = np.array([0.3, 0.25, 0.2, 0.15, 0.1])
    rewards = np.array([0.0, 1.0, 1.0, 3.0, 4.0])  # tie between outcomes 1 and 2
    rng = np.random.default_rng(20261127)
    idx = rng.choice(5, size=200_000, p=probs)
    ns = np.array([1, 2, 4, 8, 16])
    curves = bank_curves(rewards[idx], ns, logprobs=np.log(probs)[idx])
    expected_reward = [float(bk.bon_pmf(probs, rewards, float(n)) @ rewards) for n in ns]
    np.testing.assert_allclose(curves.expected_reward[0], expected_reward, atol=0.01)
    np.testing.assert_allclose(curves.win_rate[0], bk.win_rate(probs, rewards, ns), atol=0.005)
    np.testing.assert_allclose(
        curves.kl_estimate[0], bk.kl_estimate_expected(probs, rewards, ns), atol=0.005
    )
    np.testing.assert_allclose(curves.kl_plugin[0], bk.kl_exact(probs, rewards, ns), atol=0.005)


def test_many_groups_average_approaches_core_values():
    """2000 groups of 40 samples (fixed seed): group means within 4 standard errors.

    The standard error is the spread of the per-group unbiased estimates / sqrt(2000).
    """
    probs = np.array([0.5, 0.3, 0.15, 0.05])
    rewards = np.array([0.0, 1.0, 2.0, 3.0])
    rng = np.random.default_rng(11)
    idx = rng.choice(4, size=(2000, 40), p=probs).ravel()
    groups = np.repeat(np.arange(2000), 40)
    ns = np.array([2, 8, 39])
    curves = bank_curves(rewards[idx], ns, logprobs=np.log(probs)[idx], groups=groups)
    exact = {
        "expected_reward": [float(bk.bon_pmf(probs, rewards, float(n)) @ rewards) for n in ns],
        "win_rate": bk.win_rate(probs, rewards, ns),
        "kl_estimate": bk.kl_estimate_expected(probs, rewards, ns),
    }
    for field, values in exact.items():
        per_group = getattr(curves, field)
        stderr = per_group.std(axis=0, ddof=1) / np.sqrt(2000)
        assert (np.abs(per_group.mean(axis=0) - values) < 4 * stderr).all(), field
        np.testing.assert_allclose(getattr(curves, "mean_" + field), per_group.mean(axis=0))


# ------------------------------------------------------------- numerics


def test_distinct_rewards_closed_forms_at_large_n():
    """Distinct rewards: W = n/(n+1) exactly, E[max rank] = n (N+1)/(n+1), for N = 1e6."""
    size = 1_000_000
    rewards = np.random.default_rng(3).permutation(size).astype(float) + 1.0  # ranks 1..N
    ns = np.array([1, 2, 1000, 500_000, size - 1, size])
    curves = bank_curves(rewards, ns)
    np.testing.assert_allclose(curves.win_rate[0, :-1], ns[:-1] / (ns[:-1] + 1.0), rtol=1e-12)
    np.testing.assert_allclose(
        curves.expected_reward[0], ns * (size + 1.0) / (ns + 1.0), rtol=1e-12
    )


def test_weights_sum_to_one_with_constant_reward_and_huge_tie():
    size = 300_000
    rewards = np.r_[np.zeros(size - 10), np.arange(1.0, 11.0)]
    curves = bank_curves(rewards, [1, 2, 5, 10, 11, 1000, size])
    # P(best is reward k) for k = 1..10 is C(size-11+k, n)... check via the mean of indicator
    ones = bank_curves(np.ones(size), [1, 7, size])
    np.testing.assert_allclose(ones.expected_reward[0], 1.0, rtol=1e-13)
    np.testing.assert_allclose(ones.win_rate[0, :2], 0.5, rtol=1e-13)
    assert np.isfinite(curves.expected_reward).all()
    assert (np.diff(curves.expected_reward[0]) >= 0).all()
    assert curves.expected_reward[0, -1] == 10.0


@given(
    bank_rewards(min_size=2, max_size=12, max_levels=5),
    st.randoms(use_true_random=False),
)
def test_invariant_to_row_order_group_order_and_id_type(values, rnd):
    """Splitting the same samples into groups, shuffling rows, renaming ids: same curves."""
    rewards = np.array(values, dtype=float)
    logprobs = -np.arange(1.0, len(values) + 1) / 3
    groups = np.array([rnd.randrange(3) for _ in values])
    ref = bank_curves(rewards, logprobs=logprobs, groups=groups)
    perm = np.array(rnd.sample(range(len(values)), len(values)))
    names = np.array(["p-zero", "p-one", "p-two"], dtype=object)
    other = bank_curves(
        rewards[perm], ns=ref.ns, logprobs=logprobs[perm], groups=names[groups[perm]]
    )
    order = [list(names[ref.groups]).index(g) for g in other.groups]
    for field in ("expected_reward", "win_rate", "kl_estimate", "kl_plugin"):
        np.testing.assert_allclose(getattr(other, field), getattr(ref, field)[order], rtol=1e-13)
    np.testing.assert_array_equal(other.n_samples, ref.n_samples[order])
    for field in ("mean_expected_reward", "mean_win_rate", "mean_kl_plugin", "groups_counted"):
        np.testing.assert_allclose(getattr(other, field), getattr(ref, field), rtol=1e-13)


def test_groups_in_first_appearance_order_and_different_sizes():
    curves = bank_curves([1, 2, 3, 4, 5, 6], groups=[30, 10, 30, 20, 10, 30], ns=[1, 2, 3])
    np.testing.assert_array_equal(curves.groups, [30, 10, 20])
    np.testing.assert_array_equal(curves.n_samples, [3, 2, 1])
    np.testing.assert_array_equal(curves.groups_counted, [3, 2, 1])
    assert np.isnan(curves.expected_reward[2, 1]) and np.isnan(curves.kl_plugin[1, 2])
    np.testing.assert_allclose(
        curves.mean_expected_reward, [(10 / 3 + 3.5 + 4) / 3, (5 + 5) / 2, 6.0]
    )
    np.testing.assert_allclose(curves.mean_win_rate[:2], [0.5, 2 / 3])
    assert np.isnan(curves.mean_win_rate[2])  # n = 3 needs N >= 4


def test_ns_order_and_repeats_kept():
    a = bank_curves([3.0, 1, 2, 5, 4], [4, 1, 4, 2])
    b = bank_curves([3.0, 1, 2, 5, 4], [1, 2, 4])
    np.testing.assert_array_equal(a.ns, [4, 1, 4, 2])
    np.testing.assert_array_equal(a.expected_reward, b.expected_reward[:, [2, 0, 2, 1]])


def test_tables():
    curves = bank_curves([0.0, 1, 2], logprobs=[-1.0, -1, -1])
    csv = curves.to_csv().splitlines()
    assert csv[0] == (
        "n,groups_counted,groups_counted_win_rate,kl_bound,kl_estimate,kl_estimate_sem,kl_plugin,kl_plugin_sem,"
        "expected_reward,expected_reward_sem,win_rate,win_rate_sem"
    )
    assert csv[3].startswith("3,1,0,") and csv[3].endswith(",2.0,nan,nan,nan")  # one group: no sem
    markdown = curves.to_markdown().splitlines()
    assert len(markdown) == 2 + 3 + 2  # header, rows, blank line and the note
    assert "needs a reference sample held out" in markdown[-1]  # why the win rate is NaN at n = N
    assert "kl_estimate" not in bank_curves([0.0, 1]).to_csv()


def test_tables_mark_rows_whose_groups_change_with_n():
    curves = bank_curves([0.0, 1, 2, 3, 4, 5], [1, 2, 3, 4], groups=[0, 0, 0, 0, 1, 1])
    rows = curves.to_markdown().splitlines()
    cells = [row.split(" | ")[1] for row in rows[2:6]]  # the groups column
    assert cells == ["2", "2*", "1*", "1*"]  # n = 2: the win rate already drops group 1
    assert any("groups averaged change with n" in line for line in rows)
    assert curves.population_changes().tolist() == [False, True, True, True]
    same = bank_curves([0.0, 1, 2, 3], [1, 2], groups=[0, 0, 1, 1])
    assert "change with n" not in same.to_markdown()
    assert curves.to_dict()["notes"] == curves.notes()


# ------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"rewards": []}, ValueError, "rewards is empty"),
        ({"rewards": [1.0, np.nan]}, ValueError, "rewards must be finite"),
        ({"rewards": [1.0, np.inf]}, ValueError, "rewards must be finite"),
        ({"rewards": ["a", "b"]}, TypeError, "rewards must be"),
        ({"rewards": [[1.0, 2.0]]}, ValueError, "rewards must be 1-D"),
        ({"rewards": [1.0, 2.0], "logprobs": [-1.0]}, ValueError, "logprobs has 1 entries"),
        ({"rewards": [1.0, 2.0], "logprobs": [-1.0, 0.5]}, ValueError, "logprobs must be <= 0"),
        (
            {"rewards": [1.0, 2.0], "logprobs": [-1.0, np.nan]},
            ValueError,
            "logprobs must be finite",
        ),
        ({"rewards": [1.0, 2.0], "groups": [1]}, ValueError, "groups must be 1-D with one id"),
        ({"rewards": [1.0, 2.0], "groups": [1.0, np.nan]}, ValueError, "missing"),
        ({"rewards": [1.0, 2.0], "ns": [0]}, ValueError, "ns must be >= 1"),
        ({"rewards": [1.0, 2.0], "ns": [1.5]}, ValueError, "ns must be integers"),
        ({"rewards": [1.0, 2.0], "ns": ["x"]}, TypeError, "ns must be"),
        ({"rewards": [1.0, 2.0], "ns": True}, TypeError, "ns must be integers"),
        ({"rewards": [1.0, 2.0], "ns": []}, ValueError, "ns is empty"),
        ({"rewards": [1.0, 2.0], "ns": [1e300]}, ValueError, "ns must be at most 2"),
    ],
)
def test_bad_input_raises(kwargs, error, match):
    with pytest.raises(error, match=match):
        bank_curves(**kwargs)


def test_float32_and_integer_input_accepted():
    a = bank_curves(np.array([0.5, 1.5, 1.5], dtype=np.float32), logprobs=np.float32([-1, -2, -3]))
    b = bank_curves([0.5, 1.5, 1.5], logprobs=[-1.0, -2.0, -3.0])
    np.testing.assert_array_equal(a.expected_reward, b.expected_reward)
    np.testing.assert_array_equal(
        bank_curves([0, 1, 1]).win_rate, bank_curves([0.0, 1, 1]).win_rate
    )


def test_cached_and_uncached_weights_agree_exactly(monkeypatch):
    """Per-size weight tables (cached) and per-group recomputation give identical bits."""
    import bonkl_fast.bank as bank_module

    rng = np.random.default_rng(5)
    sizes = rng.integers(1, 30, 200)
    groups = np.repeat(np.arange(200), sizes)
    rewards = rng.integers(0, 6, groups.shape[0]).astype(float)
    logprobs = -rng.exponential(2.0, groups.shape[0])
    gold = {"gold": rng.integers(0, 3, groups.shape[0]).astype(float)}
    ns = np.arange(1, 31)
    cached = bank_curves(rewards, ns, logprobs=logprobs, groups=groups, evaluate=gold)
    monkeypatch.setattr(bank_module, "CACHE_LIMIT", 0)
    direct = bank_curves(rewards, ns, logprobs=logprobs, groups=groups, evaluate=gold)
    for field in ("expected_reward", "win_rate", "kl_estimate", "kl_plugin"):
        np.testing.assert_array_equal(getattr(cached, field), getattr(direct, field))
    np.testing.assert_array_equal(cached.evaluated["gold"], direct.evaluated["gold"])
    np.testing.assert_array_equal(
        cached.evaluated_win_rate["gold"], direct.evaluated_win_rate["gold"]
    )


def test_id_encodings_give_the_same_groups():
    """Compact ints (lookup table), sparse ints (radix sort), strings and mixed objects."""
    rng = np.random.default_rng(8)
    codes = rng.integers(0, 7, 300)
    rewards = rng.integers(0, 4, 300).astype(float)
    reference = bank_curves(rewards, [1, 2, 5], groups=codes)
    variants = [
        codes * 10**12 - 3,  # sparse ints: radix path
        codes.astype(np.uint64),
        np.array([f"id{c}" for c in codes]),
        np.array([c if c % 2 else f"s{c}" for c in codes], dtype=object),  # unorderable mix
        [(int(c), "t") for c in codes],
    ]
    for ids in variants:
        other = bank_curves(rewards, [1, 2, 5], groups=ids)
        assert len(other.groups) == len(reference.groups)
        for field in ("n_samples", "expected_reward", "win_rate", "kl_plugin"):
            np.testing.assert_array_equal(getattr(other, field), getattr(reference, field))


def test_extreme_logprobs_stay_finite_and_bounded():
    """Log-probs far below exp's range and within rounding of 0: estimate in [0, kl_bound]."""
    rewards = np.arange(12.0)
    logprobs = np.array(
        [-1e4, -800.0, -745.5, -700.0, -50.0, -1.0, -1e-3, -1e-9, -1e-15, -1e-300, 0.0, -2000.0]
    )
    curves = bank_curves(rewards, logprobs=logprobs)
    est = curves.kl_estimate[0]
    assert np.isfinite(est).all()
    assert (est >= 0).all() and (est <= curves.kl_bound * (1 + 1e-15)).all()
    # the top sample (logprob -2000) is picked with probability n/N and has estimate kl_bound(n)
    ns = curves.ns.astype(float)
    assert (est >= ns / 12 * curves.kl_bound * (1 - 1e-12)).all()
    # a sample with logprob exactly 0 (eps = 1) contributes 0; alone it gives 0 for every n
    assert (bank_curves([1.0, 1.0, 1.0], logprobs=[0.0, 0.0, 0.0]).kl_estimate == 0).all()
