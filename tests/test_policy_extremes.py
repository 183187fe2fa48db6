"""Comparison policies on extreme inputs (issue 14 items 3, 5 and 11).

Reward spans beyond float64, subnormal spans, masses down to 1e-300, beta up to
1e300, alpha down to 5e-324 and n up to 1e300: every result is checked against
the literal definitions evaluated in mpmath (levels merged with exact sums, the
masses normalised by their exact sum), and no warning may escape (pytest turns
warnings into errors; the property tests also say so explicitly).
"""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bonkl_fast as bk
from bonkl_fast.testing import references

DIGITS = 400  # masses down to 1e-300: F = 1 - 1e-300 and its powers need ~330 digits


# ------------------------------------------------------------ mpmath references


def _mp_levels(p, r):
    """Distinct rewards ascending (exact) and their masses, normalised by the exact sum."""
    total = mpmath.fsum(mpmath.mpf(float(x)) for x in p)
    mass = {}
    for x, y in zip(p, r, strict=True):
        mass[float(y)] = mass.get(float(y), 0) + mpmath.mpf(float(x)) / total
    keys = sorted(k for k in mass if mass[k] > 0)
    return [mpmath.mpf(k) for k in keys], [mass[k] for k in keys]


def _mp_summary(q, rewards, w):
    """KL(w || q), win rate against q (ties 1/2) and expected reward of level pmf w."""
    below = [mpmath.fsum(q[:i]) for i in range(len(q))]
    kl = mpmath.fsum(wi * mpmath.log(wi / qi) for wi, qi in zip(w, q, strict=True) if wi > 0)
    win = mpmath.fsum(wi * (g + qi / 2) for wi, g, qi in zip(w, below, q, strict=True))
    reward = mpmath.fsum(wi * ri for wi, ri in zip(w, rewards, strict=True))
    return kl, win, reward


def _mp_bon(p, r, n):
    """Best-of-n level pmf w = F^n - G^n and its summary."""
    rewards, q = _mp_levels(p, r)
    cum = [mpmath.fsum(q[: i + 1]) for i in range(len(q))]
    w = [c**n - (c - qi) ** n for c, qi in zip(cum, q, strict=True)]
    return w, _mp_summary(q, rewards, w)


def _mp_rewind(p, r, alpha):
    """Rewind-and-repeat: accept from the top level down until mass alpha is accepted."""
    rewards, q = _mp_levels(p, r)
    alpha = mpmath.mpf(float(alpha))
    w, left = [], alpha
    for qi in reversed(q):
        take = min(qi, max(left, 0))
        w.append(take / alpha)
        left -= take
    w.reverse()
    return w, _mp_summary(q, rewards, w)


def _mp_tilt(p, r, beta, kind):
    """Tilt q exp(beta * s), s the reward or the win probability G + q/2 of each level."""
    rewards, q = _mp_levels(p, r)
    if kind == "reward":
        score = rewards
    else:
        score = [mpmath.fsum(q[:i]) + q[i] / 2 for i in range(len(q))]
    beta = mpmath.mpf(float(beta))
    log_w = [mpmath.log(qi) + beta * (s - score[-1]) for qi, s in zip(q, score, strict=True)]
    top = max(log_w)
    w = [mpmath.exp(x - top) for x in log_w]
    total = mpmath.fsum(w)
    w = [x / total for x in w]
    return w, _mp_summary(q, rewards, w)


def _per_outcome(p, r, level_pmf):
    """Level pmf back to the outcomes, each outcome its share of its level."""
    rewards, q = _mp_levels(p, r)
    total = mpmath.fsum(mpmath.mpf(float(x)) for x in p)
    index = {float(k): i for i, k in enumerate(rewards)}
    out = []
    for x, y in zip(p, r, strict=True):
        i = index.get(float(y))
        out.append(0.0 if i is None else float(mpmath.mpf(float(x)) / total / q[i] * level_pmf[i]))
    return np.array(out)


def _close(value, reference, rel, abs_tol=0.0) -> bool:
    return abs(float(value) - float(reference)) <= rel * abs(float(reference)) + abs_tol


