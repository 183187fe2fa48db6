"""The exact win-rate/KL frontier: best-of-n next to the comparison policies (MATH §8)."""

from __future__ import annotations

import math

import numpy as np

from .._kernels_exact import excess
from .._kernels_levels import compensated_sum
from .._levels import Levels, prepare_levels
from .._validate import as_n
from ..exact import kl_bound
from . import _kernels_best_of_n as kern
from ._frontier_table import Frontier
from ._levels import _EPS, _Tilt, _win_scores
from ._tilt_solve import _tilts_at

__all__ = ["frontier", "Frontier"]


# ------------------------------------------------------- rewind-and-repeat summaries


def _rewind_kl(levels: Levels, b: int, rejected_in_level: float, accepted: float) -> float:
    """KL of rewind-and-repeat whose boundary level ``b`` rejects mass ``rejected_in_level``
    and accepts ``accepted`` (the two add up to its mass ``q_b``; both are passed so
    neither is recomputed by a cancelling subtraction).

    Written as ``sum_y p_y excess(log(pi_y / p_y))`` (non-negative terms, no
    cancellation near alpha = 1): ``(S_b excess(-log alpha) + q_b excess(log(t / alpha))
    + G_b) / M``, with ``t = accepted / q_b``, ``G_b`` the mass below b (all rejected)
    and the reference ``q / M``, ``M = sum q`` (1 only to a few ulp: relatively large
    next to a KL of 1e-300). Where alpha > 1/2 ``log alpha`` comes from the rejected
    mass, ``1 - alpha = (G_b + rejected_in_level) / M`` (forward sums, accurate near
    alpha = 1), elsewhere from ``alpha = (S_b + accepted) / M``; likewise ``log t``
    from the smaller of the two parts of the level. Where ``t / alpha`` is near 1 its
    log comes from ``t / alpha - 1 = (accepted G_b - S_b rejected) / (q_b (S_b +
    accepted))`` (``M = G_b + q_b + S_b``): the difference of the two logs leaves an
    error of ~eps, whose excess (~1e-32) would swamp a KL of 1e-300.
    """
    q_b, s_b, total = float(levels.mass[b]), float(levels.tail[b]), float(levels.cum[-1])
    below = _mass_below(levels, b)
    rejected = below + rejected_in_level
    if rejected < 0.5 * total:
        log_alpha = math.log1p(-rejected / total)
    else:
        log_alpha = math.log((s_b + accepted) / total)
    if accepted <= 0.0:
        level = q_b  # the whole level rejected: excess(-inf) = 1
    else:
        if rejected_in_level <= accepted:
            log_t = math.log1p(-rejected_in_level / q_b)
        else:
            log_t = math.log(accepted) - math.log(q_b)  # (accepted / q_b can underflow)
        log_ratio = log_t - log_alpha
        if abs(log_ratio) < 0.4:
            kept = s_b + accepted
            gap = (accepted / kept) * (below / q_b) - (s_b / kept) * (rejected_in_level / q_b)
            if math.isfinite(gap) and gap > -1.0:
                log_ratio = math.log1p(gap)
        level = _mass_times_excess(q_b, log_ratio, accepted * (total / (s_b + accepted)))
    above = _mass_times_excess(s_b, -log_alpha, s_b * (total / (s_b + accepted)))
    return (above + level + below) / total


def _mass_times_excess(mass: float, u: float, policy_mass: float) -> float:
    """``mass * excess(u)``, given ``policy_mass = mass * e^u``: for ``u > 1`` as
    ``policy_mass (u - 1) + mass`` (positive terms), where ``e^u`` alone overflows
    once alpha is subnormal."""
    if u > 1.0:
        return policy_mass * (u - 1.0) + mass
    return mass * excess(u)


def _mass_below(levels: Levels, b: int) -> float:
    """G_b, the mass of the levels below b (a forward sum: F_b - q_b loses it when tiny)."""
    return float(levels.cum[b - 1]) if b > 0 else 0.0


def _rewind_summary(levels: Levels, alphas: np.ndarray, suffix: dict, reward: np.ndarray):
    """KL, win rate and expected reward (in the units of ``reward``) of rewind-and-repeat
    for each alpha (vectorized; alpha a probability under the reference q / sum q)."""
    size = levels.mass.shape[0]
    masses = alphas * float(levels.cum[-1])  # accepted mass
    above = np.searchsorted(levels.tail[::-1], masses, side="left")  # levels with S < it
    b = size - above
    s_b = levels.tail[b]
    accepted = np.minimum(masses - s_b, levels.mass[b])  # taken from the boundary level
    rejected = np.maximum(levels.mass[b] - accepted, 0.0)
    kl = np.array(
        [
            _rewind_kl(levels, int(k), float(x), float(a))
            for k, x, a in zip(b, rejected, accepted, strict=True)
        ]
    )
    win = (suffix["win"][b] + accepted * _win_scores(levels)[b]) / masses
    mean_reward = (suffix["reward"][b] + accepted * reward[b]) / masses
    for i in np.flatnonzero(masses < _TINY):  # q r and q v underflow in the sums above
        scale = -math.frexp(float(masses[i]))[1]  # masses[i] 2^scale in [1/2, 1)
        top = np.ldexp(levels.mass[b[i] + 1 :], scale)
        kept = math.ldexp(float(accepted[i]), scale)
        total_kept = math.ldexp(float(masses[i]), scale)
        for out, score in ((win, _win_scores(levels)), (mean_reward, reward)):
            out[i] = (np.sum(top * score[b[i] + 1 :]) + kept * score[b[i]]) / total_kept
    full = alphas >= 1.0
    kl[full] = 0.0
    win[full] = 0.5
    mean_reward[full] = _reference_mean(levels, reward)
    return np.maximum(kl, 0.0), win, mean_reward


