"""Edge cases found in review: each once gave NaN or an unhelpful error."""

from __future__ import annotations

import numpy as np
import pytest

import bonkl_fast as bk


@pytest.mark.parametrize(
    "probs, rewards, beta",
    [([0.5, 0.5], [0.0, 1e200], 1e200), ([0.5, 0.25, 0.25], [0.0, 1.0, 1e10], 1e300)],
)
def test_reward_tilt_overflowing_beta_is_the_top_level_limit(probs, rewards, beta):
    pmf = bk.reward_tilt(probs, rewards, beta)
    expected = np.zeros(len(probs))
    expected[-1] = 1.0
    np.testing.assert_array_equal(pmf, expected)


def test_kl_estimate_shape_mismatch_names_both_arguments():
    with pytest.raises(ValueError, match=r"eps \(shape \(3,\)\) and n \(shape \(2,\)\)"):
        bk.kl_estimate([0.5, 0.4, 0.3], [2, 3])