def _rewind_brackets(p, r, alpha, kl, rel, abs_tol=0.0) -> bool:
    """alpha is the float root of KL(alpha) = kl: the KL of rewind-and-repeat, which
    falls as alpha grows, brackets kl between alpha's float neighbours (near a level
    boundary the KL moves by ~eps log(1/eps) per ulp of alpha, far more than kl's
    own rounding)."""
    above = _mp_rewind(p, r, min(np.nextafter(alpha, 2.0), 1.0))[1][0]
    below = _mp_rewind(p, r, np.nextafter(alpha, 0.0))[1][0]
    return above * (1 - rel) - abs_tol <= kl <= below * (1 + rel) + abs_tol


# --------------------------------------------- item 3: reward spans beyond float64

SPAN_P = np.array([0.25, 0.25, 0.5])
SPAN_R = np.array([1e308, -1e308, 0.0])  # max - min = 2e308 overflows float64


@pytest.mark.parametrize("beta", [0.0, 1e-320, 3e-309, 1e-308, 5e-308, 1.0, 1e300])
def test_reward_tilt_over_a_span_beyond_float64(beta):
    """Was [0.714, 0, 0.286] at beta = 1 (r_top - r overflowed to inf)."""
    with mpmath.workdps(60):
        expected = _per_outcome(SPAN_P, SPAN_R, _mp_tilt(SPAN_P, SPAN_R, beta, "reward")[0])
    got = bk.reward_tilt(SPAN_P, SPAN_R, beta)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("fraction", [1e-9, 0.01, 0.3, 0.9, 0.999])
def test_tilt_for_kl_over_a_span_beyond_float64(fraction):
    target = fraction * -math.log(0.25)  # the saturation: log(1 / p_top), p_top = 0.25
    beta = bk.tilt_for_kl(SPAN_P, SPAN_R, target, kind="reward")
    assert 0.0 < beta < 1e-305  # beta * 2e308 is of order one
    with mpmath.workdps(60):
        kl = _mp_tilt(SPAN_P, SPAN_R, beta, "reward")[1][0]
    assert _close(kl, target, rel=1e-10)


def test_frontier_over_a_span_beyond_float64():
    ns = [1.0, 2.0, 4.0, 16.0, 1e6]
    f = bk.frontier(SPAN_P, SPAN_R, ns)
    with mpmath.workdps(60):
        for i, n in enumerate(ns):
            _, (kl, win, reward) = _mp_bon(SPAN_P, SPAN_R, mpmath.mpf(n))
            assert _close(f.bon_kl[i], kl, rel=1e-12, abs_tol=1e-300)
            assert _close(f.bon_win_rate[i], win, rel=1e-12)
            assert _close(f.bon_reward[i], reward, rel=0, abs_tol=1e-12 * 2e308)
            if f.reward_tilt_beta[i] == np.inf:  # saturated: the limit, the top level
                assert f.bon_kl[i] >= f.kl_saturation * (1 - 1e-13)
                assert f.reward_tilt_reward[i] == 1e308
                continue
            tilt = _mp_tilt(SPAN_P, SPAN_R, f.reward_tilt_beta[i], "reward")[1]
            assert _close(tilt[0], kl, rel=1e-9, abs_tol=1e-300)
            assert _close(f.reward_tilt_reward[i], tilt[2], rel=0, abs_tol=1e-10 * 2e308)
    assert np.isfinite(f.reward_shortfall).all() and (f.reward_shortfall >= -1e-12 * 2e308).all()


def test_tilt_for_kl_over_a_subnormal_span():
    """Was inf (gamma / 5e-324 overflowed): now a clear error, or the beta where it fits."""
    with pytest.raises(ValueError, match="beyond float64; multiply the rewards"):
        bk.tilt_for_kl([0.5, 0.5], [0.0, 5e-324], 0.3, kind="reward")
    beta = bk.tilt_for_kl([0.5, 0.5], [0.0, 1e-300], 0.3, kind="reward")
    with mpmath.workdps(60):
        kl = _mp_tilt([0.5, 0.5], [0.0, 1e-300], beta, "reward")[1][0]
    assert _close(kl, 0.3, rel=1e-10)
    f = bk.frontier([0.5, 0.5], [0.0, 5e-324], [2.0])
    assert f.reward_tilt_beta[0] == np.inf  # beta overflows; the policy is still known:
    assert f.reward_tilt_win_rate[0] == pytest.approx(f.win_tilt_win_rate[0], rel=1e-12)


# ------------------------------------------ item 5: frontier's boundary at the top

