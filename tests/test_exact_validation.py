"""Every bad-input class of issue 2 raises the documented error with a useful message."""

from __future__ import annotations

import math

import numpy as np
import pytest

import bonkl_fast as bk

P = [0.25, 0.75]
R = [0.0, 1.0]

DISTRIBUTION_FUNCS = [
    pytest.param(lambda p, r, **kw: bk.bon_pmf(p, r, 3, **kw), id="bon_pmf"),
    pytest.param(lambda p, r, **kw: bk.kl_exact(p, r, 3, **kw), id="kl_exact"),
    pytest.param(lambda p, r, **kw: bk.win_rate(p, r, 3, **kw), id="win_rate"),
    pytest.param(lambda p, r, **kw: bk.kl_estimate_expected(p, r, 3, **kw), id="estimate"),
    pytest.param(lambda p, r, **kw: bk.kl_saturation(p, r, **kw), id="kl_saturation"),
]

N_FUNCS = [
    pytest.param(lambda n: bk.kl_exact(P, R, n), id="kl_exact"),
    pytest.param(lambda n: bk.win_rate(P, R, n), id="win_rate"),
    pytest.param(lambda n: bk.bon_pmf(P, R, n), id="bon_pmf"),
    pytest.param(lambda n: bk.kl_estimate_expected(P, R, n), id="estimate"),
    pytest.param(bk.kl_bound, id="kl_bound"),
    pytest.param(bk.win_rate_bound, id="win_rate_bound"),
    pytest.param(lambda n: bk.kl_estimate(0.5, n), id="kl_estimate"),
]


@pytest.mark.parametrize("func", DISTRIBUTION_FUNCS)
class TestReferenceInput:
    @pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
    def test_non_finite_probs(self, func, bad):
        with pytest.raises(ValueError, match=r"probs must be finite, found .* at index 1"):
            func([0.5, bad, 0.5], [0.0, 1.0, 2.0])

    @pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
    def test_non_finite_rewards(self, func, bad):
        with pytest.raises(ValueError, match=r"rewards must be finite, found .* at index 0"):
            func(P, [bad, 1.0])

    def test_negative_probs(self, func):
        with pytest.raises(ValueError, match=r"probs must be non-negative, found -0.25 at index 0"):
            func([-0.25, 1.25], R)

    def test_sum_zero(self, func):
        with pytest.raises(ValueError, match="sum to 0"):
            func([0.0, 0.0], R)
        with pytest.raises(ValueError, match="sum to 0"):
            func([0.0, 0.0], R, normalize=True)

    def test_wrong_sum_names_the_gap_and_the_fix(self, func):
        with pytest.raises(ValueError, match=r"sum to 0\.93.*off by -0\.07.*normalize=True"):
            func([0.33, 0.6], R)
        with pytest.raises(ValueError, match=r"sum to 2.*normalize=True"):
            func([1.0, 1.0], R)

    def test_shape_mismatch(self, func):
        with pytest.raises(ValueError, match="rewards has 3 entries but probs has 2"):
            func(P, [0.0, 1.0, 2.0])

    def test_empty(self, func):
        with pytest.raises(ValueError, match="probs is empty"):
            func([], [])

    def test_not_one_dimensional(self, func):
        with pytest.raises(ValueError, match=r"probs must be 1-D, got an array of shape \(1, 2\)"):
            func([P], R)
        with pytest.raises(ValueError, match=r"must be 1-D, got an array of shape \(\)"):
            func(1.0, 1.0)
        with pytest.raises(ValueError, match=r"rewards must be 1-D"):
            func(P, [R])

    @pytest.mark.parametrize(
        "bad", [["a", "b"], ["0.5", "0.5"], [None, 0.5], [0.5 + 0j, 0.5], [True, False], None]
    )
    def test_non_numeric_probs(self, func, bad):
        with pytest.raises(TypeError, match="probs must be"):
            func(bad, R)

    @pytest.mark.parametrize("bad", [["x", "y"], [None, 1.0], [1j, 2.0], [True, False]])
    def test_non_numeric_rewards(self, func, bad):
        with pytest.raises(TypeError, match="rewards must be"):
            func(P, bad)


def test_normalize_true_fixes_the_wrong_sum():
    probs = [0.33, 0.6]
    expected = bk.kl_exact(np.array(probs) / 0.93, R, 3)
    assert bk.kl_exact(probs, R, 3, normalize=True) == pytest.approx(expected, rel=1e-15)
    assert bk.win_rate(probs, R, 3, normalize=True) == pytest.approx(
        bk.win_rate(np.array(probs) / 0.93, R, 3), rel=1e-15
    )
    np.testing.assert_allclose(
        bk.bon_pmf(probs, R, 3, normalize=True),
        bk.bon_pmf(np.array(probs) / 0.93, R, 3),
        rtol=1e-15,
    )


