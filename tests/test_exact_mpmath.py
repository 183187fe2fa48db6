"""The exact core against an mpmath reference (MATH §2: relative error <= 1e-12).

The reference (bonkl_fast.testing) evaluates the naive ``F**n - G**n`` directly at
80+ significant digits, with the precision raised for tiny masses and large n.

Tolerances: 1e-12 relative for KL, W, the pmf (entries above 1e-290) and also for
``kl_estimate_expected`` and ``kl_estimate`` (measured worst cases are ~1e-14;
the estimator has no stated target in the spec, we hold it to the same one).
"""

from __future__ import annotations

import numpy as np
import pytest

import bonkl_fast as bk
from bonkl_fast.testing import mpmath_kl as ref_kl
from bonkl_fast.testing import mpmath_kl_estimate as ref_kl_estimate
from bonkl_fast.testing import mpmath_kl_estimate_expected as ref_kl_estimate_expected
from bonkl_fast.testing import mpmath_pmf as ref_pmf
from bonkl_fast.testing import mpmath_win_rate as ref_win_rate
from bonkl_fast.testing import relative_error

TOL = 1e-12
PMF_FLOOR = 1e-290


def check_all(probs, rewards, n, *, estimate=True):
    """Assert KL, W, pmf (and the expected estimate) agree with the reference."""
    kl = bk.kl_exact(probs, rewards, n)
    assert relative_error(kl, ref_kl(probs, rewards, n)) <= TOL, (kl, n)
    win = bk.win_rate(probs, rewards, n)
    assert relative_error(win, ref_win_rate(probs, rewards, n)) <= TOL, (win, n)
    pmf = bk.bon_pmf(probs, rewards, n)
    ref = ref_pmf(probs, rewards, n)
    for value, exact in zip(pmf, ref, strict=True):
        if exact > PMF_FLOOR:
            assert relative_error(value, exact) <= TOL, (value, exact, n)
        else:
            assert value <= 2 * PMF_FLOOR
    if estimate:
        est = bk.kl_estimate_expected(probs, rewards, n)
        assert relative_error(est, ref_kl_estimate_expected(probs, rewards, n)) <= TOL, (est, n)