_TINY = 2.0**-900  # accepted masses below this: rewind-and-repeat's means rescaled


def _reference_mean(levels: Levels, reward: np.ndarray) -> float:
    """sum q r, compensated: terms of 1e308 and of opposite signs cancel, 1.5 beside them stays."""
    return float(compensated_sum(levels.mass * reward))


def _suffix_sums(levels: Levels, reward: np.ndarray) -> dict:
    """sum_{m > l} q_m v_m and sum_{m > l} q_m r_m (exclusive sums from the top)."""
    out = {}
    for key, score in (("win", _win_scores(levels)), ("reward", reward)):
        terms = (levels.mass * score)[::-1]
        out[key] = np.concatenate(([0.0], np.cumsum(terms)[:-1]))[::-1].copy()
    return out


def _boundary_kls(levels: Levels) -> np.ndarray:
    """``-log(S_l / M)``: the rewind-and-repeat KL when exactly the levels above l are
    accepted (as :func:`_rewind_kl`, ``M = sum q``), from ``F_l`` where ``S_l >= M/2``;
    inf at the top."""
    total = float(levels.cum[-1])
    with np.errstate(divide="ignore", invalid="ignore"):  # the branch not taken
        near_one = -np.log1p(-levels.cum / total)
        return np.where(levels.tail >= 0.5 * total, near_one, np.log(total) - np.log(levels.tail))


def _rewind_alpha_for_kl(levels: Levels, kl: float, boundary_kls: np.ndarray) -> float:
    """alpha in [p_top, 1] whose rewind-and-repeat KL equals ``kl`` (< log 1/p_top);
    alpha, p_top: probabilities under the reference ``q / M``, ``M = sum q``.

    Solved for the mass rejected inside the boundary level, or the mass accepted
    from it, whichever is smaller (not for alpha), so targets down to the smallest
    KL a float can hold are met: near alpha = 1 the rejected mass is resolved where
    ``1 - alpha`` is not, and an alpha far below the level's mass is resolved too.
    """
    if kl <= 0.0:
        return 1.0
    # KL rises from -log S_{b-1} to -log S_b across level b: the root lies in the level b
    # with boundary_kls[b-1] <= kl < boundary_kls[b], below the top as kl < -log p_top
    b = min(int(np.searchsorted(boundary_kls, kl, side="right")), levels.mass.shape[0] - 2)
    s_b, q_b, total = float(levels.tail[b]), float(levels.mass[b]), float(levels.cum[-1])
    below = _mass_below(levels, b)

    def excess_kl(rejected_in_level):  # increasing in the rejected mass
        return _rewind_kl(levels, b, rejected_in_level, q_b - rejected_in_level) - kl

    def excess_kl_accepting(accepted):  # decreasing in the accepted mass
        return _rewind_kl(levels, b, q_b - accepted, accepted) - kl

    if excess_kl(0.0) >= 0.0:
        return 1.0 - below / total
    if _rewind_kl(levels, b, q_b, 0.0) <= kl:
        return s_b / total
    from scipy.optimize import brentq  # imported here: scipy.optimize adds 0.3 s to import time

    # solve for the smaller part of the level, so that the root is resolved to its own
    # precision whether the level is mostly accepted or mostly rejected
    half = 0.5 * q_b
    part = excess_kl if excess_kl(half) >= 0.0 else excess_kl_accepting
    # relative tolerance only (an absolute one would stop a root of 1e-293 early)
    root = brentq(part, *_bracket_small_root(part, half), xtol=5e-324, rtol=4 * _EPS, maxiter=400)
    if part is excess_kl_accepting:
        return (s_b + root) / total
    rejected = below + root  # all the rejected mass: accurate near alpha = 1
    return 1.0 - rejected / total if rejected < 0.5 * total else (s_b + (q_b - root)) / total


def _bracket_small_root(g, half: float) -> tuple[float, float]:
    """``(lo, hi)`` holding the root of ``g`` in ``(0, half]`` (``g(0)``, ``g(half)`` of
    opposite signs) with ``hi = 2 lo`` or ``lo = 0``: the powers ``half * 2^-k``,
    searched by doubling then bisecting k (about 20 evaluations whatever the root's
    magnitude, where bisection on ``[0, half]`` needs one per binade)."""
    side_of_zero = g(0.0) > 0.0

    def beyond(k):  # half * 2^-k is on the zero side of the root
        return (g(math.ldexp(half, -k)) > 0.0) == side_of_zero

    low, high = 0, 1  # powers: half * 2^-low beyond the root on the half side
    while not beyond(high) and high < 2048:  # 2^-2048 half = 0, on the zero side
        low, high = high, 2 * high
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if beyond(middle) else (middle, high)
    return math.ldexp(half, -high), math.ldexp(half, -low)


