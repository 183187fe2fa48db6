"""Tests for the comparison policies and the frontier (MATH §8, issue 5)."""

from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import bonkl_fast as bk
from bonkl_fast.policies import (
    Frontier,
    frontier,
    reward_tilt,
    rewind_and_repeat,
    soft_best_of_n,
    tilt_for_kl,
    win_rate_tilt,
)
from bonkl_fast.testing import references

K_CONT = 100_000  # "continuous limit": uniform reference over K_CONT distinct rewards


@pytest.fixture(scope="session", autouse=True)
def warm_policy_kernels():
    """Compile (or load) every policy kernel once, before hypothesis times anything."""
    p = np.array([0.25, 0.25, 0.5])
    r = np.array([0.0, 1.0, 1.0])
    frontier(p, r, [1.0, 2.0, 8.0])
    soft_best_of_n(p, r, 3, 0.5)
    tilt_for_kl(p, r, 1e-12)
    rewind_and_repeat(p, r, 0.3)


@pytest.fixture(scope="module")
def uniform_reference():
    return np.full(K_CONT, 1.0 / K_CONT), np.arange(K_CONT, dtype=np.float64)


def _expected_reward(pmf, rewards):
    return float(np.dot(pmf, rewards))


# ------------------------------------------------------------- continuous limit


def test_best_of_n_continuous_limit(uniform_reference):
    p, r = uniform_reference
    ns = np.array([2.0, 5.0, 10.0, 30.0])
    f = frontier(p, r, ns)
    sum_p2 = 1.0 / K_CONT
    # MATH §3/§5: 0 <= bound - exact <= 2 n (n-1) sum p^2 and (n-1)/2 sum p^2
    gap_kl = bk.kl_bound(ns) - f.bon_kl
    gap_w = ns / (ns + 1) - f.bon_win_rate
    assert (gap_kl >= 0).all() and (gap_kl <= 2 * ns * (ns - 1) * sum_p2).all()
    assert (gap_w >= 0).all() and (gap_w <= (ns - 1) / 2 * sum_p2).all()


def test_rewind_and_repeat_continuous_limit(uniform_reference):
    p, r = uniform_reference
    for alpha in [0.5, 0.1, 0.01, 1 / 7, 0.3]:
        pmf = rewind_and_repeat(p, r, alpha)
        kl = bk.kl_divergence(pmf, p)
        w = bk.win_rate_vs_reference(pmf, p, r)
        # the boundary level (mass 1/K) is partly accepted: KL differs from log(1/alpha)
        # by (acc/alpha) log(acc/q) in [-1/(e alpha K), 0]; W by at most 1/(alpha K)
        assert -1 / (math.e * alpha * K_CONT) - 1e-13 <= kl - math.log(1 / alpha) <= 1e-13
        assert abs(w - (1 - alpha / 2)) <= 1 / (alpha * K_CONT)
    # alpha * K an integer: the boundary level is whole, the continuous values are exact
    pmf = rewind_and_repeat(p, r, 0.25)
    assert bk.kl_divergence(pmf, p) == pytest.approx(math.log(4), rel=1e-12)
    assert bk.win_rate_vs_reference(pmf, p, r) == pytest.approx(0.875, rel=1e-12)


def test_win_rate_tilt_continuous_limit(uniform_reference):
    p, r = uniform_reference
    for c in [0.1, 1.0, 5.0, 20.0, 100.0]:
        pmf = win_rate_tilt(p, r, c)
        w_c = 1 / (-math.expm1(-c)) - 1 / c
        kl_c = math.log(c / math.expm1(c)) + c * w_c
        # v_y = (k + 1/2)/K are midpoints: the discrete sums are the midpoint rule for the
        # continuous integrals, relative error about c^2 / (24 K^2) per integral
        tol = c**2 / K_CONT**2 + 1e-12
        assert bk.win_rate_vs_reference(pmf, p, r) == pytest.approx(w_c, rel=tol)
        assert bk.kl_divergence(pmf, p) == pytest.approx(kl_c, rel=tol + 1e-11)


# ------------------------------------------------------------ rewind-and-repeat


