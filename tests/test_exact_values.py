"""Hand-computed values, MATH §9, closed forms and API conventions of the exact core."""

from __future__ import annotations

import math

import numpy as np
import pytest

import bonkl_fast as bk

REL = 1e-14  # the table gives 15 significant digits


def uniform(size):
    return np.full(size, 1.0 / size), np.arange(size, dtype=float)


# MATH §9. Three entries of the table are wrong in their last digits; the values used
# here were recomputed at 60 digits with mpmath from the closed forms (see the note):
#   kl_bound(1000): table 5.90875527897920, log(1000) - 999/1000 = 5.90875527898214
#   W, uniform L=1000, n=1000: table 0.998919018442856, correct 0.998919018443269
#   W, binary (1-1e-4, 1e-4), n=1000: table 0.547533553220733, correct 0.547533553220727
TABLE = [
    # (probs, rewards, n, KL, kl_bound, kl_estimate(p_top) or None, W)
    (*uniform(2), 2, 0.130812035941137, 0.193147180559945, 0.179098831081123, 0.625),
    (*uniform(2), 4, 0.459355521853486, 0.636294361119891, 0.499123919423479, 0.71875),
    (*uniform(10), 10, 1.36109717670988, 1.40258509299405, 1.37888673625489, 0.90085658075),
    (
        *uniform(1000),
        1000,
        5.86809953850957,
        5.90875527898214,
        5.88307768410086,
        0.998919018443269,
    ),
    (
        np.array([1 - 1e-4, 1e-4]),
        np.array([0.0, 1.0]),
        1000,
        0.562279574818298,
        5.90875527898214,
        None,
        0.547533553220727,
    ),
]


@pytest.mark.parametrize("probs, rewards, n, kl, bound, estimate, win", TABLE)
def test_math_table(probs, rewards, n, kl, bound, estimate, win):
    assert bk.kl_exact(probs, rewards, n) == pytest.approx(kl, rel=REL)
    assert bk.kl_bound(n) == pytest.approx(bound, rel=REL)
    assert bk.win_rate(probs, rewards, n) == pytest.approx(win, rel=REL)
    if estimate is not None:
        assert bk.kl_estimate(probs[-1], n) == pytest.approx(estimate, rel=REL)


def test_math_table_wrong_kl_bound_entry_is_really_wrong():
    """The table's kl_bound(1000) = 5.90875527897920 contradicts log(1000) - 0.999."""
    exact = 3 * math.log(10) - 0.999
    assert abs(exact - 5.90875527897920) > 1e-12
    assert bk.kl_bound(1000) == pytest.approx(exact, rel=1e-15)


def binary_uniform_kl(n):
    """MATH §9: KL_n = 2^-n log(2^(1-n)) + (1 - 2^-n) log(2 - 2^(1-n))."""
    return 2.0**-n * math.log(2.0 ** (1 - n)) + (1 - 2.0**-n) * math.log(2 - 2.0 ** (1 - n))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 20, 50, 100])
def test_binary_uniform_closed_form(n):
    expected = binary_uniform_kl(n)
    assert bk.kl_exact([0.5, 0.5], [0.0, 1.0], n) == pytest.approx(expected, rel=1e-14, abs=0)
    # W_n = 1/2 * (1 - 2^-n) + 1/2 * ... : the top wins against the bottom, ties half
    w_top = 1 - 2.0**-n
    expected_win = w_top * (0.5 + 0.25) + (1 - w_top) * 0.25
    assert bk.win_rate([0.5, 0.5], [0.0, 1.0], n) == pytest.approx(expected_win, rel=1e-15)


def test_binary_large_n_saturates_at_log_2():
    assert bk.kl_exact([0.5, 0.5], [0.0, 1.0], 2000) == pytest.approx(math.log(2), rel=1e-15)


@pytest.mark.parametrize("size", [1, 2, 5, 100])
def test_n_equal_one_is_the_reference(size):
    rng = np.random.default_rng(size)
    probs = rng.dirichlet(np.ones(size))
    rewards = rng.integers(0, 3, size).astype(float)
    assert bk.kl_exact(probs, rewards, 1) == 0.0
    assert bk.win_rate(probs, rewards, 1) == 0.5
    assert bk.kl_estimate_expected(probs, rewards, 1) == 0.0
    np.testing.assert_allclose(bk.bon_pmf(probs, rewards, 1), probs, rtol=1e-15, atol=0)


