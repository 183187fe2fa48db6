"""A validated reference distribution, sorted by reward and merged into levels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _kernels_select as select
from ._kernels_kl import kl_win_serial
from ._kernels_kl_parallel import kl_win_above, kl_win_parallel
from ._kernels_levels import (
    compensated_cumsum,
    merge_levels,
    outcome_levels,
    single_outcome_levels,
)
from ._kernels_sort import sort_pairs, stable_argsort
from ._validate import as_probs_rewards

# up to this many outcomes everything runs serially (no thread launch; on a busy
# machine each parallel region waits for the other threads to be scheduled) ...
SERIAL_MAX = 1 << 17
# ... larger unsorted input tries selection before sorting (MATH §10) ...
SELECT_MIN = SERIAL_MAX + 1
# ... and sorts everything when the cut would keep more than this fraction
SELECT_KEEP_MAX = 0.5


@dataclass(frozen=True)
class Levels:
    """A reference ``pi`` in the form the kernels use (MATH §1).

    Attributes
    ----------
    given_probs, given_rewards : ndarray or None
        The validated float64 inputs, in the caller's order (None when not kept:
        see ``caller_order``); read them as ``probs`` and ``rewards``.
    order : ndarray or None
        Stable permutation sorting the outcomes by reward (None: already sorted,
        or not kept: see ``caller_order``).
    probs_sorted : ndarray
        ``probs[order]``; the same array as ``mass`` when ``bounds`` is None.
    reward, mass, cum, tail : ndarray
        Per level with positive mass, ascending: reward, mass ``q``, ``F = P(R <= r)``
        and ``S = P(R > r)``.
    bounds : (ndarray, ndarray) or None
        ``(start, stop)``: the sorted outcomes ``start:stop`` form each level. None
        when every outcome is its own level of positive mass (no ties, no zero
        mass: the common case of continuous rewards), where nothing per outcome
        beyond ``probs_sorted`` is stored.
    caller_order : bool
        False when built with ``keep_order=False``: ``probs``, ``rewards`` and
        ``order`` were dropped after sorting and :meth:`to_original` is unavailable.
    """

    given_probs: np.ndarray | None
    given_rewards: np.ndarray | None
    order: np.ndarray | None
    probs_sorted: np.ndarray
    reward: np.ndarray
    mass: np.ndarray
    cum: np.ndarray
    tail: np.ndarray
    bounds: tuple[np.ndarray, np.ndarray] | None
    caller_order: bool = True

    @property
    def probs(self) -> np.ndarray:
        """The validated probabilities in the caller's order."""
        return _kept(self.given_probs)

    @property
    def rewards(self) -> np.ndarray:
        """The validated rewards in the caller's order."""
        return _kept(self.given_rewards)

    @property
    def start(self) -> np.ndarray:
        """First sorted outcome of each level (built on each access when ``bounds`` is None)."""
        return np.arange(self.mass.shape[0]) if self.bounds is None else self.bounds[0]

    @property
    def stop(self) -> np.ndarray:
        """One past the last sorted outcome of each level (built when ``bounds`` is None)."""
        return np.arange(1, self.mass.shape[0] + 1) if self.bounds is None else self.bounds[1]

    @property
    def spans(self) -> tuple:
        """``(start, stop)`` for the kernels, or ``(None, None)`` where every level is one
        outcome (kernels then take level l as sorted outcome l: nothing is built)."""
        return (None, None) if self.bounds is None else self.bounds

    @property
    def level_of(self) -> np.ndarray:
        """Level of each sorted outcome, -1 for outcomes of zero-mass levels (built on
        each access: O(K) memory only while a caller holds it)."""
        if self.bounds is None:
            return np.arange(self.probs_sorted.shape[0])
        return outcome_levels(*self.bounds, self.probs_sorted.shape[0])

    @property
    def p_top(self) -> float:
        """Mass of the highest-reward level with positive mass."""
        return float(self.mass[-1])

    @property
    def saturation(self) -> float:
        """``log(1 / p_top)``, the large-n limit of the best-of-n KL, accurate for p_top near 1.

        Near 1 the rounded ``p_top`` (which can exceed 1 by an ulp) is replaced by
        ``1 - G_top``, with ``G_top`` the accurate forward sum below the top level.
        """
        if self.p_top >= 0.5:
            below = float(self.cum[-2]) if self.mass.size > 1 else 0.0
            return float(-np.log1p(-below)) + 0.0  # + 0.0: no -0.0
        return float(-np.log(self.p_top))

    def to_original(self, values_sorted: np.ndarray) -> np.ndarray:
        """Put per-outcome values computed in sorted order back in the caller's order."""
        if not self.caller_order:
            raise RuntimeError("levels prepared with keep_order=False cannot map back")
        if self.order is None:
            return values_sorted
        out = np.empty_like(values_sorted)
        out[self.order] = values_sorted
        return out