def test_rewind_and_repeat_accepts_exactly_alpha_with_ties():
    p = np.array([0.1, 0.2, 0.15, 0.25, 0.3])
    r = np.array([0.0, 1.0, 1.0, 1.0, 2.0])  # level {1, 2, 3} has mass 0.6
    alpha = 0.5
    pmf = rewind_and_repeat(p, r, alpha)
    accept = pmf * alpha / p
    assert np.sum(p * accept) == pytest.approx(alpha, rel=1e-15)
    assert accept[4] == pytest.approx(1.0)
    assert accept[0] == 0.0
    np.testing.assert_allclose(accept[1:4], (0.5 - 0.3) / 0.6, rtol=1e-14)  # tied alike
    np.testing.assert_allclose(rewind_and_repeat(p, r, 1.0), p)


def test_rewind_and_repeat_is_permutation_invariant():
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.ones(12))
    r = rng.integers(0, 5, 12).astype(float)
    perm = rng.permutation(12)
    a = rewind_and_repeat(p, r, 0.37)
    b = rewind_and_repeat(p[perm], r[perm], 0.37)
    np.testing.assert_allclose(a[perm], b, rtol=1e-14, atol=1e-300)


# ------------------------------------------------------------------------ tilts


def _mp_tilt_kl(p, score, beta):
    """KL of the tilt p exp(beta * score), 50 digits."""
    with mpmath.workdps(50):
        total = mpmath.fsum(
            mpmath.mpf(pi) for pi in p
        )  # the float masses sum to 1 only to rounding
        ref = [mpmath.mpf(pi) / total for pi in p]
        weights = [
            pi * mpmath.exp(mpmath.mpf(beta) * mpmath.mpf(s))
            for pi, s in zip(ref, score, strict=True)
        ]
        z = mpmath.fsum(weights)
        return float(
            mpmath.fsum(
                w / z * mpmath.log(w / z / pi) for w, pi in zip(weights, ref, strict=True) if pi > 0
            )
        )


def _win_scores(p, r):
    return np.array([p[r < x].sum() + 0.5 * p[r == x].sum() for x in r])


@pytest.mark.parametrize("kind", ["win_rate", "reward"])
def test_tilt_for_kl_round_trip_against_mpmath(kind):
    rng = np.random.default_rng(11)
    for trial in range(4):
        size = int(rng.integers(2, 9))
        p = rng.dirichlet(np.full(size, 0.7))
        r = rng.integers(0, 4, size).astype(float) * 2.5
        if np.unique(r).size == 1:
            r[0] -= 1.0
        top = p[r == r.max()].sum()
        sat = -math.log(top)
        score = _win_scores(p, r) if kind == "win_rate" else r
        for frac in [1e-12, 1e-6, 0.01, 0.5, 0.99, 1 - 1e-7]:
            kl = frac * sat
            beta = tilt_for_kl(p, r, kl, kind=kind)
            assert _mp_tilt_kl(p, score, beta) == pytest.approx(kl, rel=1e-10, abs=0), (trial, frac)


def test_tilt_for_kl_round_trip_with_public_functions():
    rng = np.random.default_rng(5)
    p = rng.dirichlet(np.ones(300))
    r = rng.normal(size=300)
    for kind, policy in [("win_rate", win_rate_tilt), ("reward", reward_tilt)]:
        for kl in [0.001, 0.5, 3.0, 5.0]:
            beta = tilt_for_kl(p, r, kl, kind=kind)
            assert bk.kl_divergence(policy(p, r, beta), p) == pytest.approx(kl, rel=1e-10)
    assert tilt_for_kl(p, r, 0.0) == 0.0


def test_tilts_stable_for_huge_beta():
    p = np.array([0.2, 0.3, 0.1, 0.4])
    r = np.array([-1e3, 5e2, 1e3, 1e3 - 1e-9])
    for beta in [1e6, 1e12, 1e300]:
        for policy in (win_rate_tilt, reward_tilt):
            pmf = policy(p, r, beta)
            assert np.isfinite(pmf).all() and np.sum(pmf) == pytest.approx(1.0)
    assert reward_tilt(p, r, 1e300)[2] == pytest.approx(1.0)
    np.testing.assert_allclose(win_rate_tilt(p, r, 0.0), p)
    np.testing.assert_allclose(reward_tilt(p, r, 0.0), p)


