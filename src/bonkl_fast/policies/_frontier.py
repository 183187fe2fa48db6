"""The exact win-rate/KL frontier: best-of-n next to the comparison policies (MATH §8).

:func:`frontier` validates, sorts and merges the reference once and hands its
:class:`~bonkl_fast._levels.Levels` to :func:`frontier_of_levels` (which
:meth:`bonkl_fast.Reference.frontier` calls with the levels it already holds).
Every policy is evaluated on those levels: best-of-n for all n in one Numba pass
(:func:`_best_of_n`), rewind-and-repeat at ``alpha = 1/n`` and at equal KL
(:func:`bonkl_fast.policies._rewind._rewind_for_frontier`), and both tilts at
equal KL (:func:`bonkl_fast.policies._tilt_solve._tilts_at`).
"""

from __future__ import annotations

import numpy as np

from .._levels import Levels, prepare_levels
from .._validate import as_n
from ..exact import kl_bound
from . import _kernels_best_of_n as kern
from ._frontier_table import Frontier
from ._levels import _Tilt
from ._rewind import _reference_mean, _rewind_for_frontier
from ._tilt_solve import _tilts_at

__all__ = ["frontier", "frontier_of_levels", "Frontier"]


def frontier(
    probs, rewards, ns, *, normalize: bool = False, assume_sorted: bool = False
) -> Frontier:
    """Where best-of-n sits: its KL, win rate and reward next to the comparison policies.

    Parameters
    ----------
    probs, rewards, normalize, assume_sorted
        The reference distribution, as in :func:`bonkl_fast.bon_pmf`.
    ns : array_like
        Values of n (real, >= 1), any order; the table follows this order.

    Returns
    -------
    Frontier
        Per n: best-of-n, folklore KL, rewind-and-repeat at ``alpha = 1/n`` and at
        equal KL, both tilts at equal KL, and best-of-n's shortfalls.

    Notes
    -----
    One validation and sort, one Numba pass for best-of-n at all n, O(log K)
    per n for rewind-and-repeat (the root lies in the level of ``alpha =
    e^-KL``), and for each tilt one vectorised solve for all n (a bracketing
    grid pass plus 2-4 Newton passes). Where best-of-n's KL equals
    ``log(1/p_top)`` to rounding the tilts are reported at their limit
    (beta = inf, the top level). Expected rewards use the reward values:
    rewards that float64 cannot tell apart (int64 above 2**53, longdouble)
    raise a ``ValueError``. :meth:`bonkl_fast.Reference.frontier` gives the same
    table without validating or sorting again.

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
    return frontier_of_levels(levels, ns)


def frontier_of_levels(levels: Levels, ns) -> Frontier:
    """:func:`frontier` on levels already validated, sorted and merged, whose rewards
    are the reward values (``prepare_levels(..., order_only=False)`` or
    :func:`bonkl_fast.policies._levels.with_reward_values`); only ``ns`` is checked."""
    flat, _, _ = as_n(ns, "ns")
    win_tilt = _Tilt.build(levels, "win_rate")
    reward_tilt = _Tilt.build(levels, "reward")
    win, reward = win_tilt.win, reward_tilt.reward  # reward in scaled units (_scaled_rewards)
    bon = _best_of_n(levels, flat, reward)
    saturation = levels.saturation
    bon_kl = np.minimum(np.maximum(bon[0], 0.0), saturation)
    (cost_kl, cost_win, cost_reward), (rr_alpha, rr_win, rr_reward) = _rewind_for_frontier(
        levels, flat, bon_kl, win, reward
    )
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


def _best_of_n(levels: Levels, ns: np.ndarray, reward: np.ndarray) -> np.ndarray:
    """Rows (KL, win rate, expected reward in the units of ``reward``) per n, any order."""
    order = np.argsort(ns, kind="stable")
    ns_sorted = np.ascontiguousarray(ns[order])
    summary = kern.bon_summary_many(levels.mass, levels.cum, levels.tail, reward, ns_sorted)
    bon = np.empty_like(summary)
    bon[:, order] = summary
    # n = 1 is the reference itself; its mean from q, not from the level weights
    # F - G, whose roundings (eps q) times rewards of 1e308 leave 1e291 where 0 cancels
    ones = ns == 1.0
    bon[0, ones], bon[1, ones] = 0.0, 0.5
    bon[2, ones] = _reference_mean(levels, reward)
    return bon