@pytest.mark.parametrize("n", [1, 2.5, 1e3, 1e15])
def test_one_outcome(n):
    assert bk.kl_exact([1.0], [3.0], n) == 0.0
    assert bk.win_rate([1.0], [3.0], n) == 0.5
    assert bk.bon_pmf([1.0], [3.0], n).tolist() == [1.0]
    assert bk.kl_saturation([1.0], [3.0]) == 0.0
    assert bk.kl_estimate_expected([1.0], [3.0], n) == 0.0


def test_all_outcomes_tied_behave_like_one():
    probs = [0.2, 0.3, 0.5]
    assert bk.kl_exact(probs, [1.0, 1.0, 1.0], 50) == 0.0
    assert bk.win_rate(probs, [1.0, 1.0, 1.0], 50) == 0.5
    np.testing.assert_allclose(bk.bon_pmf(probs, [1.0, 1.0, 1.0], 50), probs, rtol=1e-15)


def test_pmf_small_hand_case():
    # three outcomes, rewards 0 < 1 < 2, masses 1/4, 1/4, 1/2, n = 2
    pmf = bk.bon_pmf([0.5, 0.25, 0.25], [2.0, 0.0, 1.0], 2)
    np.testing.assert_allclose(pmf, [1 - 0.25, 0.25**2, 0.5**2 - 0.25**2], rtol=1e-15)


def test_ties_share_level_mass_in_proportion():
    # level {0, 2} at reward 1 with mass 3/4; the lower level {1} has mass 1/4
    pmf = bk.bon_pmf([0.25, 0.25, 0.5], [1.0, 0.0, 1.0], 3)
    level = 1 - 0.25**3
    np.testing.assert_allclose(pmf, [level / 3, 0.25**3, 2 * level / 3], rtol=1e-15)


def test_rewards_minus_zero_ties_with_zero():
    a = bk.kl_exact([0.5, 0.5], [-0.0, 0.0], 10)
    assert a == 0.0


def test_kl_bound_values():
    assert bk.kl_bound(1) == 0.0
    assert bk.kl_bound(2) == pytest.approx(math.log(2) - 0.5, rel=1e-15)
    assert bk.kl_bound(1e15) == pytest.approx(math.log(1e15) - (1e15 - 1) / 1e15, rel=1e-15)
    # near n = 1: log(1+d) - d/(1+d) = d^2/2 - 2 d^3/3 + ..., no cancellation
    d = 1e-6
    assert bk.kl_bound(1 + d) == pytest.approx(d**2 / 2 - 2 * d**3 / 3, rel=1e-9)
    np.testing.assert_allclose(
        bk.kl_bound(np.array([[1.0, 10.0], [100.0, 1e6]])),
        [[0.0, math.log(10) - 0.9], [math.log(100) - 0.99, math.log(1e6) - (1e6 - 1) / 1e6]],
        rtol=1e-15,
    )


def test_win_rate_bound_values():
    assert bk.win_rate_bound(1) == 0.5
    assert bk.win_rate_bound(3.0) == 0.75
    out = bk.win_rate_bound(np.array([[1.0], [9.0]]))
    assert out.shape == (2, 1)
    np.testing.assert_array_equal(out, [[0.5], [0.9]])