def test_reward_tilt_closed_form():
    p = np.array([0.5, 0.3, 0.2])
    r = np.array([0.0, 1.0, 3.0])
    beta = 0.7
    expected = p * np.exp(beta * r) / np.sum(p * np.exp(beta * r))
    np.testing.assert_allclose(reward_tilt(p, r, beta), expected, rtol=1e-14)


# --------------------------------------------------------------- soft best-of-n


def _soft_brute(p, r, n, temperature):
    """Enumerate all K^n draws; draw i wins with its exact softmax weight."""
    size = len(p)
    e = [mpmath.exp(mpmath.mpf(x) / mpmath.mpf(temperature)) for x in r]
    out = [mpmath.mpf(0)] * size
    with mpmath.workdps(30):
        for draw in itertools.product(range(size), repeat=n):
            prob = mpmath.fprod(mpmath.mpf(p[i]) for i in draw)
            if prob == 0:
                continue
            total = mpmath.fsum(e[i] for i in draw)
            for i in draw:
                out[i] += prob * e[i] / total
    return np.array([float(x) for x in out])


@pytest.mark.parametrize(
    ("p", "r", "n", "temperature"),
    [
        ([0.5, 0.5], [0.0, 1.0], 2, 1.0),
        ([0.2, 0.3, 0.5], [0.0, 1.0, 1.0], 4, 0.5),  # ties
        ([0.1, 0.0, 0.6, 0.3], [3.0, 2.0, 0.0, 1.0], 5, 0.2),  # zero-probability outcome
        ([0.25, 0.25, 0.25, 0.25], [0.0, 1.0, 2.0, 3.0], 3, 5.0),
        ([0.9, 0.05, 0.05], [0.0, 10.0, 11.0], 6, 0.05),
        ([0.7, 0.2, 0.1], [0.0, 1.0, 2.0], 1, 0.3),
    ],
)
def test_soft_best_of_n_matches_enumeration(p, r, n, temperature):
    got = soft_best_of_n(p, r, n, temperature)
    np.testing.assert_allclose(got, _soft_brute(p, r, n, temperature), rtol=1e-10, atol=1e-13)


def _soft_mpmath(p, r, n, temperature):
    """MATH §8 integral per outcome by mpmath quadrature at 30 digits."""
    with mpmath.workdps(30):
        e = [mpmath.exp((mpmath.mpf(x) - max(r)) / temperature) for x in r]

        def m_of(t):
            return mpmath.fsum(
                mpmath.mpf(pi) * mpmath.exp(-t * ei) for pi, ei in zip(p, e, strict=True)
            )

        def integrand(t, pi, ei):
            return pi * ei * n * mpmath.exp(-t * ei) * m_of(t) ** (n - 1)

        cuts = [0, 1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100, mpmath.inf]
        return np.array(
            [
                float(mpmath.quad(lambda t, pi=pi, ei=ei: integrand(t, pi, ei), cuts))
                for pi, ei in zip(p, e, strict=True)
            ]
        )


def test_soft_best_of_n_large_n_against_mpmath_integral():
    p = [0.6, 0.3, 0.1]
    r = [0.0, 0.5, 2.0]
    for n in [50.0, 1000.0, 123.5]:
        got = soft_best_of_n(p, r, n, 0.4)
        np.testing.assert_allclose(got, _soft_mpmath(p, r, n, 0.4), rtol=1e-10, atol=1e-14)


def test_soft_best_of_n_against_monte_carlo():
    p = np.array([0.4, 0.3, 0.2, 0.1])
    r = np.array([0.0, 0.3, 0.6, 1.0])
    n, temperature, draws = 3, 0.25, 200_000
    rng = np.random.default_rng(2024)
    picks = rng.choice(4, size=(draws, n), p=p)
    weights = np.exp(r[picks] / temperature)
    cum = np.cumsum(weights, axis=1)
    u = rng.random(draws) * cum[:, -1]
    winner = picks[np.arange(draws), (cum < u[:, None]).sum(axis=1)]
    counts = np.bincount(winner, minlength=4)
    pmf = soft_best_of_n(p, r, n, temperature)
    assert stats.chisquare(counts, draws * pmf).pvalue > 1e-3


