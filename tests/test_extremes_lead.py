"""Regression tests (issue 14 review): huge Python ints, ratios beyond float64, huge sizes."""

from __future__ import annotations

import math

import numpy as np
import pytest

import bonkl_fast as bk


@pytest.mark.parametrize(
    "call",
    [
        lambda: bk.rewind_and_repeat([0.5, 0.5], [0, 1], 10**309),
        lambda: bk.reward_tilt([0.5, 0.5], [0, 1], 10**309),
        lambda: bk.win_rate_tilt([0.5, 0.5], [0, 1], 10**309),
        lambda: bk.tilt_for_kl([0.5, 0.5], [0, 1], 10**309),
    ],
)
def test_policy_scalars_beyond_float64_are_value_errors(call):
    with pytest.raises(ValueError, match="beyond float64"):
        call()


def test_kl_divergence_when_the_ratio_overflows():
    """q/p = 1/5e-324 overflows float64; the KL is log(1/5e-324) = 744.44 (no warning)."""
    value = bk.kl_divergence([1.0, 0.0], [5e-324, 1.0])
    assert value == pytest.approx(-math.log(5e-324), rel=1e-15)
    assert bk.kl_divergence([0.25, 0.75], [0.5, 0.5]) == pytest.approx(0.130812035941, rel=1e-11)


@pytest.mark.parametrize("size", [2**62, 10**309, (2**22, 2**22)])
def test_sizes_beyond_the_draw_limit_are_value_errors(size):
    for call in (bk.sample_best_of_n, bk.simulate_best_of_n):
        with pytest.raises(ValueError, match="draws, more than"):
            call([0.5, 0.5], [0, 1], 4, size, rng=0)
    assert bk.sample_best_of_n([0.5, 0.5], [0, 1], 4, (2, 3), rng=0).shape == (2, 3)
    assert np.all(bk.sample_best_of_n([0.5, 0.5], [0, 1], 4, 0, rng=0) == [])