class TestKlEstimate:
    """MATH §4 properties of the closed-form estimator."""

    def test_zero_at_n_one_and_eps_one(self):
        assert bk.kl_estimate(0.3, 1) == 0.0
        assert bk.kl_estimate(1.0, 1000) == 0.0
        assert bk.kl_estimate(1.0, 1e15) == 0.0

    @pytest.mark.parametrize("n", [2, 10, 1e3, 1e6])
    def test_tends_to_bound_as_eps_to_zero(self, n):
        bound = bk.kl_bound(n)
        assert bk.kl_estimate(1e-300, n) == pytest.approx(bound, rel=1e-13)
        assert bk.kl_estimate(1e-20, n) <= bound

    @pytest.mark.parametrize("eps", [0.5, 1e-2, 1e-6])
    def test_tends_to_log_one_over_eps_as_n_grows(self, eps):
        big = 1e4 / eps
        assert bk.kl_estimate(eps, big) == pytest.approx(math.log(1 / eps), rel=1e-3)
        assert bk.kl_estimate(eps, 1e15) == pytest.approx(math.log(1 / eps), rel=1e-12)

    def test_literal_closed_form(self):
        for eps, n in [(0.3, 2.0), (0.05, 7.5), (1e-3, 100.0), (0.9, 3.0)]:
            a = (1 - eps) ** n
            b = 1 - a
            literal = a * (math.log(n) + (n - 1) * math.log(1 - eps) - (n - 1) / n) + b * math.log(
                b / eps
            )
            assert bk.kl_estimate(eps, n) == pytest.approx(literal, rel=1e-12)

    def test_binary_top_atom_is_exact(self):
        # a two-level reference with the top atom: KL of best-of-n is below the estimate
        # (the bottom level is an atom, not continuous), equal only as the atom vanishes
        assert bk.kl_exact([1 - 0.3, 0.3], [0, 1], 5) < bk.kl_estimate(0.3, 5)

    def test_broadcasting(self):
        eps = np.array([[0.1], [0.5]])
        n = np.array([1.0, 2.0, 10.0])
        out = bk.kl_estimate(eps, n)
        assert out.shape == (2, 3)
        for i in range(2):
            for j in range(3):
                assert out[i, j] == bk.kl_estimate(float(eps[i, 0]), float(n[j]))
        assert isinstance(bk.kl_estimate(0.1, 2.0), float)

    @pytest.mark.parametrize("bad", [0.0, -0.1, 1.5, math.nan, math.inf])
    def test_bad_eps(self, bad):
        with pytest.raises(ValueError, match="eps must be a probability"):
            bk.kl_estimate(bad, 2)


def test_kl_saturation():
    assert bk.kl_saturation([0.7, 0.2, 0.1], [0, 1, 1]) == pytest.approx(-math.log(0.3), rel=1e-15)
    # a zero-probability outcome at the top does not count
    assert bk.kl_saturation([0.5, 0.5, 0.0], [0, 1, 5]) == pytest.approx(math.log(2), rel=1e-15)
    # KL approaches it
    assert bk.kl_exact([0.5, 0.25, 0.25], [0, 1, 2], 1e6) == pytest.approx(math.log(4), rel=1e-15)


def test_kl_saturation_single_level_with_rounded_sum():
    """Found by hypothesis: a single level whose summed mass rounds to 1 + 2^-52 gave
    kl_saturation = -2.2e-16 (below kl_exact = 0). (Sums within 4 ulp of 1 are kept as
    given, so masses summing to 1 + 2^-52 reproduce it.)"""
    probs = np.array([0.25, 0.25, 0.25, 0.25 + 2.0**-52, 0.0])
    from bonkl_fast._levels import prepare_levels

    assert prepare_levels(probs, np.zeros(5)).mass[0] > 1.0  # the situation of the bug
    value = bk.kl_saturation(probs, np.zeros(5))
    assert value == 0.0 and math.copysign(1.0, value) == 1.0