def _kept(values: np.ndarray | None) -> np.ndarray:
    if values is None:
        raise RuntimeError("levels prepared with keep_order=False keep no caller-order arrays")
    return values


def prepare_levels(
    probs,
    rewards,
    *,
    normalize: bool = False,
    assume_sorted: bool = False,
    order_only=True,
    keep_order=True,
) -> Levels:
    """Validate ``probs``/``rewards``, sort by reward and merge ties into levels.

    ``order_only=False`` for callers that use the reward values, not only their
    order (see :func:`bonkl_fast._validate.as_rewards`); ``keep_order=False`` for
    callers that work in sorted order only (the caller-order arrays are then freed).
    """
    p, r = as_probs_rewards(
        probs, rewards, normalize=normalize, order_only=order_only, assume_sorted=assume_sorted
    )
    if assume_sorted:
        order = None
        p_sorted, r_sorted = p, r
    else:
        order = stable_argsort(r)
        p_sorted, r_sorted = p[order], r[order]
    caller_order = keep_order or assume_sorted
    if not caller_order:  # let the caller-order arrays go before the level arrays are built
        p = r = order = None
    if single_outcome_levels(r_sorted, p_sorted):
        # every outcome its own level: the masses are the probabilities, and the
        # compensated sums those chunk_levels would compute (no per-outcome copy)
        mass = p_sorted.copy() if assume_sorted else p_sorted  # never the caller's array
        reward = r_sorted.copy() if assume_sorted else r_sorted
        cum, tail = compensated_cumsum(mass, False), compensated_cumsum(mass, True)
        return Levels(p, r, order, mass, reward, mass, cum, tail, None, caller_order)
    reward, mass, cum, tail, start, stop = merge_levels(r_sorted, p_sorted)
    return Levels(p, r, order, p_sorted, reward, mass, cum, tail, (start, stop), caller_order)


def prepare_outcomes(probs, rewards, *, normalize: bool = False, assume_sorted: bool = False):
    """Validate like :func:`prepare_levels`; ``(rewards, probs)`` in the caller's order
    (checked ascending with ``assume_sorted``), for :func:`kl_win`, which sorts."""
    p, r = as_probs_rewards(probs, rewards, normalize=normalize, assume_sorted=assume_sorted)
    return r, p


def kl_win(rewards, probs, ns, *, is_sorted: bool):
    """(KL, W) rows for ascending ``ns > 1`` of validated outcomes (MATH §2, §5, §10).

    Unsorted input of at least SELECT_MIN outcomes first drops, by a weighted
    histogram of the rewards, the outcomes below every truncation cut, and sorts
    only the rest; when nothing can be dropped it sorts everything.
    """
    if not is_sorted and rewards.shape[0] >= SELECT_MIN:
        above = _select_above(rewards, probs, ns)
        if above is not None:
            kept_rewards, kept_probs, below, below_comp = above
            return kl_win_above(*sort_pairs(kept_rewards, kept_probs), ns, below, below_comp)
    if not is_sorted:
        rewards, probs = sort_pairs(rewards, probs)
    if rewards.shape[0] <= SERIAL_MAX:
        return kl_win_serial(rewards, probs, ns)
    return kl_win_parallel(rewards, probs, ns)


def _select_above(rewards, probs, ns):
    """``(rewards, probs, below, below_comp)`` of the outcomes above the cut (unsorted),
    or None when the cut would keep most of them."""
    low, high = float(rewards.min()), float(rewards.max())
    scale = select.BUCKETS / (high - low) if high > low else 0.0
    if not (0.0 < scale < np.inf and np.isfinite((high - low) * scale)):
        return None
    mass, count = select.reward_histogram(rewards, probs, low, scale)
    first = select.first_kept_bucket(mass.sum(axis=0), ns)
    if first == 0 or count[:, first:].sum() > SELECT_KEEP_MAX * rewards.shape[0]:
        return None
    return select.split_above(rewards, probs, low, scale, first, count)