# ------------------------------------------------------------------------ frontier


def frontier(
    probs, rewards, ns, *, normalize: bool = False, assume_sorted: bool = False
) -> Frontier:
    """Where best-of-n sits: its KL, win rate and reward next to the comparison policies.

    Parameters
    ----------
    probs, rewards : array_like, shape (K,)
        The reference distribution.
    ns : array_like
        Values of n (real, >= 1), any order; the table follows this order.
    normalize, assume_sorted : bool
        As in :func:`bonkl_fast.bon_pmf`.

    Returns
    -------
    Frontier
        Per n: best-of-n, folklore KL, rewind-and-repeat at ``alpha = 1/n`` and at
        equal KL, both tilts at equal KL, and best-of-n's shortfalls.

    Notes
    -----
    One sort, one Numba pass for best-of-n at all n, O(log K) per n for
    rewind-and-repeat (the root lies in the level of ``alpha = e^-KL``), and
    for each tilt one vectorised solve for all n (a bracketing grid pass plus
    2-4 Newton passes). Where best-of-n's KL equals ``log(1/p_top)`` to
    rounding the tilts are reported at their limit (beta = inf, the top level).
    Expected rewards use the reward values: rewards that float64 cannot tell
    apart (int64 above 2**53, longdouble) raise a ``ValueError``.

    Examples
    --------
    >>> f = frontier([0.25, 0.25, 0.25, 0.25], [0.0, 1.0, 2.0, 3.0], [1, 2, 4])
    >>> f.bon_win_rate
    array([0.5       , 0.65625   , 0.77929688])
    >>> bool((f.win_rate_shortfall >= -1e-12).all())
    True
    """
    levels = prepare_levels(  # expected rewards and the reward tilt use the reward values
        probs, rewards, normalize=normalize, assume_sorted=assume_sorted, order_only=False
    )
    flat, _, _ = as_n(ns, "ns")
    win_tilt = _Tilt.build(levels, "win_rate")
    reward_tilt = _Tilt.build(levels, "reward")
    reward = reward_tilt.reward  # rewards in scaled units (any span; see _scaled_rewards)
    order = np.argsort(flat, kind="stable")
    ns_sorted = np.ascontiguousarray(flat[order])
    summary = kern.bon_summary_many(levels.mass, levels.cum, levels.tail, reward, ns_sorted)
    bon = np.empty_like(summary)
    bon[:, order] = summary
    ones = flat == 1.0
    bon[0, ones], bon[1, ones] = 0.0, 0.5
    saturation = levels.saturation
    bon_kl = np.minimum(np.maximum(bon[0], 0.0), saturation)
    suffix = _suffix_sums(levels, reward)
    # n = 1 is the reference itself: its mean from q, not from the level weights
    # F - G, whose roundings (eps q) times rewards of 1e308 leave 1e291 where 0 cancels
    bon[2, ones] = _reference_mean(levels, reward)
    cost_kl, cost_win, cost_reward = _rewind_summary(levels, 1.0 / flat, suffix, reward)
    boundary_kls = _boundary_kls(levels)
    rr_alpha = np.array(
        [
            _rewind_alpha_for_kl(levels, k, boundary_kls)
            if k < saturation * (1.0 - 1e-13)
            else min(levels.p_top / float(levels.cum[-1]), 1.0)
            for k in bon_kl
        ]
    )
    _, rr_win, rr_reward = _rewind_summary(levels, rr_alpha, suffix, reward)
    win_at = _tilts_at(win_tilt, bon_kl, saturation)
    reward_at = _tilts_at(reward_tilt, bon_kl, saturation)
    rewards_of = reward_tilt.rewards  # scaled units back to the caller's
    return Frontier(
        n=flat.copy(),
        kl_bound=np.asarray(kl_bound(flat)),
        bon_kl=bon_kl,
        bon_win_rate=bon[1],
        bon_reward=rewards_of(bon[2]),
        rr_cost_kl=cost_kl,
        rr_cost_win_rate=cost_win,
        rr_cost_reward=rewards_of(cost_reward),
        rr_alpha=rr_alpha,
        rr_win_rate=rr_win,
        rr_reward=rewards_of(rr_reward),
        win_tilt_beta=win_at["beta"],
        win_tilt_win_rate=win_at["win"],
        win_tilt_reward=rewards_of(win_at["reward"]),
        reward_tilt_beta=reward_at["beta"],
        reward_tilt_win_rate=reward_at["win"],
        reward_tilt_reward=rewards_of(reward_at["reward"]),
        win_rate_shortfall=win_at["win"] - bon[1],
        reward_shortfall=rewards_of(reward_at["reward"] - bon[2]),
        kl_saturation=saturation,
    )