def test_soft_best_of_n_limits():
    rng = np.random.default_rng(8)
    p = rng.dirichlet(np.ones(6))
    r = np.array([0.0, 1.0, 1.0, 2.5, 3.0, 4.0])
    # temperature -> 0: hard best-of-n (quadrature path: gaps of 50 temperatures)
    np.testing.assert_allclose(soft_best_of_n(p, r, 7, 0.5 / 50), bk.bon_pmf(p, r, 7), atol=1e-13)
    # gaps above 800 temperatures: exactly bon_pmf
    np.testing.assert_array_equal(soft_best_of_n(p, r, 7, 1e-4), bk.bon_pmf(p, r, 7))
    # n -> inf: the reward tilt with beta = 1 / temperature, error O(1/n)
    tilt = reward_tilt(p, r, 1 / 0.8)
    errors = [np.abs(soft_best_of_n(p, r, n, 0.8) - tilt).max() for n in [1e2, 1e3, 1e4]]
    assert errors[0] > errors[1] > errors[2] and errors[2] < 1e-3
    assert errors[1] / errors[2] == pytest.approx(10, rel=0.2)
    # n = 1 is the reference; real n still sums to 1
    np.testing.assert_array_equal(soft_best_of_n(p, r, 1, 0.3), p)
    assert np.sum(soft_best_of_n(p, r, 2.5, 0.3)) == pytest.approx(1.0, abs=1e-13)


# -------------------------------------------------------------------- optimality

@given(
    ref=references(min_size=2, max_size=8, min_mass=0.01, zeros=False, max_levels=5),
    n=st.floats(1.0, 60.0),
    temperature=st.floats(0.05, 3.0),
    alpha=st.floats(0.01, 1.0),
)
def test_tilts_are_optimal_at_equal_kl(ref, n, temperature, alpha):
    weights, ints = ref
    p = np.array(weights) / np.sum(weights)
    r = np.array(ints, dtype=float)
    f = frontier(p, r, [n])
    tol = 1e-9  # KL matched to 1e-11 relative; W and reward move by O(that)
    win_best, reward_best = f.win_tilt_win_rate[0], f.reward_tilt_reward[0]
    for w in (f.bon_win_rate[0], f.rr_win_rate[0], f.reward_tilt_win_rate[0]):
        assert w <= win_best + tol
    for v in (f.bon_reward[0], f.rr_reward[0], f.win_tilt_reward[0]):
        assert v <= reward_best + tol * 4
    assert f.win_rate_shortfall[0] >= -tol and f.reward_shortfall[0] >= -4 * tol
    # any other policy: soft best-of-n and rewind-and-repeat at arbitrary settings
    sat = f.kl_saturation
    for pmf in (soft_best_of_n(p, r, n, temperature), rewind_and_repeat(p, r, alpha)):
        kl = bk.kl_divergence(pmf, p)
        w = bk.win_rate_vs_reference(pmf, p, r)
        v = float(np.dot(pmf, r))
        if kl <= 1e-12 or kl >= sat * (1 - 1e-9):
            # no room to tilt (KL 0) or at the supremum: the limit policy is the top level
            best_w, best_v = (
                (0.5, float(np.dot(p, r))) if kl <= 1e-12 else (1 - math.exp(-sat) / 2, r.max())
            )
            assert w <= best_w + 1e-6 and v <= best_v + 1e-6
            continue
        beta_w = tilt_for_kl(p, r, kl, kind="win_rate")
        beta_v = tilt_for_kl(p, r, kl, kind="reward")
        assert w <= bk.win_rate_vs_reference(win_rate_tilt(p, r, beta_w), p, r) + tol
        assert v <= float(np.dot(reward_tilt(p, r, beta_v), r)) + 4 * tol


# ---------------------------------------------------------------------- frontier


