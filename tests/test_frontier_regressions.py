"""Regression examples for the frontier that hypothesis found."""

from __future__ import annotations

import numpy as np
import pytest

import bonkl_fast as bk


def test_rewind_at_equal_kl_resolves_tiny_kl():
    """n = 1 + 2**-52 gives best-of-n KL ~1e-32. Solving for alpha (not for the mass
    rejected in the boundary level) stopped at alpha = 1 - 2e-8, a rewind-and-repeat
    with KL ~1e-16 and a win rate 3.8e-9 above the optimal tilt's."""
    p = np.array([1.0, 0.5, 1.0]) / 2.5
    r = np.array([0.0, 0.0, 1.0])
    f = bk.frontier(p, r, [1.0000000000000002])
    assert f.rr_win_rate[0] <= f.win_tilt_win_rate[0] + 1e-15
    assert 1.0 - f.rr_alpha[0] < 1e-15


@pytest.mark.parametrize("n", [1.5, 2.0, 16.0, 1e3, 1e12])
def test_rewind_kl_matches_public_policy(n):
    p = np.array([0.3, 0.2, 0.4, 0.1])
    r = np.array([0.0, 1.0, 1.0, 2.0])
    f = bk.frontier(p, r, [n])
    policy = bk.rewind_and_repeat(p, r, f.rr_alpha[0])
    assert bk.kl_divergence(policy, p) == pytest.approx(f.bon_kl[0], rel=1e-10, abs=1e-15)
    cost = bk.rewind_and_repeat(p, r, 1.0 / n)
    assert f.rr_cost_kl[0] == pytest.approx(bk.kl_divergence(cost, p), rel=1e-10, abs=1e-15)