def random_reference(rng, size, concentration):
    probs = rng.dirichlet(np.full(size, concentration))
    if rng.random() < 0.5:
        rewards = rng.integers(0, max(1, size // 2), size).astype(float)  # with ties
    else:
        rewards = rng.normal(size=size)
    return probs, rewards


@pytest.mark.parametrize("seed", range(12))
def test_random_dirichlet_references(seed):
    rng = np.random.default_rng(seed)
    for _ in range(4):
        size = int(rng.integers(1, 201))
        concentration = 10 ** rng.uniform(-2, 1)
        probs, rewards = random_reference(rng, size, concentration)
        n = 10 ** rng.uniform(0, 15)
        check_all(probs, rewards, n)


@pytest.mark.parametrize("seed", range(4))
def test_n_close_to_one(seed):
    """n - 1 from 1e-12 to 1: the terms cancel to O((n-1)^2); no loss allowed."""
    rng = np.random.default_rng(100 + seed)
    for log_delta in [-12, -9, -6, -3, -1, 0]:
        probs, rewards = random_reference(rng, int(rng.integers(2, 60)), 10 ** rng.uniform(-2, 1))
        check_all(probs, rewards, 1 + 10.0**log_delta)


@pytest.mark.parametrize("seed", range(3))
def test_many_n_in_one_call_match_reference(seed):
    rng = np.random.default_rng(200 + seed)
    probs, rewards = random_reference(rng, 50, 0.3)
    ns = np.sort(10 ** rng.uniform(0, 15, 8))[::-1]  # unsorted request order on purpose
    kls = bk.kl_exact(probs, rewards, ns)
    wins = bk.win_rate(probs, rewards, ns)
    for n, kl, win in zip(ns, kls, wins, strict=True):
        assert relative_error(kl, ref_kl(probs, rewards, n)) <= TOL
        assert relative_error(win, ref_win_rate(probs, rewards, n)) <= TOL


# ---- adversarial cases ---------------------------------------------------------------

NS_WIDE = [1.5, 2.0, 10.0, 1e3, 1e6, 1e9, 1e12, 1e15]


def dominant_and_tiny(tiny):
    """(1 - tiny, tiny) summing to exactly 1 in float64 where that is possible.

    Where ``1 - tiny`` rounds, the complement is taken exactly (``1 - fl(1 - tiny)``),
    so the kernel and the reference normalize the same numbers: kl_estimate(eps) near
    eps = 1 amplifies a 1-ulp change of eps by 1 / (1 - eps), an input-conditioning
    effect, not an evaluation error. Below 1e-16, ``1 + tiny`` rounds to 1 (harmless).
    """
    big = 1.0 - tiny
    return (big, 1.0 - big) if big < 1.0 else (1.0, tiny)


@pytest.mark.parametrize("tiny", [1e-5, 1e-15, 1e-100, 1e-300])
@pytest.mark.parametrize("n", NS_WIDE)
def test_dominant_bottom_tiny_top(tiny, n):
    big, small = dominant_and_tiny(tiny)
    check_all(np.array([big, small]), np.array([0.0, 1.0]), n)


@pytest.mark.parametrize("tiny", [1e-5, 1e-15, 1e-100, 1e-300])
@pytest.mark.parametrize("n", NS_WIDE)
def test_tiny_bottom_dominant_top(tiny, n):
    big, small = dominant_and_tiny(tiny)
    check_all(np.array([small, big]), np.array([0.0, 1.0]), n)


@pytest.mark.parametrize("n", NS_WIDE)
def test_dominant_middle_with_tiny_tails(n):
    probs = np.array([1e-200, 1e-12, 1.0, 1e-15, 1e-300])
    check_all(probs, np.array([0.0, 1.0, 2.0, 3.0, 4.0]), n, estimate=True)


@pytest.mark.parametrize("n", NS_WIDE)
def test_staircase(n):
    """p_k proportional to 10^-k, the top outcome the rarest."""
    k = np.arange(30)
    probs = 10.0 ** -k.astype(float)
    probs /= probs.sum()
    check_all(probs, k.astype(float), n)


@pytest.mark.parametrize("n", [1e12, 1e15])
def test_2000_atom_distribution(n):
    rng = np.random.default_rng(7)
    probs = rng.dirichlet(np.full(2000, 0.5))
    rewards = rng.normal(size=2000)
    check_all(probs, rewards, n, estimate=False)


def test_2000_atom_expected_estimate():
    rng = np.random.default_rng(8)
    probs = rng.dirichlet(np.full(2000, 0.5))
    rewards = rng.normal(size=2000)
    for n in [1e3, 1e12]:
        est = bk.kl_estimate_expected(probs, rewards, n)
        assert relative_error(est, ref_kl_estimate_expected(probs, rewards, n)) <= TOL


@pytest.mark.parametrize("log2_size", [1, 5, 12])
def test_tiny_kl_on_dyadic_masses(log2_size):
    """KL ~ 1e-20: compared on masses that sum to exactly 1 (MATH §2 note)."""
    size = 2**log2_size
    probs = np.full(size, 1.0 / size)
    probs[0] += 2.0**-40
    probs[-1] -= 2.0**-40
    assert probs.sum() == 1.0
    rewards = np.arange(size, dtype=float)
    for n in [1 + 2.0**-30, 1.0 + 2.0**-10, 2.0]:
        check_all(probs, rewards, n, estimate=log2_size < 12)


def test_near_degenerate_reference_tiny_kl():
    """One outcome of mass 1 - 2^-60: KL ~ 1e-17, W - 1/2 ~ 1e-18 relative accuracy."""
    probs = np.array([2.0**-61, 1.0 - 2.0**-60, 2.0**-61])
    rewards = np.array([0.0, 1.0, 2.0])
    for n in [2.0, 100.0, 1e6]:
        check_all(probs, rewards, n)


@pytest.mark.parametrize("eps", [1e-300, 1e-100, 1e-15, 1e-6, 0.01, 0.3, 0.9, 1 - 2**-30])
@pytest.mark.parametrize("n", [1 + 1e-9, 1.001, 2.0, 37.5, 1e4, 1e9, 1e15])
def test_kl_estimate_against_reference(eps, n):
    value = bk.kl_estimate(eps, n)
    assert relative_error(value, ref_kl_estimate(eps, n)) <= TOL


# ---- why the stable evaluation exists ------------------------------------------------


def naive_pmf(probs, rewards, n):
    """What a user writes: sort, cumsum, F**n - G**n."""
    order = np.argsort(rewards, kind="stable")
    p = np.asarray(probs, dtype=float)[order]
    cdf = np.cumsum(p)
    w = cdf**n - (cdf - p) ** n
    out = np.empty_like(w)
    out[order] = w
    return out


def test_naive_formula_is_off_where_the_stable_one_is_not():
    rng = np.random.default_rng(9)
    probs = rng.dirichlet(np.full(2000, 0.5))
    rewards = rng.normal(size=2000)
    n = 1e12
    ref = ref_pmf(probs, rewards, n)
    big = [i for i in range(2000) if ref[i] > 1e-200]
    naive = naive_pmf(probs, rewards, n)
    stable = bk.bon_pmf(probs, rewards, n)
    naive_err = max(relative_error(naive[i], ref[i]) for i in big)
    stable_err = max(relative_error(stable[i], ref[i]) for i in big)
    assert naive_err > 1e-6  # MATH §2 quotes ~1e-3 for this kind of case
    assert stable_err <= TOL
    # a tiny top atom above a dominant one: the naive top mass is pure rounding noise
    p2 = np.array([1.0 - 1e-15, 1e-15])
    ref2 = ref_pmf(p2, [0.0, 1.0], 1e3)
    assert relative_error(naive_pmf(p2, [0.0, 1.0], 1e3)[1], ref2[1]) > 1e-4
    assert relative_error(bk.bon_pmf(p2, [0.0, 1.0], 1e3)[1], ref2[1]) <= TOL


@pytest.mark.parametrize("n", [2.0, 3.5, 64.0, 1e3])
def test_large_flat_reference(n):
    """K = 3000 comparable masses: most levels take the short-series path (q/F, n q/F tiny)."""
    rng = np.random.default_rng(11)
    probs = rng.dirichlet(np.ones(3000))
    rewards = rng.normal(size=3000)
    kl = bk.kl_exact(probs, rewards, n)
    assert relative_error(kl, ref_kl(probs, rewards, n)) <= TOL
    win = bk.win_rate(probs, rewards, n)
    assert relative_error(win, ref_win_rate(probs, rewards, n)) <= TOL


def chunked_reference(seed):
    """K = 30000 outcomes (several parallel chunks of the kernel) with long runs of ties
    crossing chunk boundaries, a tied block longer than a chunk and a zero-mass stretch."""
    rng = np.random.default_rng(seed)
    size = 30000
    probs = rng.dirichlet(np.full(size, 0.7))
    probs[9000:18000] = 0.0  # a whole chunk's worth of zero mass
    probs /= probs.sum()
    rewards = np.sort(rng.integers(0, 3000, size)).astype(float)
    rewards[20000:29000] = rewards[20000]  # one level longer than a chunk
    rewards = np.maximum.accumulate(rewards)
    order = rng.permutation(size)
    return probs[order], rewards[order]


@pytest.mark.parametrize("n", [1.25, 3.0, 1e4])
def test_multi_chunk_against_reference(n):
    probs, rewards = chunked_reference(12)
    kl = bk.kl_exact(probs, rewards, n)
    assert relative_error(kl, ref_kl(probs, rewards, n)) <= TOL
    win = bk.win_rate(probs, rewards, n)
    assert relative_error(win, ref_win_rate(probs, rewards, n)) <= TOL