TOP_BOUNDARY_CASES = [
    ([1e-7, 1 - 1e-7], [0.0, 1.0], 3.0),
    ([1e-12, 1 - 1e-12], [0.0, 1.0], 1.5),
    ([0.5, 0.3, 0.2], [1.0, 2.0, 3.0], 1e17),
    # found by the property tests below: alpha 1e-284 far below its level's mass (was
    # lost to 1 - rejected); subnormal tilt KL and variance (Newton crawled); the mass
    # below the boundary level, 1.7e-29, lost to F_b - q_b (alpha came out 8.6e-17)
    ([1.0, 2e-300], [0.0, 1.0], 7.660866251089466e283),
    ([1.0, 1e-300], [0.0, 1.0], 4.189218177026946e283),
    ([3.97604724e-47, 1.0, 1.66814889e-29], [2.0, 1.0, 0.0], 2.0),
    ([1.0, 6.66666667e-301], [0.0, 1.0], 4.006024843327578e292),  # alpha 2.5e-293: to eps
    # probs summing to 1 - 2**-53 (left so by validation): alpha must be a probability
    # under probs / sum(probs), or a KL of 1e-300 (or 7e-33 near alpha = 1) is missed
    ([3.8146958120090314e-07, 3.19999877929734e-300, 0.9999996185304187], [0.0, 1.0, 0.0], 2.0),
    ([2 / 7, 2 / 7, 2 / 7, 1 / 7], [0.0, 0.0, 1.0, 0.0], 1.0000000000000002),
    # log(t / alpha) near 0 as a difference of logs: an error of eps, excess 1e-32
    (
        [0.4242713050334927, 0.21213565251674635, 0.05303391312918659, 4.2427130503349275e-301]
        + [0.3105591293205743],
        [0.0, 0.0, 0.0, 1.0, 0.0],
        5.0,
    ),
]


@pytest.mark.parametrize(("p", "r", "n"), TOP_BOUNDARY_CASES)
def test_frontier_when_the_boundary_level_rounds_to_the_top(p, r, n):
    """Raised "math domain error": alpha = e^-KL rounded into the top level, whose
    whole mass was then rejected (log 0 in the rewind-and-repeat KL)."""
    f = bk.frontier(p, r, [n])
    sat = f.kl_saturation
    with mpmath.workdps(DIGITS + int(math.log10(n))):
        _, (kl, win, _) = _mp_bon(p, r, mpmath.mpf(n))
        assert _close(f.bon_kl[0], kl, rel=1e-12)
        assert _rewind_brackets(p, r, f.rr_alpha[0], kl, rel=1e-12)
        assert _close(f.rr_win_rate[0], _mp_rewind(p, r, f.rr_alpha[0])[1][1], rel=1e-12)
        for kind, beta, tilt_win in (
            ("win_rate", f.win_tilt_beta[0], f.win_tilt_win_rate[0]),
            ("reward", f.reward_tilt_beta[0], f.reward_tilt_win_rate[0]),
        ):
            if beta == np.inf:  # best-of-n is saturated to rounding: the tilt's limit
                assert f.bon_kl[0] >= sat * (1 - 1e-13)
                assert tilt_win == pytest.approx(1 - float(_mp_levels(p, r)[1][-1]) / 2, rel=1e-12)
                continue
            tilt = _mp_tilt(p, r, beta, kind)[1]
            assert _close(tilt[0], kl, rel=1e-10)
            assert _close(tilt_win, tilt[1], rel=1e-12)
    assert f.win_rate_shortfall[0] >= -1e-15 and f.reward_shortfall[0] >= -1e-15
    assert f.rr_win_rate[0] <= f.win_tilt_win_rate[0] + 1e-15


# ---------------------------------------------------- item 11: no RuntimeWarning


@pytest.mark.parametrize("alpha", [5e-324, 1e-300, 1e-17])
def test_rewind_and_repeat_at_tiny_alpha(alpha):
    """Was "overflow encountered in divide" (mass / alpha computed for every level)."""
    p, r = [0.5, 0.3, 0.2], [1.0, 2.0, 3.0]
    with mpmath.workdps(60):
        expected = _per_outcome(p, r, _mp_rewind(p, r, alpha)[0])
    np.testing.assert_array_equal(expected, [0.0, 0.0, 1.0])
    np.testing.assert_allclose(bk.rewind_and_repeat(p, r, alpha), expected, rtol=1e-15)


