"""bonkl_fast.kernels (issue 12): called from a user's @numba.njit function and from Python,
bit for bit the numbers of the public NumPy API (as numba-stats tests its kernels)."""

from __future__ import annotations

import math

import mpmath
import numba
import numpy as np
import pytest

import bonkl_fast as bk
from bonkl_fast import kernels
from bonkl_fast._kernels_exact import log1mexp as exact_log1mexp
from bonkl_fast._kernels_kl import CHUNK
from bonkl_fast.exact import bon_logpmf

NS = [1.0, 1.0 + 1e-12, 1.5, 2.0, 3.0, 1e3, 1e6, 1e15]


@numba.njit
def user_scalars(probs, rewards, n, eps, x):
    """A user's compiled function calling every kernel."""
    pmf = kernels.bon_pmf_sorted(probs, rewards, n, np.empty(probs.shape[0]))
    logpmf = np.empty(probs.shape[0])
    kernels.bon_logpmf_sorted(probs, rewards, n, logpmf)
    return (
        kernels.kl_exact_sorted(probs, rewards, n),
        kernels.win_rate_sorted(probs, rewards, n),
        kernels.kl_bound(n),
        kernels.kl_estimate(eps, n),
        kernels.log1mexp(x),
        pmf,
        logpmf,
    )


@numba.njit(parallel=True)
def user_prange_kl(probs, rewards, ns):
    """A user's parallel loop: one KL per n."""
    out = np.empty(ns.shape[0])
    for i in numba.prange(ns.shape[0]):
        out[i] = kernels.kl_exact_sorted(probs, rewards, ns[i])
    return out


def sorted_reference(seed, size):
    """A random reference sorted by reward, with ties, zero and tiny masses."""
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(size, 0.5))
    probs[rng.random(size) < 0.1] = 0.0
    probs[rng.random(size) < 0.1] = 1e-300
    probs /= probs.sum()
    rewards = np.sort(rng.integers(0, max(1, size // 2), size).astype(float))
    return probs, rewards


def public_values(probs, rewards, n, eps, x):
    return (
        bk.kl_exact(probs, rewards, n, assume_sorted=True),
        bk.win_rate(probs, rewards, n, assume_sorted=True),
        bk.kl_bound(n),
        bk.kl_estimate(eps, n),
        exact_log1mexp(x),
        bk.bon_pmf(probs, rewards, n, assume_sorted=True),
        bon_logpmf(probs, rewards, n, assume_sorted=True),
    )


@pytest.mark.parametrize("seed, size", [(0, 1), (1, 2), (2, 7), (3, 60), (4, 3000), (5, CHUNK)])
@pytest.mark.parametrize("n", NS)
def test_njit_and_python_match_the_public_api_bit_for_bit(seed, size, n):
    probs, rewards = sorted_reference(seed, size)
    eps = float(probs.max())
    x = -n / 7
    expected = public_values(probs, rewards, n, eps, x)
    for got in (
        user_scalars(probs, rewards, n, eps, x),
        (
            kernels.kl_exact_sorted(probs, rewards, n),
            kernels.win_rate_sorted(probs, rewards, n),
            kernels.kl_bound(n),
            kernels.kl_estimate(eps, n),
            kernels.log1mexp(x),
            kernels.bon_pmf_sorted(probs, rewards, n, np.empty(size)),
            kernels.bon_logpmf_sorted(probs, rewards, n, np.empty(size)),
        ),
    ):
        for value, ref in zip(got[:5], expected[:5], strict=True):
            assert value == ref or (math.isnan(value) and math.isnan(ref)), (value, ref)
        np.testing.assert_array_equal(got[5], expected[5])
        np.testing.assert_array_equal(got[6], expected[6])


def test_integer_n_from_njit_gives_the_float_result():
    probs, rewards = sorted_reference(7, 20)
    as_int = user_scalars(probs, rewards, 16, 0.25, -3)
    as_float = user_scalars(probs, rewards, 16.0, 0.25, -3.0)
    for a, b in zip(as_int[:5], as_float[:5], strict=True):
        assert a == b
    np.testing.assert_array_equal(as_int[6], as_float[6])


def test_large_reference_agrees_with_the_parallel_public_sum():
    """Above CHUNK outcomes kl_exact sums in parallel chunks: same value to rounding."""
    probs, rewards = sorted_reference(8, 3 * CHUNK + 5)
    for n in (2.0, 1e3, 1e12):
        kl = bk.kl_exact(probs, rewards, n, assume_sorted=True)
        assert kernels.kl_exact_sorted(probs, rewards, n) == pytest.approx(kl, rel=1e-14, abs=0)
        win = bk.win_rate(probs, rewards, n, assume_sorted=True)
        assert kernels.win_rate_sorted(probs, rewards, n) == pytest.approx(win, rel=1e-15, abs=0)


def test_inside_a_users_prange_loop():
    probs, rewards = sorted_reference(9, 500)
    ns = np.array(NS)
    np.testing.assert_array_equal(
        user_prange_kl(probs, rewards, ns), bk.kl_exact(probs, rewards, ns, assume_sorted=True)
    )


def test_log1mexp_against_mpmath():
    with mpmath.mp.workdps(400):  # 1 - e^-700 needs 300+ digits
        for x in (-1e-300, -1e-20, -1e-8, -0.5, -math.log(2), -0.7, -1.0, -30.0, -700.0):
            exact = mpmath.log(1 - mpmath.exp(mpmath.mpf(x)))
            assert abs(kernels.log1mexp(x) - exact) <= 2e-16 * abs(exact)
    assert kernels.log1mexp(0.0) == -math.inf
    assert kernels.log1mexp(-math.inf) == 0.0


def test_length_mismatch_is_a_clear_error():
    probs, rewards = sorted_reference(10, 5)
    with pytest.raises(ValueError, match="same length"):
        kernels.kl_exact_sorted(probs, rewards[:4], 2.0)
    with pytest.raises(ValueError, match="same length"):
        kernels.bon_logpmf_sorted(probs, rewards, 2.0, np.empty(4))
    with pytest.raises(ValueError, match="same length"):
        user_scalars(probs, rewards[:4], 2.0, 0.5, -1.0)