def test_frontier_matches_public_policies():
    rng = np.random.default_rng(21)
    p = rng.dirichlet(np.full(40, 0.5))
    r = rng.integers(0, 15, 40).astype(float)
    ns = np.array([16.0, 1.0, 2.0, 3.5, 1e3, 1e12])  # unsorted on purpose
    f = frontier(p, r, ns)
    np.testing.assert_array_equal(f.n, ns)
    np.testing.assert_allclose(f.bon_kl, bk.kl_exact(p, r, ns), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(f.bon_win_rate, bk.win_rate(p, r, ns), rtol=1e-12)
    for i, n in enumerate(ns):
        assert f.bon_reward[i] == pytest.approx(_expected_reward(bk.bon_pmf(p, r, n), r), rel=1e-12)
        rr = rewind_and_repeat(p, r, 1 / n)
        assert f.rr_cost_kl[i] == pytest.approx(bk.kl_divergence(rr, p), rel=1e-10, abs=1e-14)
        assert f.rr_cost_win_rate[i] == pytest.approx(bk.win_rate_vs_reference(rr, p, r), rel=1e-12)
        assert f.rr_cost_reward[i] == pytest.approx(_expected_reward(rr, r), rel=1e-12)
        rr_eq = rewind_and_repeat(p, r, f.rr_alpha[i])
        assert bk.kl_divergence(rr_eq, p) == pytest.approx(f.bon_kl[i], rel=1e-10, abs=1e-14)
        assert f.rr_win_rate[i] == pytest.approx(bk.win_rate_vs_reference(rr_eq, p, r), rel=1e-12)
        if np.isfinite(f.win_tilt_beta[i]):
            tilt = win_rate_tilt(p, r, f.win_tilt_beta[i])
            assert bk.kl_divergence(tilt, p) == pytest.approx(f.bon_kl[i], rel=1e-10, abs=1e-14)
            assert f.win_tilt_win_rate[i] == pytest.approx(
                bk.win_rate_vs_reference(tilt, p, r), rel=1e-12
            )
            tilt = reward_tilt(p, r, f.reward_tilt_beta[i])
            assert bk.kl_divergence(tilt, p) == pytest.approx(f.bon_kl[i], rel=1e-10, abs=1e-14)
            assert f.reward_tilt_reward[i] == pytest.approx(_expected_reward(tilt, r), rel=1e-12)
    # n = 1e12 saturates: KL = log(1/p_top), tilts at their limit (the top level)
    assert f.bon_kl[-1] == pytest.approx(f.kl_saturation, rel=1e-12)
    assert f.win_tilt_beta[-1] == np.inf and f.reward_tilt_reward[-1] == r.max()
    assert f.n[1] == 1 and f.win_rate_shortfall[1] == 0.0 and f.rr_alpha[1] == 1.0


# References whose best-of-n KL is tiny: the rounded-w form w (log w - log q) loses
# every digit here (MATH §2); masses sum to exactly 1 (dyadic, or 1 - 1e-100 + 1e-100).
TINY_KL_CASES = [
    ([1 - 1e-100, 1e-100], [0.0, 1.0], [2.0, 1e3]),  # top mass 1e-100: KL ~ 3.9e-101
    ([0.5, 0.25, 0.125, 0.125], [0.0, 1.0, 2.0, 3.0], [1 + 1e-9, 1 + 1e-6, 1.5, 2.0, 1e3]),
    ([1 - 2.0**-60, 2.0**-60], [0.0, 1.0], [1 + 1e-9, 1.5, 2.0, 1e3]),
    ([0.25, 0.5, 0.25], [2.0, 0.0, 1.0], [1 + 1e-9, 2.0, 1e15]),
]


@pytest.mark.parametrize(("p", "r", "ns"), TINY_KL_CASES)
def test_frontier_best_of_n_matches_core_on_tiny_kl(p, r, ns):
    p, r, ns = np.array(p), np.array(r), np.array(ns)
    kl = bk.kl_exact(p, r, ns)  # validates without normalize: the masses sum to 1
    assert (kl > 0).all()
    f = frontier(p, r, ns)
    np.testing.assert_allclose(f.bon_kl, kl, rtol=1e-12, atol=0)
    np.testing.assert_allclose(f.bon_win_rate, bk.win_rate(p, r, ns), rtol=1e-12, atol=0)


@pytest.mark.parametrize(("seed", "size"), [(0, 2), (1, 7), (2, 60), (3, 3000)])
def test_frontier_best_of_n_matches_core_on_dirichlet(seed, size):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(size, 0.5))
    r = rng.standard_normal(size)
    ns = np.concatenate([[1 + 1e-9, 1 + 1e-4, 1.5], np.logspace(0.3, 15, 25)])
    f = frontier(p, r, ns)
    np.testing.assert_allclose(f.bon_kl, bk.kl_exact(p, r, ns), rtol=1e-12, atol=0)
    np.testing.assert_allclose(f.bon_win_rate, bk.win_rate(p, r, ns), rtol=1e-12, atol=0)