@pytest.mark.parametrize(
    ("p", "r"),
    [
        ([0.5, 0.5], [0.0, 1.0]),
        ([1e-7, 1 - 1e-7], [0.0, 1.0]),
        ([0.6, 0.3, 0.1], [0.0, 1.0, 2.0]),
        ([1e-300, 0.5, 0.5 - 1e-300], [2.0, 0.0, 1.0]),
    ],
)
@pytest.mark.parametrize("kind", ["win_rate", "reward"])
def test_tilt_for_kl_near_saturation(p, r, kind):
    """Was "overflow encountered in exp" (the bracketing grid ran past gamma = e^709).

    Each target is either met (checked in mpmath) or refused as the saturation to
    rounding, where the tilt reaches it only as beta -> inf."""
    top = float(_mp_levels(p, r)[1][-1])
    sat = -math.log1p(-(1 - top)) if top >= 0.5 else -math.log(top)
    for gap in [1e-4, 1e-8, 1e-11, 1e-13, 1e-15]:
        target = sat * (1 - gap)
        try:
            beta = bk.tilt_for_kl(p, r, target, kind=kind)
        except ValueError as error:
            assert "to rounding" in str(error) and gap <= 1e-11, (gap, str(error))
            continue
        with mpmath.workdps(DIGITS):
            kl = _mp_tilt(p, r, beta, kind)[1][0]
        assert _close(kl, target, rel=1e-10), gap


# ------------------------------------------------------ properties at the extremes

# up to 5 outcomes, masses from 1e-300 to 1, rewards over the whole float64 range
EXTREME = references(max_size=5, zeros=False, extreme_rewards=True)


@given(
    ref=EXTREME,
    beta=st.one_of(st.floats(0.0, 1e300), st.sampled_from([5e-324, 1e-300, 1e300])),
    alpha=st.one_of(st.floats(5e-324, 1.0), st.sampled_from([5e-324, 1e-300, 1.0])),
)
def test_policies_match_their_definitions_at_the_extremes(ref, beta, alpha):
    p, r = ref
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        computed = {
            "rewind": bk.rewind_and_repeat(p, r, alpha),
            "reward": bk.reward_tilt(p, r, beta),
            "win_rate": bk.win_rate_tilt(p, r, beta),
        }
    with mpmath.workdps(DIGITS):
        expected = {
            "rewind": _per_outcome(p, r, _mp_rewind(p, r, alpha)[0]),
            "reward": _per_outcome(p, r, _mp_tilt(p, r, beta, "reward")[0]),
            "win_rate": _per_outcome(p, r, _mp_tilt(p, r, beta, "win_rate")[0]),
        }
    for key, pmf in computed.items():
        # rewind-and-repeat takes alpha - S_b from its boundary level: S_b's rounding
        # (relative eps, from normalising probs) moves each entry by up to ~eps absolute
        atol = 1e-15 if key == "rewind" else 1e-300
        np.testing.assert_allclose(pmf, expected[key], rtol=1e-9, atol=atol, err_msg=key)


@given(
    ref=EXTREME,
    ns=st.lists(
        st.one_of(st.floats(1.0, 1e300), st.sampled_from([1.0, 1.0000000000000002, 2.0, 1e17])),
        min_size=1,
        max_size=3,
    ),
)
def test_frontier_matches_its_definitions_at_the_extremes(ref, ns):
    p, r = ref
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = bk.frontier(p, r, ns)
    sat = f.kl_saturation
    with mpmath.workdps(DIGITS + int(math.log10(max(ns)))):  # (1 - 1e-300)^n, n to 1e300
        for i, n in enumerate(ns):
            _, (kl, win, _) = _mp_bon(p, r, mpmath.mpf(n))
            assert _close(f.bon_kl[i], kl, rel=1e-9, abs_tol=1e-15)
            assert _close(f.bon_win_rate[i], win, rel=1e-12, abs_tol=1e-15)
            assert _rewind_brackets(p, r, f.rr_alpha[i], kl, rel=1e-9, abs_tol=1e-300)
            for kind, beta in (("win_rate", f.win_tilt_beta[i]), ("reward", f.reward_tilt_beta[i])):
                if np.isnan(
                    beta
                ):  # only the reward tilt, over reward gaps below 1e-300 of the span
                    assert kind == "reward" and np.isnan(f.reward_tilt_win_rate[i])
                elif beta == np.inf:
                    assert f.bon_kl[i] >= sat * (1 - 1e-9) - 1e-14 or kind == "reward"
                elif kl > 0:
                    tilt = _mp_tilt(p, r, beta, kind)[1]
                    assert _close(tilt[0], kl, rel=1e-9, abs_tol=1e-15), kind
    # the tilt meets best-of-n's KL to 1e-11 relative; dW/dKL = 1/beta along the tilt
    slack = 1e-12 + 2e-11 * f.bon_kl / np.maximum(f.win_tilt_beta, 1e-300)
    assert np.isfinite(f.win_rate_shortfall).all() and (f.win_rate_shortfall >= -slack).all()
    top = float(_mp_levels(p, r)[1][-1])
    assert ((f.rr_alpha >= top * (1 - 1e-15)) & (f.rr_alpha <= 1)).all()


