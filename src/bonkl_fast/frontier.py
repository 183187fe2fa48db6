"""The exact win-rate/KL frontier: best-of-n next to the comparison policies (MATH §8)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from . import _kernels_policies as kern
from ._kernels_exact import excess
from ._levels import Levels, prepare_levels
from ._policy_levels import _EPS, _Tilt, _win_scores
from ._tilt_solve import _tilts_at
from ._validate import as_n
from .exact import kl_bound

__all__ = ["frontier", "Frontier"]


# ------------------------------------------------------- rewind-and-repeat summaries


def _rewind_kl(levels: Levels, b: int, rejected_in_level: float) -> float:
    """KL of rewind-and-repeat whose boundary level ``b`` rejects mass ``rejected_in_level``
    (and accepts the rest of its mass ``q_b``).

    Written as ``sum_y p_y excess(log(pi_y / p_y))`` (non-negative terms, no
    cancellation near alpha = 1): ``S_b excess(-log alpha) + q_b excess(log(t / alpha))
    + G_b``, with ``t`` the boundary level's acceptance and ``G_b`` the mass below
    it (all rejected). Where alpha > 1/2 the logs come from the rejected mass
    ``1 - alpha = G_b + rejected_in_level`` (forward sums, accurate near alpha = 1),
    elsewhere from ``alpha = S_b + accepted``.
    """
    q_b, s_b = float(levels.mass[b]), float(levels.tail[b])
    below = float(levels.cum[b]) - q_b
    rejected = below + rejected_in_level
    accepted = q_b - rejected_in_level
    if rejected < 0.5:
        log_alpha = math.log1p(-rejected)
        log_t = math.log1p(-rejected_in_level / q_b) if accepted > 0.0 else -math.inf
    else:
        log_alpha = math.log(s_b + accepted)
        log_t = math.log(accepted / q_b) if accepted > 0.0 else -math.inf
    level = 1.0 if log_t == -math.inf else excess(log_t - log_alpha)  # all rejected: 1
    return s_b * excess(-log_alpha) + q_b * level + below


def _rewind_summary(levels: Levels, alphas: np.ndarray, suffix: dict):
    """KL, win rate and expected reward of rewind-and-repeat for each alpha (vectorized)."""
    size = levels.mass.shape[0]
    above = np.searchsorted(levels.tail[::-1], alphas, side="left")  # levels with S < alpha
    b = size - above
    s_b = levels.tail[b]
    accepted = alphas - s_b  # mass taken from the boundary level, in (0, q_b]
    rejected = np.maximum(levels.mass[b] - accepted, 0.0)
    kl = np.array([_rewind_kl(levels, int(k), float(x)) for k, x in zip(b, rejected, strict=True)])
    win = (suffix["win"][b] + accepted * _win_scores(levels)[b]) / alphas
    reward = (suffix["reward"][b] + accepted * levels.reward[b]) / alphas
    full = alphas >= 1.0
    kl[full] = 0.0
    win[full] = 0.5
    reward[full] = suffix["reward"][0] + levels.mass[0] * levels.reward[0]
    return np.maximum(kl, 0.0), win, reward, b, accepted


def _suffix_sums(levels: Levels) -> dict:
    """sum_{m > l} q_m v_m and sum_{m > l} q_m r_m (exclusive sums from the top)."""
    out = {}
    for key, score in (("win", _win_scores(levels)), ("reward", levels.reward)):
        terms = (levels.mass * score)[::-1]
        out[key] = np.concatenate(([0.0], np.cumsum(terms)[:-1]))[::-1].copy()
    return out


def _rewind_alpha_for_kl(levels: Levels, kl: float) -> float:
    """alpha in [p_top, 1] whose rewind-and-repeat KL equals ``kl`` (< log 1/p_top).

    Solved for the mass rejected inside the boundary level (not for alpha), so
    targets down to the smallest KL a float can hold are met: near alpha = 1 the
    rejected mass is resolved where ``1 - alpha`` is not.
    """
    if kl <= 0.0:
        return 1.0
    size = levels.mass.shape[0]
    # KL = -log(alpha) at level boundaries alpha = S_{b-1}, so the root lies in e^-kl's level
    b = size - int(np.searchsorted(levels.tail[::-1], math.exp(-kl), side="left"))
    s_b, q_b = float(levels.tail[b]), float(levels.mass[b])

    def excess_kl(rejected_in_level):
        return _rewind_kl(levels, b, rejected_in_level) - kl

    if excess_kl(0.0) >= 0.0:
        return min(s_b + q_b, 1.0)
    if excess_kl(q_b) <= 0.0:
        return s_b
    from scipy.optimize import brentq  # imported here: scipy.optimize adds 0.3 s to import time

    rejected = brentq(excess_kl, 0.0, q_b, xtol=1e-300, rtol=4 * _EPS, maxiter=400)
    return s_b + (q_b - rejected)


# ------------------------------------------------------------------------ frontier


@dataclass(frozen=True)
class Frontier:
    """Best-of-n against the comparison policies, one entry per n (MATH §8).

    Attributes (arrays of shape ``(len(ns),)`` unless stated)
    ----------------------------------------------------------
    n : draws of best-of-n.
    kl_bound : folklore ``log n - (n - 1) / n``.
    bon_kl, bon_win_rate, bon_reward : exact best-of-n KL, win rate, expected reward.
    rr_cost_kl, rr_cost_win_rate, rr_cost_reward : rewind-and-repeat at
        ``alpha = 1 / n`` (same expected number of draws).
    rr_alpha, rr_win_rate, rr_reward : rewind-and-repeat at best-of-n's KL.
    win_tilt_beta, win_tilt_win_rate, win_tilt_reward : win-rate tilt at best-of-n's KL.
    reward_tilt_beta, reward_tilt_win_rate, reward_tilt_reward : reward tilt at
        best-of-n's KL (beta = inf where that KL is the saturation value).
    win_rate_shortfall : ``win_tilt_win_rate - bon_win_rate`` (>= 0).
    reward_shortfall : ``reward_tilt_reward - bon_reward`` (>= 0).
    kl_saturation : float, ``log(1 / p_top)``.

    Examples
    --------
    >>> f = frontier([0.5, 0.5], [0.0, 1.0], [1, 4])
    >>> print(f.to_csv().splitlines()[0][:40])
    n,kl_bound,bon_kl,bon_win_rate,bon_rewar
    >>> print(f.to_markdown(3).splitlines()[3][:42])
    | 4 | 0.636 | 0.459 | 0.719 | 0.938 | 0.69
    """

    n: np.ndarray
    kl_bound: np.ndarray
    bon_kl: np.ndarray
    bon_win_rate: np.ndarray
    bon_reward: np.ndarray
    rr_cost_kl: np.ndarray
    rr_cost_win_rate: np.ndarray
    rr_cost_reward: np.ndarray
    rr_alpha: np.ndarray
    rr_win_rate: np.ndarray
    rr_reward: np.ndarray
    win_tilt_beta: np.ndarray
    win_tilt_win_rate: np.ndarray
    win_tilt_reward: np.ndarray
    reward_tilt_beta: np.ndarray
    reward_tilt_win_rate: np.ndarray
    reward_tilt_reward: np.ndarray
    win_rate_shortfall: np.ndarray
    reward_shortfall: np.ndarray
    kl_saturation: float

    def columns(self) -> list[str]:
        """Names of the per-n columns, in table order."""
        return [f.name for f in fields(self) if f.name != "kl_saturation"]

    def to_markdown(self, digits: int = 6) -> str:
        """A markdown table, one row per n (``digits`` significant digits)."""
        cols = self.columns()
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for i in range(self.n.size):
            lines.append(
                "| " + " | ".join(f"{getattr(self, c)[i]:.{digits}g}" for c in cols) + " |"
            )
        return "\n".join(lines)

    def to_csv(self) -> str:
        """CSV text with a header row, full float64 precision (``repr``)."""
        cols = self.columns()
        rows = [",".join(cols)]
        for i in range(self.n.size):
            rows.append(",".join(repr(float(getattr(self, c)[i])) for c in cols))
        return "\n".join(rows) + "\n"


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

    Examples
    --------
    >>> f = frontier([0.25, 0.25, 0.25, 0.25], [0.0, 1.0, 2.0, 3.0], [1, 2, 4])
    >>> f.bon_win_rate
    array([0.5       , 0.65625   , 0.77929688])
    >>> bool((f.win_rate_shortfall >= -1e-12).all())
    True
    """
    levels = prepare_levels(probs, rewards, normalize=normalize, assume_sorted=assume_sorted)
    flat, _, _ = as_n(ns, "ns")
    order = np.argsort(flat, kind="stable")
    ns_sorted = np.ascontiguousarray(flat[order])
    summary = kern.bon_summary_many(levels.mass, levels.cum, levels.tail, levels.reward, ns_sorted)
    bon = np.empty_like(summary)
    bon[:, order] = summary
    ones = flat == 1.0
    bon[0, ones], bon[1, ones] = 0.0, 0.5
    saturation = levels.saturation
    bon_kl = np.minimum(np.maximum(bon[0], 0.0), saturation)
    suffix = _suffix_sums(levels)
    cost_kl, cost_win, cost_reward, _, _ = _rewind_summary(levels, 1.0 / flat, suffix)
    rr_alpha = np.array(
        [
            _rewind_alpha_for_kl(levels, k) if k < saturation * (1.0 - 1e-13) else levels.p_top
            for k in bon_kl
        ]
    )
    _, rr_win, rr_reward, _, _ = _rewind_summary(levels, rr_alpha, suffix)
    win_tilt = _tilts_at(_Tilt.build(levels, "win_rate"), bon_kl, saturation)
    reward_tilt_ = _tilts_at(_Tilt.build(levels, "reward"), bon_kl, saturation)
    return Frontier(
        n=flat.copy(),
        kl_bound=np.asarray(kl_bound(flat)),
        bon_kl=bon_kl,
        bon_win_rate=bon[1],
        bon_reward=bon[2],
        rr_cost_kl=cost_kl,
        rr_cost_win_rate=cost_win,
        rr_cost_reward=cost_reward,
        rr_alpha=rr_alpha,
        rr_win_rate=rr_win,
        rr_reward=rr_reward,
        win_tilt_beta=win_tilt["beta"],
        win_tilt_win_rate=win_tilt["win"],
        win_tilt_reward=win_tilt["reward"],
        reward_tilt_beta=reward_tilt_["beta"],
        reward_tilt_win_rate=reward_tilt_["win"],
        reward_tilt_reward=reward_tilt_["reward"],
        win_rate_shortfall=win_tilt["win"] - bon[1],
        reward_shortfall=reward_tilt_["reward"] - bon[2],
        kl_saturation=saturation,
    )