def test_frontier_tables():
    f = frontier([0.25, 0.25, 0.5], [0.0, 1.0, 2.0], [1, 2, 8])
    assert isinstance(f, Frontier)
    md = f.to_markdown().splitlines()
    assert len(md) == 2 + 3 and md[0].startswith("| n | kl_bound | bon_kl |")
    lines = f.to_csv().strip().splitlines()
    header = lines[0].split(",")
    assert header == f.columns() and len(lines) == 4
    values = np.array([[float(x) for x in line.split(",")] for line in lines[1:]])
    for j, name in enumerate(header):
        np.testing.assert_array_equal(values[:, j], getattr(f, name))
    with pytest.raises(AttributeError):
        f.n = np.zeros(3)


# ------------------------------------------------------------------- bad input


P3, R3 = [0.2, 0.3, 0.5], [0.0, 1.0, 2.0]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: rewind_and_repeat(P3, R3, 0.0), r"alpha .* \(0, 1\]"),
        (lambda: rewind_and_repeat(P3, R3, 1.5), r"alpha .* \(0, 1\]"),
        (lambda: rewind_and_repeat(P3, R3, float("nan")), "alpha must be finite"),
        (lambda: win_rate_tilt(P3, R3, -0.1), "beta .* >= 0"),
        (lambda: reward_tilt(P3, R3, float("inf")), "beta must be finite"),
        (lambda: soft_best_of_n(P3, R3, 3, 0.0), "temperature must be > 0"),
        (lambda: soft_best_of_n(P3, R3, 3, -1.0), "temperature must be > 0"),
        (lambda: soft_best_of_n(P3, R3, 3, float("inf")), "temperature must be finite"),
        (lambda: soft_best_of_n(P3, R3, 0.5, 1.0), "n must be >= 1"),
        (lambda: tilt_for_kl(P3, R3, -1e-3), "kl must be >= 0"),
        (lambda: tilt_for_kl(P3, R3, math.log(2)), r"log\(1/p_top\) = 0.69314718056"),
        (lambda: tilt_for_kl(P3, R3, float("nan")), "kl must be finite"),
        (lambda: tilt_for_kl(P3, R3, 0.1, kind="entropy"), "kind must be"),
        (lambda: frontier(P3, R3, [0.5, 2]), "ns must be >= 1"),
        (lambda: rewind_and_repeat([0.5, 0.6], [0, 1], 0.5), "probs sum to"),
    ],
)
def test_invalid_arguments_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: rewind_and_repeat(P3, R3, "0.5"),
        lambda: win_rate_tilt(P3, R3, True),
        lambda: soft_best_of_n(P3, R3, [2, 3], 1.0),
        lambda: tilt_for_kl(P3, R3, [0.1]),
    ],
)
def test_invalid_types_raise_type_error(call):
    with pytest.raises(TypeError):
        call()


# ------------------------------------------------- conventions shared with the core


def test_assume_sorted_and_normalize_give_the_same_answer():
    rng = np.random.default_rng(17)
    p = rng.dirichlet(np.ones(30))
    r = rng.integers(0, 8, 30).astype(float)
    order = np.argsort(r, kind="stable")
    ps, rs = p[order], r[order]
    calls = [
        lambda q, x, **kw: rewind_and_repeat(q, x, 0.3, **kw),
        lambda q, x, **kw: win_rate_tilt(q, x, 3.0, **kw),
        lambda q, x, **kw: reward_tilt(q, x, 0.7, **kw),
        lambda q, x, **kw: soft_best_of_n(q, x, 4, 0.6, **kw),
    ]
    for call in calls:
        expected = call(p, r)[order]
        np.testing.assert_array_equal(call(ps, rs, assume_sorted=True), expected)
        np.testing.assert_allclose(call(3 * p, r, normalize=True)[order], expected, rtol=1e-14)
    assert tilt_for_kl(ps, rs, 0.4, assume_sorted=True) == tilt_for_kl(p, r, 0.4)
    a, b = frontier(p, r, [2, 9]), frontier(ps, rs, [2, 9], assume_sorted=True)
    for name in a.columns():
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    with pytest.raises(ValueError, match="assume_sorted"):
        rewind_and_repeat(p, r, 0.5, assume_sorted=True)