@given(
    ref=EXTREME,
    n=st.floats(1.0, 1e6),
    temperature=st.one_of(st.floats(1e-300, 1e300), st.sampled_from([5e-324, 1e-300, 1e300])),
)
def test_soft_best_of_n_is_a_pmf_or_a_clear_error(ref, n, temperature):
    p, r = ref
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            pmf = bk.soft_best_of_n(p, r, n, temperature)
        except ValueError as error:
            assert "too small for the reward range" in str(error)
            return
    assert np.isfinite(pmf).all() and (pmf >= 0).all()
    assert pmf.sum() == pytest.approx(1.0, rel=1e-9)


# ------------------------------------- rewards that float64 cannot tell apart (item 1)

BIG_P = [0.5, 0.3, 0.2]
BIG_R = np.array([2**53, 2**53 + 1, 0], dtype=np.int64)  # distinct, equal in float64
BIG_RANKS = [1.0, 2.0, 0.0]


@pytest.mark.parametrize(
    "call",
    [
        lambda: bk.reward_tilt(BIG_P, BIG_R, 1.0),
        lambda: bk.tilt_for_kl(BIG_P, BIG_R, 0.1, kind="reward"),
        lambda: bk.frontier(BIG_P, BIG_R, [2.0]),
        lambda: bk.soft_best_of_n(BIG_P, BIG_R, 2, 1.0),
    ],
)
def test_reward_values_float64_would_merge_are_refused(call):
    """These use the reward values: ranks would give wrong numbers, merging wrong ties."""
    with pytest.raises(ValueError, match="equal once converted to float64"):
        call()


def test_order_only_policies_rank_rewards_float64_would_merge():
    """Rewind-and-repeat and the win-rate tilt depend on the order only: the dense ranks
    give them exactly; merged into a float64 tie they would differ."""
    for policy, parameter in ((bk.rewind_and_repeat, 0.3), (bk.win_rate_tilt, 2.0)):
        expected = policy(BIG_P, BIG_RANKS, parameter)
        np.testing.assert_array_equal(policy(BIG_P, BIG_R, parameter), expected)
        assert not np.allclose(policy(BIG_P, BIG_R.astype(float), parameter), expected)
    assert bk.tilt_for_kl(BIG_P, BIG_R, 0.1) == bk.tilt_for_kl(BIG_P, BIG_RANKS, 0.1)


# ------------------------------------------- issue 14 review: late extremes (A, C)