def test_kl_divergence():
    assert bk.kl_divergence([0.25, 0.75], [0.5, 0.5]) == pytest.approx(
        0.25 * math.log(0.5) + 0.75 * math.log(1.5), rel=1e-15
    )
    assert bk.kl_divergence([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert bk.kl_divergence([0.0, 1.0], [0.5, 0.5]) == pytest.approx(math.log(2), rel=1e-15)
    assert bk.kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    with pytest.raises(ValueError, match="outcomes"):
        bk.kl_divergence([0.5, 0.5], [0.2, 0.3, 0.5])


def test_kl_divergence_of_bon_pmf_equals_kl_exact():
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.full(30, 0.5))
    rewards = rng.integers(0, 10, 30).astype(float)
    pmf = bk.bon_pmf(probs, rewards, 17)
    assert bk.kl_divergence(pmf, probs) == pytest.approx(bk.kl_exact(probs, rewards, 17), rel=1e-12)


def test_win_rate_vs_reference():
    probs = [0.5, 0.5]
    rewards = [0.0, 1.0]
    assert bk.win_rate_vs_reference([0.25, 0.75], probs, rewards) == pytest.approx(0.625)
    assert bk.win_rate_vs_reference(probs, probs, rewards) == 0.5
    # of the best-of-n pmf: equals win_rate
    rng = np.random.default_rng(4)
    p = rng.dirichlet(np.ones(20))
    r = rng.integers(0, 5, 20).astype(float)
    assert bk.win_rate_vs_reference(bk.bon_pmf(p, r, 6), p, r) == pytest.approx(
        bk.win_rate(p, r, 6), rel=1e-14
    )
    # an outcome of zero reference mass, with a reward between levels
    assert bk.win_rate_vs_reference([0, 0, 1], [0.5, 0.5, 0], [0, 2, 1]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="outcomes"):
        bk.win_rate_vs_reference([1.0], probs, rewards)


class TestShapes:
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    rewards = np.array([3.0, 1.0, 2.0, 0.0])

    @pytest.mark.parametrize("func", [bk.kl_exact, bk.win_rate, bk.kl_estimate_expected])
    def test_scalar_gives_float(self, func):
        for n in [3, 3.0, np.float32(3.0), np.int64(3), np.array(3.0)]:
            value = func(self.probs, self.rewards, n)
            assert type(value) is float

    @pytest.mark.parametrize("func", [bk.kl_exact, bk.win_rate, bk.kl_estimate_expected])
    def test_array_keeps_shape_and_matches_scalars(self, func):
        ns = np.array([[1.0, 2.0, 5.0], [5.0, 1e3, 2.0]])
        out = func(self.probs, self.rewards, ns)
        assert out.shape == (2, 3)
        for idx in np.ndindex(ns.shape):
            assert out[idx] == func(self.probs, self.rewards, float(ns[idx]))
        assert func(self.probs, self.rewards, [2.0]).shape == (1,)
        assert func(self.probs, self.rewards, np.array([])).shape == (0,)

    def test_pmf_shape_and_array_n_refused(self):
        assert bk.bon_pmf(self.probs, self.rewards, 3).shape == (4,)
        with pytest.raises(TypeError, match="single n"):
            bk.bon_pmf(self.probs, self.rewards, [2, 3])


@pytest.mark.parametrize("func", [bk.bon_pmf, bk.kl_exact, bk.win_rate, bk.kl_estimate_expected])
def test_assume_sorted_equals_unsorted(func):
    rng = np.random.default_rng(5)
    for size in [1, 7, 5000]:  # 5000 takes the radix-sort path
        probs = rng.dirichlet(np.full(size, 0.3))
        rewards = rng.integers(0, max(1, size // 3), size).astype(float) - 3.5
        order = rng.permutation(size)
        p, r = probs[order], rewards[order]
        srt = np.argsort(r, kind="stable")
        for n in [1.5, 40.0]:
            unsorted = func(p, r, n)
            presorted = func(p[srt], r[srt], n, assume_sorted=True)
            if func is bk.bon_pmf:
                np.testing.assert_array_equal(unsorted[srt], presorted)
            else:
                assert unsorted == presorted


def test_float32_input_computed_in_float64():
    probs64 = np.array([0.125, 0.375, 0.5])  # exact in float32
    rewards64 = np.array([0.5, 2.0, 1.0])
    probs32, rewards32 = probs64.astype(np.float32), rewards64.astype(np.float32)
    for n in [2.0, 1e6]:
        assert bk.kl_exact(probs32, rewards32, n) == bk.kl_exact(probs64, rewards64, n)
        assert bk.win_rate(probs32, rewards32, n) == bk.win_rate(probs64, rewards64, n)
        pmf = bk.bon_pmf(probs32, rewards32, n)
        assert pmf.dtype == np.float64
        np.testing.assert_array_equal(pmf, bk.bon_pmf(probs64, rewards64, n))
    # a float32 vector that sums to 1 only within float32 rounding is accepted
    p32 = np.full(3, 1 / 3, dtype=np.float32)
    assert bk.kl_exact(p32, [0, 1, 2], 2.0) == pytest.approx(
        bk.kl_exact(np.full(3, 1 / 3), [0, 1, 2], 2.0)
    )


def test_integer_inputs_accepted():
    assert bk.kl_exact([1, 0], [0, 1], 5) == 0.0
    assert bk.win_rate([0.5, 0.5], [0, 1], 2) == 0.625


def test_zero_probability_outcomes():
    probs = np.array([0.0, 0.5, 0.0, 0.5, 0.0])
    rewards = np.array([10.0, 0.0, 0.5, 1.0, -1.0])
    pmf = bk.bon_pmf(probs, rewards, 3)
    np.testing.assert_array_equal(pmf[[0, 2, 4]], 0.0)
    np.testing.assert_allclose(pmf[[1, 3]], [0.125, 0.875], rtol=1e-15)
    assert bk.kl_exact(probs, rewards, 3) == pytest.approx(
        bk.kl_exact([0.5, 0.5], [0, 1], 3), rel=1e-15
    )
    assert bk.win_rate(probs, rewards, 3) == pytest.approx(
        bk.win_rate([0.5, 0.5], [0, 1], 3), rel=1e-15
    )
    assert bk.kl_estimate_expected(probs, rewards, 3) == pytest.approx(
        bk.kl_estimate_expected([0.5, 0.5], [0, 1], 3), rel=1e-15
    )
    # zero-mass outcome tied with a positive one
    pmf = bk.bon_pmf([0.5, 0.0, 0.5], [1.0, 1.0, 0.0], 2)
    np.testing.assert_allclose(pmf, [0.75, 0.0, 0.25], rtol=1e-15)


def test_normalize_divides_by_the_sum():
    a = bk.kl_exact([1.0, 3.0], [0, 1], 4, normalize=True)
    assert a == pytest.approx(bk.kl_exact([0.25, 0.75], [0, 1], 4), rel=1e-15)
    np.testing.assert_allclose(
        bk.bon_pmf([2.0, 2.0], [0, 1], 2, normalize=True), [0.25, 0.75], rtol=1e-15
    )


@pytest.mark.parametrize("seed", range(3))
def test_radix_pair_sort_equals_stable_argsort(seed):
    """The sort behind the unsorted path: stable, exact, negative values and ties."""
    from bonkl_fast._kernels_sort import radix_argsort, radix_sort_pairs

    rng = np.random.default_rng(seed)
    size = 20000
    x = np.concatenate(
        [
            rng.normal(size=size // 2) * 10.0 ** rng.integers(-300, 300, size // 2),
            np.round(rng.normal(size=size // 2), 1),  # many ties, including 0.0
        ]
    )
    x = x[rng.permutation(size)] + 0.0
    values = rng.random(size)
    order = np.argsort(x, kind="stable")
    x_sorted, v_sorted = radix_sort_pairs(x, values)
    np.testing.assert_array_equal(x_sorted, x[order])
    np.testing.assert_array_equal(v_sorted, values[order])
    np.testing.assert_array_equal(radix_argsort(x), order)


def test_result_does_not_depend_on_thread_count():
    """Fixed chunks, serial merge: bit-identical KL and W with 1 thread and with all."""
    import numba

    rng = np.random.default_rng(21)
    probs = rng.dirichlet(np.full(40000, 0.5))
    rewards = rng.integers(0, 5000, 40000).astype(float)
    ns = np.array([1.5, 2.0, 10.0, 1e3, 1e6])
    all_threads = numba.get_num_threads()
    expected = (bk.kl_exact(probs, rewards, ns), bk.win_rate(probs, rewards, ns))
    numba.set_num_threads(1)
    try:
        single = (bk.kl_exact(probs, rewards, ns), bk.win_rate(probs, rewards, ns))
    finally:
        numba.set_num_threads(all_threads)
    np.testing.assert_array_equal(single[0], expected[0])
    np.testing.assert_array_equal(single[1], expected[1])