def test_single_level_reference_is_its_own_optimum():
    p, r = [0.5, 0.5, 0.0], [1.0, 1.0, 5.0]  # one level with mass; a zero-mass outcome
    f = frontier(p, r, [1, 2, 10])
    assert f.kl_saturation == 0.0 and (f.bon_kl == 0.0).all()
    assert (f.win_tilt_beta == 0.0).all() and (f.bon_win_rate == 0.5).all()
    for pmf in (
        rewind_and_repeat(p, r, 0.2),
        win_rate_tilt(p, r, 9.0),
        reward_tilt(p, r, 9.0),
        soft_best_of_n(p, r, 3, 0.1),
    ):
        np.testing.assert_allclose(pmf, [0.5, 0.5, 0.0], rtol=1e-15)
    with pytest.raises(ValueError, match=r"log\(1/p_top\) = 0 "):
        tilt_for_kl(p, r, 0.1)


@pytest.mark.parametrize("kind", ["win_rate", "reward"])
def test_tilt_for_kl_extreme_targets(kind):
    p = np.array([0.5, 0.25, 0.125, 0.125])  # dyadic: sums to exactly 1
    r = np.array([0.0, 1.0, 2.0, 3.0])
    score = np.array([0.25, 0.625, 0.8125, 0.9375]) if kind == "win_rate" else r
    sat = math.log(8.0)
    for kl in [1e-300, 1e-200, 1e-30, 1e-8, sat * (1 - 1e-9), np.nextafter(sat, 0.0)]:
        beta = tilt_for_kl(p, r, kl, kind=kind)
        with mpmath.workdps(700):  # KL = 1e-300 needs beta ~ 1e-150 resolved in exp(beta s)
            weights = [
                mpmath.mpf(a) * mpmath.exp(mpmath.mpf(beta) * mpmath.mpf(s))
                for a, s in zip(p, score, strict=True)
            ]
            z = mpmath.fsum(weights)
            exact = mpmath.fsum(
                w / z * mpmath.log(w / z / mpmath.mpf(a)) for w, a in zip(weights, p, strict=True)
            )
            assert abs(exact / mpmath.mpf(kl) - 1) < 1e-10, kl


def test_frontier_dominant_top_level_keeps_tiny_kl():
    """Saturation log(1/p_top) for p_top near 1 is taken from the mass below, not 0 - log(p_top)."""
    probs, rewards, ns = [1e-100, 1 - 1e-100], [0.0, 1.0], [2.0, 4.0, 1e15]
    f = bk.frontier(probs, rewards, ns)
    np.testing.assert_allclose(f.bon_kl, bk.kl_exact(probs, rewards, ns), rtol=1e-12, atol=0)
    assert bk.kl_saturation(probs, rewards) == pytest.approx(1e-100, rel=1e-12)
    with pytest.raises(ValueError, match="out of reach"):
        bk.tilt_for_kl(probs, rewards, 2e-100)


def test_tilt_solves_bit_identical_whatever_the_thread_count():
    """Parallel tilt sums run over fixed chunks merged in order: 1 thread == all threads."""
    import dataclasses

    import numba

    rng = np.random.default_rng(11)
    size = 60_000  # several parallel chunks of levels
    p, r = rng.dirichlet(np.ones(size)), rng.normal(size=size)
    ns = np.unique(np.round(np.logspace(0, 4, 20)))

    def run():
        f = frontier(p, r, ns)
        betas = [tilt_for_kl(p, r, 2.5, kind=kind) for kind in ("win_rate", "reward")]
        return f, betas

    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        serial, serial_betas = run()
    finally:
        numba.set_num_threads(threads)
    parallel, parallel_betas = run()
    assert serial_betas == parallel_betas
    for field in dataclasses.fields(serial):
        a, b = getattr(serial, field.name), getattr(parallel, field.name)
        np.testing.assert_array_equal(a, b, err_msg=field.name)
