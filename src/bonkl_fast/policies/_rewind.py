"""Rewind-and-repeat: the policy and its exact KL, win rate and reward (MATH §8).

:func:`rewind_and_repeat` returns the policy's pmf (:func:`rewind_pmf` on levels
already built, for :class:`bonkl_fast.Reference`). The frontier needs its
summaries without the pmf: :func:`_rewind_summary` (KL, win rate, reward at
given alphas, vectorised) and :func:`_rewind_alpha_for_kl` (the alpha reaching a
target KL, solved inside the boundary level), all on one :class:`Levels`.
"""

from __future__ import annotations

import math

import numpy as np

from .._kernels_exact import excess
from .._kernels_levels import compensated_sum
from .._levels import Levels, prepare_levels
from ._levels import _EPS, _as_scalar, _expand

__all__ = ["rewind_and_repeat"]


# ---------------------------------------------------------------- the policy


def _as_alpha(alpha) -> float:
    value = _as_scalar(alpha, "alpha")
    if not 0.0 < value <= 1.0:
        raise ValueError(
            f"alpha is the acceptance probability and must be in (0, 1], got {value:g}; "
            "alpha = 1/n costs as many draws on average as best-of-n"
        )
    return value


def rewind_and_repeat(
    probs, rewards, alpha, *, normalize: bool = False, assume_sorted: bool = False
):
    """Rewind-and-repeat (rejection sampling) with acceptance probability ``alpha``.

    Draw from the reference until the reward clears the ``1 - alpha`` quantile;
    the boundary level is accepted with the probability that makes the total
    acceptance exactly ``alpha`` (all its tied outcomes alike).

    Parameters
    ----------
    probs, rewards : array_like, shape (K,)
        The reference distribution (see :func:`bonkl_fast.bon_pmf`).
    alpha : float
        Acceptance probability in (0, 1]; expected number of draws ``1 / alpha``.
    normalize, assume_sorted : bool
        As in :func:`bonkl_fast.bon_pmf`.

    Returns
    -------
    ndarray, shape (K,)
        ``pi(y) a(y) / alpha``, ``a(y)`` the acceptance probability of ``y``.

    Raises
    ------
    ValueError, TypeError
        For invalid input or ``alpha`` outside (0, 1].

    Notes
    -----
    On continuous rewards ``KL = log(1/alpha)`` and ``W = 1 - alpha/2``
    (MATH §8); for discrete ones KL is at most ``log(1/alpha)``. Cost O(K log K).

    Examples
    --------
    >>> rewind_and_repeat([0.25, 0.25, 0.5], [0.0, 1.0, 2.0], 0.6)
    array([0.        , 0.16666667, 0.83333333])
    """
    a = _as_alpha(alpha)
    levels = prepare_levels(probs, rewards, normalize=normalize, assume_sorted=assume_sorted)
    return rewind_pmf(levels, a)


def rewind_pmf(levels: Levels, alpha: float) -> np.ndarray:
    """Rewind-and-repeat's pmf (caller's order) on validated levels, ``alpha`` in (0, 1]."""
    if alpha >= 1.0:
        return levels.probs.copy()
    size = levels.mass.shape[0]
    accepted = alpha * float(levels.cum[-1])  # the reference is probs / sum(probs)
    b = _boundary_levels(levels, np.array([accepted]))[0]
    level_mass = np.zeros(size)
    level_mass[b + 1 :] = levels.mass[b + 1 :] / accepted  # S_b < accepted: no overflow
    level_mass[b] = (accepted - levels.tail[b]) / accepted
    return _expand(levels, level_mass)


def _boundary_levels(levels: Levels, accepted: np.ndarray) -> np.ndarray:
    """Per accepted mass, the level b where acceptance stops: ``S_b < accepted <= S_b + q_b``."""
    return levels.mass.shape[0] - np.searchsorted(levels.tail[::-1], accepted, side="left")


# ------------------------------------------------------- summaries for the frontier


def _rewind_for_frontier(levels: Levels, ns, kls, win: np.ndarray, reward: np.ndarray):
    """``(KL, win rate, reward)`` at ``alpha = 1/n`` (the same expected number of draws)
    and ``(alpha, win rate, reward)`` at KL ``kls`` (best-of-n's), for each n.

    ``win`` holds each level's win score and ``reward`` its reward (any units: the
    expected rewards come back in them).
    """
    suffix = _suffix_sums(levels, win, reward)
    cost = _rewind_summary(levels, 1.0 / ns, suffix, win, reward)
    boundary_kls = _boundary_kls(levels)
    saturation = levels.saturation
    alphas = np.array(
        [
            _rewind_alpha_for_kl(levels, k, boundary_kls)
            if k < saturation * (1.0 - 1e-13)
            else min(levels.p_top / float(levels.cum[-1]), 1.0)
            for k in kls
        ]
    )
    _, win_at_kl, reward_at_kl = _rewind_summary(levels, alphas, suffix, win, reward)
    return cost, (alphas, win_at_kl, reward_at_kl)


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


def _rewind_summary(levels: Levels, alphas: np.ndarray, suffix: dict, win_score, reward):
    """KL, win rate and expected reward (in the units of ``reward``) of rewind-and-repeat
    for each alpha (vectorized; alpha a probability under the reference q / sum q)."""
    masses = alphas * float(levels.cum[-1])  # accepted mass
    b = _boundary_levels(levels, masses)
    s_b = levels.tail[b]
    accepted = np.minimum(masses - s_b, levels.mass[b])  # taken from the boundary level
    rejected = np.maximum(levels.mass[b] - accepted, 0.0)
    kl = np.array(
        [
            _rewind_kl(levels, int(k), float(x), float(a))
            for k, x, a in zip(b, rejected, accepted, strict=True)
        ]
    )
    win = (suffix["win"][b] + accepted * win_score[b]) / masses
    mean_reward = (suffix["reward"][b] + accepted * reward[b]) / masses
    for i in np.flatnonzero(masses < _TINY):  # q r and q v underflow in the sums above
        scale = -math.frexp(float(masses[i]))[1]  # masses[i] 2^scale in [1/2, 1)
        top = np.ldexp(levels.mass[b[i] + 1 :], scale)
        kept = math.ldexp(float(accepted[i]), scale)
        total_kept = math.ldexp(float(masses[i]), scale)
        for out, score in ((win, win_score), (mean_reward, reward)):
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


def _suffix_sums(levels: Levels, win_score: np.ndarray, reward: np.ndarray) -> dict:
    """sum_{m > l} q_m v_m and sum_{m > l} q_m r_m (exclusive sums from the top)."""
    out = {}
    for key, score in (("win", win_score), ("reward", reward)):
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