@pytest.mark.parametrize("alpha", [1e-320, 5e-324, 1e-310])
def test_rewind_and_repeat_on_a_subnormal_top_level(alpha):
    """Was "overflow encountered in divide": level_mass / mass with a subnormal mass."""
    p, r = [1e-310, 1 - 1e-310], [1.0, 0.0]
    with mpmath.workdps(DIGITS):
        expected = _per_outcome(p, r, _mp_rewind(p, r, alpha)[0])
    # (as above: S_b's rounding moves an entry by up to ~eps absolute; 1 - 1e-310 is 1)
    np.testing.assert_allclose(bk.rewind_and_repeat(p, r, alpha), expected, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("p", [[5e-324, 1 - 5e-324], [1e-310, 1 - 1e-310]])
def test_frontier_with_a_subnormal_top_level(p):
    """Was "f(a) and f(b) must have different signs": the rewind-and-repeat KL's
    ``S_b excess(-log alpha)`` overflowed (inf) once alpha is subnormal; then the
    two-pass tilt kernel's ``e^x`` and ``x e^x`` overflowed (tilts at the wrong beta).
    Every column against its definition in mpmath, relative only (KL down to 1e-21)."""
    r, ns = [1.0, 0.0], [1, 2, 1e300, 1.7e308]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = bk.frontier(p, r, ns)
    with mpmath.workdps(DIGITS + 310):
        for i, n in enumerate(ns):
            _, (kl, win, reward) = _mp_bon(p, r, mpmath.mpf(n))
            assert _close(f.bon_kl[i], kl, rel=1e-12, abs_tol=1e-320)
            assert _close(f.bon_win_rate[i], win, rel=1e-12)
            assert _close(f.bon_reward[i], reward, rel=1e-12, abs_tol=1e-320)
            assert _rewind_brackets(p, r, f.rr_alpha[i], kl, rel=1e-9, abs_tol=1e-320)
            _, (_, rr_win, rr_reward) = _mp_rewind(p, r, f.rr_alpha[i])
            assert _close(f.rr_win_rate[i], rr_win, rel=1e-12)
            assert _close(f.rr_reward[i], rr_reward, rel=1e-12, abs_tol=1e-320)
            _, (cost_kl, cost_win, cost_reward) = _mp_rewind(p, r, 1 / n)
            assert _close(f.rr_cost_kl[i], cost_kl, rel=1e-9, abs_tol=1e-320)
            assert _close(f.rr_cost_win_rate[i], cost_win, rel=1e-12)
            assert _close(f.rr_cost_reward[i], cost_reward, rel=1e-12, abs_tol=1e-320)
            for kind, prefix in (("win_rate", "win_tilt_"), ("reward", "reward_tilt_")):
                beta, tilt_win, tilt_reward = (
                    getattr(f, prefix + column)[i] for column in ("beta", "win_rate", "reward")
                )
                t_kl, t_win, t_reward = _mp_tilt(p, r, beta, kind)[1]
                assert _close(t_kl, kl, rel=1e-9, abs_tol=1e-320), (kind, n)
                assert _close(tilt_win, t_win, rel=1e-12), (kind, n)
                assert _close(tilt_reward, t_reward, rel=1e-9, abs_tol=1e-320), (kind, n)


@pytest.mark.parametrize(
    ("p", "r"),
    [([1 / 3] * 3, [1e308, -1e308, 0.0]), ([0.25, 0.25, 0.5], [1e308, -1e308, 3.0])],
)
def test_frontier_reward_at_n_one_is_the_reference_mean(p, r):
    """Was 4.99e291 for a mean of exactly 0: the level weights F - G (rounded, eps q)
    times rewards of 1e308 do not cancel; n = 1 is the reference, its mean from q."""
    f = bk.frontier(p, r, [1, 2, 1 + 1e-7])
    with mpmath.workdps(DIGITS):
        rewards, q = _mp_levels(p, r)
        mean = mpmath.fsum(qi * ri for qi, ri in zip(q, rewards, strict=True))
        assert _close(f.bon_reward[0], mean, rel=1e-15)
        assert _close(f.rr_reward[0], mean, rel=1e-15)
        for i, n in enumerate(f.n[1:], start=1):  # elsewhere: rounding of w times max |r|
            reward = _mp_bon(p, r, mpmath.mpf(n))[1][2]
            rounding = 4 * np.finfo(float).eps * 1e308
            assert _close(f.bon_reward[i], reward, rel=1e-12, abs_tol=rounding)


@pytest.mark.parametrize("top", [5e-324, 1e-310, 1e-303])
@pytest.mark.parametrize("kind", ["reward", "win_rate"])
def test_tilt_for_kl_on_a_top_level_below_e_to_the_minus_700(top, kind):
    """Was a third of the target at KL = 1 (0.664), NaN inside: the two-pass kernel's
    shift is capped at -700 / gamma, so ``1 + sum q expm1(u)`` fell below 1/2 and its
    log1p cancelled to log(0); and ``e^x``, ``x e^x`` overflowed past x = 703."""
    p, r = [top, 1 - top], [1.0, 0.0]
    p_top = float(_mp_levels(p, r)[1][-1])
    for target in (1e-13, 1e-6, 1e-3, 1.0, 100.0, -0.9 * math.log(p_top)):
        beta = bk.tilt_for_kl(p, r, target, kind=kind)
        with mpmath.workdps(60):
            kl = _mp_tilt(p, r, beta, kind)[1][0]
        assert _close(kl, target, rel=1e-9), (target, beta)
