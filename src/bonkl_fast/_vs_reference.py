"""Any policy pmf against the reference: KL(policy || reference) and win rate (MATH §5).

Re-exported by :mod:`bonkl_fast.exact`, their public home.
"""

from __future__ import annotations

import numpy as np

from ._levels import Levels, prepare_levels
from ._validate import as_probs

__all__ = ["kl_divergence", "win_rate_vs_reference"]


def kl_divergence(policy, probs) -> float:
    """KL(policy || probs) in nats for two pmfs over the same outcomes.

    Infinite when ``policy`` puts mass where ``probs`` has none. Both vectors
    are validated like ``probs`` (non-negative, summing to 1).

    Examples
    --------
    >>> round(kl_divergence([0.25, 0.75], [0.5, 0.5]), 12)
    0.130812035941
    """
    q = as_probs(policy, name="policy")
    p = as_probs(probs)
    if q.shape != p.shape:
        raise ValueError(f"policy has {q.shape[0]} outcomes but probs has {p.shape[0]}")
    support = q > 0
    if (p[support] == 0).any():
        return float("inf")
    qs, ps = q[support], p[support]
    with np.errstate(over="ignore", under="ignore"):  # handled just below
        ratio = qs / ps
    exact = np.isfinite(ratio) & (ratio > 0)
    log_ratio = np.empty_like(ratio)
    log_ratio[exact] = np.log(ratio[exact])
    log_ratio[~exact] = np.log(qs[~exact]) - np.log(ps[~exact])  # q/p beyond float64
    return float(max(np.sum(qs * log_ratio), 0.0))


def win_probability(levels: Levels) -> np.ndarray:
    """Per outcome (caller's order): ``P(r(Y) < r_y) + P(r(Y) = r_y) / 2`` for ``Y ~ pi``."""
    below_count = np.searchsorted(levels.reward, levels.rewards, side="left")
    below = np.where(below_count > 0, levels.cum[np.maximum(below_count - 1, 0)], 0.0)
    at = np.minimum(below_count, levels.reward.size - 1)
    tied = np.where(levels.reward[at] == levels.rewards, levels.mass[at], 0.0)
    return below + 0.5 * tied


def win_rate_vs_reference(policy, probs, rewards, *, normalize: bool = False) -> float:
    """Win rate of any pmf ``policy`` against the reference, ties counting 1/2.

    ``W = sum_y policy_y * (P(R < r_y) + P(R = r_y) / 2)`` with ``R`` the reward of
    a draw from the reference (MATH §5).

    Examples
    --------
    >>> win_rate_vs_reference([0.25, 0.75], [0.5, 0.5], [0, 1])
    0.625
    """
    q = as_probs(policy, name="policy")
    levels = prepare_levels(probs, rewards, normalize=normalize)
    if q.shape != levels.probs.shape:
        raise ValueError(f"policy has {q.shape[0]} outcomes but probs has {levels.probs.shape[0]}")
    return float(np.sum(q * win_probability(levels)))
