"""bank_curves(..., evaluate=...) and bank_weights (issues 10, 12): brute force over subsets,
identities, the O(N^2) pair sum, standard errors and intervals against NumPy, errors."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bonkl_fast.bank import bank_curves, bank_weights, default_ns


@pytest.fixture(scope="session", autouse=True)
def warm_bank_kernels():
    bank_curves([0.0, 1.0, 1.0], groups=[0, 0, 1], evaluate={"e": [1.0, 0.0, 2.0]})


def half(x, y):
    """Win of x over y: 1, 1/2 on a tie, 0."""
    return Fraction(1) if x > y else Fraction(1, 2) if x == y else Fraction(0)


def brute_force(rewards, scores, n):
    """Expected score of the pick and its win rate, enumerating every n- and (n+1)-subset.

    The pick is the top-reward member of the subset, uniform among tied top members.
    """
    size = len(rewards)

    def picks(subset):
        top = max(rewards[i] for i in subset)
        return [i for i in subset if rewards[i] == top]

    subsets = list(itertools.combinations(range(size), n))
    score = sum(
        sum(Fraction(scores[i]) for i in best) / len(best) for best in map(picks, subsets)
    ) / len(subsets)
    if n >= size:
        return score, None
    win, count = Fraction(0), 0
    for subset in itertools.combinations(range(size), n + 1):
        for ref in subset:
            best = picks([i for i in subset if i != ref])
            win += sum(half(scores[i], scores[ref]) for i in best) / len(best)
            count += 1
    return score, win / count


BANKS = [
    ([3, 1, 4, 1, 5, 9, 2, 6], [2, 2, 0, 1, 2, 0, 1, 1]),  # ties in both
    ([1, 1, 1, 2, 2, 0, 0, 2], [5, 5, 1, 1, 5, 1, 0, 5]),  # big levels, tied scores across levels
    ([0, 1, 2, 3, 4, 5, 6, 7], [7, 6, 5, 4, 3, 2, 1, 0]),  # anti-correlated
    ([2, 2, 2, 2], [1, 0, 1, 3]),  # one reward level
    ([1, 0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5, 0.5]),  # one score level
    ([4.0, -1.0], [1.0, 2.0]),
    ([1.0], [3.0]),
]


@pytest.mark.parametrize("rewards, scores", BANKS)
def test_matches_brute_force_over_all_subsets(rewards, scores):
    curves = bank_curves(rewards, np.arange(1, len(rewards) + 1), evaluate={"gold": scores})
    for j, n in enumerate(curves.ns):
        score, win = brute_force(rewards, scores, int(n))
        assert curves.evaluated["gold"][0, j] == pytest.approx(float(score), rel=1e-13, abs=1e-15)
        if win is None:
            assert np.isnan(curves.evaluated_win_rate["gold"][0, j])
        else:
            assert curves.evaluated_win_rate["gold"][0, j] == pytest.approx(float(win), rel=1e-13)


def test_groups_of_different_sizes_shuffled_rows_match_brute_force():
    rng = np.random.default_rng(7)
    sizes = [8, 5, 3, 7, 1]
    groups = np.repeat(np.arange(len(sizes)) * 10, sizes)
    rewards = rng.integers(0, 3, groups.shape[0]).astype(float)
    gold = rng.integers(0, 3, groups.shape[0]).astype(float)
    human = rng.normal(size=groups.shape[0]).round(1)
    perm = rng.permutation(groups.shape[0])
    g, r, e1, e2 = groups[perm], rewards[perm], gold[perm], human[perm]
    curves = bank_curves(r, np.arange(1, 9), groups=g, evaluate={"gold": e1, "human": e2})
    assert list(curves.evaluated) == ["gold", "human"]
    for k, gid in enumerate(curves.groups):
        rows = g == gid
        for name, e in (("gold", e1), ("human", e2)):
            for j, n in enumerate(curves.ns):
                if n > rows.sum():
                    assert np.isnan(curves.evaluated[name][k, j])
                    continue
                score, win = brute_force(list(r[rows]), list(e[rows]), int(n))
                assert curves.evaluated[name][k, j] == pytest.approx(float(score), rel=1e-12)
                got = curves.evaluated_win_rate[name][k, j]
                assert np.isnan(got) if win is None else got == pytest.approx(float(win), rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=7),
    st.integers(1, 7),
)
def test_property_brute_force(pairs, n):
    rewards, scores = [p[0] for p in pairs], [p[1] for p in pairs]
    n = min(n, len(pairs))
    curves = bank_curves(rewards, [n], evaluate=np.array(scores, dtype=float))
    score, win = brute_force(rewards, scores, n)
    assert curves.evaluated["evaluate"][0, 0] == pytest.approx(float(score), rel=1e-12)
    if win is not None:
        assert curves.evaluated_win_rate["evaluate"][0, 0] == pytest.approx(float(win), rel=1e-12)


def pair_sum_reference(rewards, scores, n):
    """O(N^2) win rate for distinct rewards: sum_{i != j} C(L_ij, n-1) s(e_i, e_j) / (N C(N-1, n)),
    L_ij the number of samples below i other than j (exact integers)."""
    size = len(rewards)
    below = [sum(rewards[k] < rewards[i] for k in range(size)) for i in range(size)]
    total = Fraction(0)
    for i in range(size):
        for j in range(size):
            if i != j:
                low = below[i] - (rewards[j] < rewards[i])
                total += math.comb(low, n - 1) * half(scores[i], scores[j])
    return total / (size * math.comb(size - 1, n))


def test_fenwick_counting_against_quadratic_pair_sum():
    rng = np.random.default_rng(3)
    rewards = rng.permutation(60).astype(float)
    scores = rng.integers(0, 7, 60).astype(float)  # many score ties
    ns = [1, 2, 5, 17, 40, 59]
    curves = bank_curves(rewards, ns, evaluate={"e": scores})
    for j, n in enumerate(ns):
        want = pair_sum_reference(list(rewards), list(scores), n)
        assert curves.evaluated_win_rate["e"][0, j] == pytest.approx(float(want), rel=1e-12)


def test_evaluating_the_reward_reproduces_reward_curves():
    rng = np.random.default_rng(11)
    groups = rng.integers(0, 40, 3000)
    rewards = np.round(rng.normal(size=3000), 1)  # ties
    curves = bank_curves(rewards, groups=groups, evaluate={"r": rewards})
    np.testing.assert_allclose(
        curves.evaluated["r"], curves.expected_reward, rtol=1e-12, atol=1e-14
    )
    np.testing.assert_allclose(curves.evaluated_win_rate["r"], curves.win_rate, rtol=1e-12)
    np.testing.assert_allclose(
        curves.mean_evaluated_win_rate["r"], curves.mean_win_rate, rtol=1e-12
    )


def test_large_group_with_monotone_score_equals_reward_win_rate():
    rng = np.random.default_rng(5)
    rewards = rng.normal(size=200_000).round(3)
    curves = bank_curves(rewards, [1, 10, 1000, 199_999], evaluate={"cube": rewards**3})
    np.testing.assert_allclose(curves.evaluated_win_rate["cube"], curves.win_rate, rtol=1e-10)


def test_binary_rewards_give_the_unbiased_pass_at_k_estimator_exactly():
    rng = np.random.default_rng(12)
    for size, correct in [(10, 0), (10, 3), (25, 24), (200, 7), (5, 5)]:
        rewards = np.zeros(size)
        rewards[rng.choice(size, correct, replace=False)] = 1.0
        ks = np.arange(1, size + 1)
        curves = bank_curves(rewards, ks, evaluate={"same": rewards})
        for j, k in enumerate(ks):
            want = 1 - Fraction(math.comb(size - correct, k), math.comb(size, k))
            assert curves.expected_reward[0, j] == pytest.approx(float(want), rel=1e-13, abs=1e-15)
            assert curves.evaluated["same"][0, j] == pytest.approx(
                float(want), rel=1e-13, abs=1e-15
            )


# ---------------------------------------------------------------- weights


def weights_brute_force(rewards, n):
    size = len(rewards)
    out = [Fraction(0)] * size
    subsets = list(itertools.combinations(range(size), n))
    for subset in subsets:
        top = max(rewards[i] for i in subset)
        best = [i for i in subset if rewards[i] == top]
        for i in best:
            out[i] += Fraction(1, len(best) * len(subsets))
    return out


@pytest.mark.parametrize("rewards, _", BANKS)
def test_bank_weights_brute_force_and_sum(rewards, _):
    for n in range(1, len(rewards) + 1):
        got = bank_weights(rewards, n)
        want = [float(w) for w in weights_brute_force(rewards, n)]
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-16)
        assert math.fsum(got) == pytest.approx(1.0, rel=1e-14)


def test_bank_weights_are_the_weights_of_bank_curves():
    rng = np.random.default_rng(2)
    groups = rng.integers(0, 30, 2000)
    rewards = rng.integers(0, 20, 2000).astype(float)
    gold = rng.normal(size=2000)
    n = 5
    weights = bank_weights(rewards, n, groups=groups)
    curves = bank_curves(rewards, [n], groups=groups, evaluate={"gold": gold})
    for k, gid in enumerate(curves.groups):
        rows = groups == gid
        assert math.fsum(weights[rows]) == pytest.approx(1.0, rel=1e-13)
        assert weights[rows] @ rewards[rows] == pytest.approx(
            curves.expected_reward[k, 0], rel=1e-12
        )
        assert weights[rows] @ gold[rows] == pytest.approx(
            curves.evaluated["gold"][k, 0], rel=1e-10, abs=1e-13
        )


def test_bank_weights_errors():
    with pytest.raises(ValueError, match="exceeds the 2 samples of group 'b'"):
        bank_weights([1, 2, 3, 4, 5], 3, groups=["a", "a", "a", "b", "b"])
    with pytest.raises(ValueError, match="one subset size"):
        bank_weights([1, 2], [1, 2])
    with pytest.raises(ValueError, match=">= 1"):
        bank_weights([1, 2], 0)


# ---------------------------------------------------------------- standard errors


def test_sem_and_normal_interval_against_numpy():
    rng = np.random.default_rng(4)
    sizes = rng.integers(2, 12, 25)
    groups = np.repeat(np.arange(25), sizes)
    rewards = rng.normal(size=groups.shape[0])
    gold = rewards + rng.normal(size=groups.shape[0])
    curves = bank_curves(rewards, np.arange(1, 12), groups=groups, evaluate={"gold": gold})
    per_group = {
        "expected_reward": (curves.expected_reward, curves.sem_expected_reward),
        "win_rate": (curves.win_rate, curves.sem_win_rate),
        "kl_plugin": (curves.kl_plugin, curves.sem_kl_plugin),
        "gold": (curves.evaluated["gold"], curves.sem_evaluated["gold"]),
        "gold_win": (curves.evaluated_win_rate["gold"], curves.sem_evaluated_win_rate["gold"]),
    }
    for values, sem in per_group.values():
        for j in range(curves.ns.shape[0]):
            column = values[~np.isnan(values[:, j]), j]
            if column.shape[0] < 2:
                assert np.isnan(sem[j])
            else:
                want = np.std(column, ddof=1) / np.sqrt(column.shape[0])
                assert sem[j] == pytest.approx(want, rel=1e-12, abs=1e-15)  # values O(1)
    low, high = curves.confidence_interval("evaluated", "gold", level=0.9)
    z = NormalDist().inv_cdf(0.95)
    mean, sem = curves.mean_evaluated["gold"], curves.sem_evaluated["gold"]
    np.testing.assert_allclose(low, mean - z * sem, rtol=1e-14)
    np.testing.assert_allclose(high, mean + z * sem, rtol=1e-14)


def test_bootstrap_interval_is_the_literal_resampling():
    rng = np.random.default_rng(8)
    groups = np.repeat(np.arange(40), np.r_[np.full(30, 6), np.full(10, 3)])
    rewards = rng.normal(size=groups.shape[0])
    curves = bank_curves(rewards, [1, 2, 5], groups=groups)
    low, high = curves.confidence_interval("win_rate", method="bootstrap", resamples=300, rng=1)
    # literal: draw groups with replacement (the same multinomial counts), average the rows
    counts = np.random.default_rng(1).multinomial(40, np.full(40, 1 / 40), size=300)
    means = np.array([np.nanmean(np.repeat(curves.win_rate, c, axis=0), axis=0) for c in counts])
    np.testing.assert_allclose(low, np.quantile(means, 0.025, axis=0), rtol=1e-12)
    np.testing.assert_allclose(high, np.quantile(means, 0.975, axis=0), rtol=1e-12)
    again = curves.confidence_interval("win_rate", method="bootstrap", resamples=300, rng=1)
    np.testing.assert_array_equal(again[0], low)
    assert (low <= curves.mean_win_rate).all() and (curves.mean_win_rate <= high).all()


def test_interval_errors():
    curves = bank_curves([0.0, 1.0, 2.0, 3.0], groups=[0, 0, 1, 1])
    with pytest.raises(ValueError, match="no evaluation score 'gold'"):
        curves.confidence_interval("evaluated", "gold")
    with pytest.raises(ValueError, match="kl_estimate needs log-probabilities"):
        curves.confidence_interval("kl_estimate")
    with pytest.raises(ValueError, match="'normal' or 'bootstrap'"):
        curves.confidence_interval(method="jackknife")
    with pytest.raises(ValueError, match="level"):
        curves.confidence_interval(level=95)


# ---------------------------------------------------------------- input checks


def test_evaluate_errors():
    with pytest.raises(ValueError, match="evaluate\\['gold'\\] has 2 entries but rewards has 3"):
        bank_curves([1, 2, 3], evaluate={"gold": [1, 2]})
    with pytest.raises(ValueError, match="finite"):
        bank_curves([1, 2, 3], evaluate={"gold": [1, np.nan, 2]})
    with pytest.raises(TypeError, match="names"):
        bank_curves([1, 2, 3], evaluate={1: [1, 2, 3]})
    with pytest.raises(TypeError, match="real numbers"):
        bank_curves([1, 2, 3], evaluate={"gold": ["a", "b", "c"]})


def test_integers_beyond_float64_are_refused_not_tied():
    big = np.array([2**53, 2**53 + 1, 0], dtype=np.int64)
    with pytest.raises(ValueError, match="equal once converted to float64"):
        bank_curves(big)
    with pytest.raises(ValueError, match="equal once converted to float64"):
        bank_curves([0.0, 1.0, 2.0], evaluate={"gold": big})
    exact = np.array([2**60, 0, 2**60], dtype=np.int64)  # representable: accepted
    assert bank_curves(exact, [1]).expected_reward[0, 0] == pytest.approx(2**61 / 3)


def test_group_ids_true_and_one_stay_distinct():
    for groups in ([True, 1, True, 1], np.array([True, 1, True, 1], dtype=object)):
        curves = bank_curves([0.0, 5.0, 2.0, 7.0], [1], groups=groups)
        assert curves.groups.tolist() == [True, 1]
        assert type(curves.groups[0]) is bool
        np.testing.assert_allclose(curves.expected_reward[:, 0], [1.0, 6.0])


def test_missing_and_string_group_ids_refused():
    nat = np.array(["2024-01-01", "NaT"], dtype="datetime64[D]")
    with pytest.raises(ValueError, match="missing id"):
        bank_curves([1.0, 2.0], groups=nat)
    with pytest.raises(ValueError, match="missing id"):
        bank_curves([1.0, 2.0], groups=[np.datetime64("NaT"), "a"])
    with pytest.raises(ValueError, match="missing id"):
        bank_curves([1.0, 2.0], groups=np.array([np.float32("nan"), 1.0], dtype=object))
    with pytest.raises(TypeError, match="single string 'ab'"):
        bank_curves([1.0, 2.0], groups="ab")
    days = np.array(["2024-01-01", "2024-01-02", "2024-01-01"], dtype="datetime64[D]")
    assert bank_curves([1.0, 2.0, 3.0], [1], groups=days).n_samples.tolist() == [2, 1]


def test_default_ns_is_near_linear_and_documented():
    assert default_ns(1).tolist() == [1]
    assert default_ns(32).tolist() == list(range(1, 33))
    ns = default_ns(10**6)
    assert ns[:32].tolist() == list(range(1, 33)) and ns[-1] == 10**6
    assert (np.diff(ns) > 0).all() and ns.shape[0] < 32 + 4 * 16
    ratios = ns[33:] / ns[32:-1]
    assert ratios.max() < 1.25  # log-spaced: four per doubling
    assert bank_curves(np.arange(100.0)).ns.tolist() == default_ns(100).tolist()
    every = bank_curves(np.arange(100.0), np.arange(1, 101))
    assert every.ns.shape == (100,)


def test_csv_header_quotes_score_names_with_commas():
    import csv
    import io

    curves = bank_curves([0.0, 1.0, 2.0], [1, 2], evaluate={"gold, v2": [2.0, 1.0, 0.0]})
    rows = list(csv.reader(io.StringIO(curves.to_csv())))
    header = rows[0]
    assert "evaluated[gold, v2]" in header and all(len(row) == len(header) for row in rows)
    assert float(rows[2][header.index("evaluated[gold, v2]")]) == pytest.approx(1 / 3)  # n = 2


def test_tables_say_when_all_samples_are_distinct():
    rng = np.random.default_rng(9)
    rewards = rng.normal(size=400)
    groups = np.repeat(np.arange(20), 20)
    long_answers = bank_curves(rewards, groups=groups, logprobs=-rng.normal(300, 30, 400))
    np.testing.assert_allclose(long_answers.mean_kl_estimate, long_answers.kl_bound, rtol=1e-12)
    assert "all samples distinct: log n - (n-1)/n is exact here" in long_answers.to_markdown()
    short_answers = bank_curves(rewards, groups=groups, logprobs=-rng.exponential(1.0, 400))
    assert not short_answers.all_samples_distinct()
    assert "all samples distinct" not in short_answers.to_markdown()
    assert not bank_curves(rewards, groups=groups).all_samples_distinct()  # no log-probs