def test_sum_within_rounding_is_accepted_and_beyond_is_not():
    bk.kl_exact([0.5, 0.5 + 1e-12], R, 2)  # float64 tolerance sqrt(eps) ~ 1.5e-8
    with pytest.raises(ValueError, match="normalize=True"):
        bk.kl_exact([0.5, 0.5 + 1e-6], R, 2)
    # float32 tolerance is its own sqrt(eps) ~ 3.5e-4
    bk.kl_exact(np.array([0.5, 0.5 + 1e-5], dtype=np.float32), R, 2)
    with pytest.raises(ValueError, match="normalize=True"):
        bk.kl_exact(np.array([0.5, 0.51], dtype=np.float32), R, 2)


def test_overflowing_sum():
    with pytest.raises(ValueError, match="overflows"):
        bk.kl_exact([1e308, 1e308], R, 2, normalize=True)


@pytest.mark.parametrize("func", N_FUNCS)
class TestN:
    @pytest.mark.parametrize("bad", [0.999, 0, -3, [2.0, 0.5]])
    def test_below_one(self, func, bad):
        with pytest.raises(ValueError, match=r"n must be >= 1 \(the number of draws\)"):
            func(bad)

    @pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, [2.0, math.nan]])
    def test_not_finite(self, func, bad):
        with pytest.raises(ValueError, match="n must be finite"):
            func(bad)

    @pytest.mark.parametrize("bad", ["3", None, 3 + 0j, True, np.bool_(True), ["2", "3"], object()])
    def test_not_numeric(self, func, bad):
        with pytest.raises(TypeError, match="n must be"):
            func(bad)


@pytest.mark.parametrize(
    "func",
    [bk.bon_pmf, bk.kl_exact, bk.win_rate, bk.kl_estimate_expected],
)
def test_assume_sorted_on_unsorted_rewards(func):
    with pytest.raises(
        ValueError, match=r"assume_sorted=True but rewards are not ascending \(rewards\[1\] = 2 >"
    ):
        func([0.2, 0.3, 0.5], [1.0, 2.0, 0.5], 3, assume_sorted=True)
    # equal neighbours are ascending (ties)
    func([0.2, 0.3, 0.5], [1.0, 1.0, 2.0], 3, assume_sorted=True)


def test_kl_divergence_bad_input():
    with pytest.raises(ValueError, match="policy sum to"):
        bk.kl_divergence([0.5, 0.6], P)
    with pytest.raises(ValueError, match="policy must be non-negative"):
        bk.kl_divergence([-0.5, 1.5], P)
    with pytest.raises(TypeError, match="policy must be"):
        bk.kl_divergence(["a", "b"], P)
    with pytest.raises(ValueError, match="probs must be finite"):
        bk.kl_divergence(P, [math.nan, 1.0])


def test_win_rate_vs_reference_bad_reference():
    policy = [0.5, 0.5]
    with pytest.raises(ValueError, match="probs must be non-negative"):
        bk.win_rate_vs_reference(policy, [-0.25, 1.25], R)
    with pytest.raises(ValueError, match="rewards must be finite"):
        bk.win_rate_vs_reference(policy, P, [0.0, math.nan])
    with pytest.raises(ValueError, match="normalize=True"):
        bk.win_rate_vs_reference(policy, [0.3, 0.3], R)
    with pytest.raises(TypeError, match="rewards must be"):
        bk.win_rate_vs_reference(policy, P, ["a", "b"])


def test_win_rate_vs_reference_bad_policy():
    with pytest.raises(ValueError, match="policy must be finite"):
        bk.win_rate_vs_reference([math.inf, 0.5], P, R)
    with pytest.raises(ValueError, match="policy has 3 outcomes but probs has 2"):
        bk.win_rate_vs_reference([0.2, 0.3, 0.5], P, R)


@pytest.mark.parametrize("bad", [["a"], [None], [1j], [True]])
def test_kl_estimate_non_numeric_eps(bad):
    with pytest.raises(TypeError, match="eps must be"):
        bk.kl_estimate(bad, 2)


def test_errors_are_raised_before_any_work_for_large_inputs():
    """A NaN deep inside a large input is reported with its index, not computed through."""
    probs = np.full(100_000, 1e-5)
    probs[77_777] = math.nan
    with pytest.raises(ValueError, match="at index 77777"):
        bk.kl_exact(probs, np.arange(100_000.0), 10)
