"""``Reference``: one validated, sorted reference distribution, asked many questions.

The functions of :mod:`bonkl_fast.exact`, :mod:`bonkl_fast.sampling` and
:mod:`bonkl_fast.policies` validate, sort and merge ties on every call. A
:class:`Reference` does that once, like a frozen ``scipy.stats`` distribution,
and answers every best-of-n question from the sorted outcomes. Every method
gives the same numbers as the function of the same name.
"""

from __future__ import annotations

import numpy as np

from . import _kernels_exact as kern
from ._kernels_estimate import estimate_expected_many
from ._levels import kl_win, prepare_levels
from ._over_n import _over_unique_n
from ._validate import as_n

__all__ = ["Reference"]


class Reference:
    """A discrete reference distribution ``pi``, validated, sorted and merged once.

    Parameters
    ----------
    probs, rewards : array_like, shape (K,)
        Reference probabilities and finite rewards; equal rewards are ties
        (docs/MATH.md §1). Rewards are ordered in the dtype given (exact for
        integers).
    normalize : bool
        Divide ``probs`` by their sum instead of requiring it to be 1.
    assume_sorted : bool
        Promise that ``rewards`` are ascending (checked, in O(K)); skips the sort.

    Notes
    -----
    Construction costs one validation and one sort, O(K log K); each question
    after that costs one pass over the sorted outcomes (O(K) per ``n``), no
    validation and no sort. Per-outcome results (pmfs, policies) come back in
    the caller's order. The object is immutable: its arrays are read-only.

    Examples
    --------
    >>> ref = Reference([0.5, 0.3, 0.2], [1.0, 0.0, 1.0])   # outcomes 0 and 2 tie
    >>> ref.level_rewards, ref.level_masses
    (array([0., 1.]), array([0.3, 0.7]))
    >>> round(ref.kl(4), 6), ref.kl([1, 4]).round(6)
    (0.316462, array([0.      , 0.316462]))
    >>> ref.pmf(2).round(4)
    array([0.65, 0.09, 0.26])
    >>> round(ref.saturation, 6)
    0.356675
    """

    def __init__(self, probs, rewards, *, normalize: bool = False, assume_sorted: bool = False):
        levels = prepare_levels(probs, rewards, normalize=normalize, assume_sorted=assume_sorted)
        order = levels.order
        probs_copy = levels.probs  # never a view of the caller's array: copied if it is one
        if np.may_share_memory(probs_copy, probs):
            probs_copy = np.array(probs_copy)
        raw = np.asarray(rewards)  # the caller's dtype, for the methods that use reward values
        self._levels = levels
        self._probs = _read_only(probs_copy)
        self._probs_sorted = _read_only(probs_copy if order is None else levels.probs_sorted)
        if levels.bounds is None:  # one outcome per level: the level rewards are these
            self._rewards_sorted = _read_only(levels.reward)
        else:
            self._rewards_sorted = _read_only(
                np.array(levels.rewards) if order is None else levels.rewards[order]
            )
        self._raw_rewards_sorted = _read_only(raw.copy() if order is None else raw[order])

    def __repr__(self) -> str:
        lv = self._levels
        return (
            f"Reference(outcomes={self.size}, levels={lv.mass.shape[0]}, "
            f"p_top={self.p_top:.6g}, saturation={self.saturation:.6g})"
        )

    # -- the distribution ---------------------------------------------------------------------
    @property
    def probs(self) -> np.ndarray:
        """The validated probabilities, float64, in the caller's order (read-only)."""
        return self._probs

    @property
    def size(self) -> int:
        """Number of outcomes ``K``."""
        return int(self._probs.shape[0])

    @property
    def level_rewards(self) -> np.ndarray:
        """Reward of each level with positive mass, ascending (ranks where float64 would
        merge distinct rewards: see :func:`bonkl_fast.kl_exact`)."""
        return _read_only(self._levels.reward.view())

    @property
    def level_masses(self) -> np.ndarray:
        """Mass ``q`` of each level, ties merged (summing to 1)."""
        return _read_only(self._levels.mass.view())

    @property
    def p_top(self) -> float:
        """Mass of the highest-reward level."""
        return self._levels.p_top

    @property
    def saturation(self) -> float:
        """``log(1 / p_top)``: the large-n limit of the best-of-n KL (MATH §3)."""
        return self._levels.saturation

    # -- exact best-of-n quantities -------------------------------------------------------------
    def pmf(self, n) -> np.ndarray:
        """Best-of-n pmf per outcome, as :func:`bonkl_fast.bon_pmf`."""
        return self._per_outcome(n, log_space=False, name="pmf")

    def logpmf(self, n) -> np.ndarray:
        """Log best-of-n pmf per outcome, as :func:`bonkl_fast.bon_logpmf`."""
        return self._per_outcome(n, log_space=True, name="logpmf")

    def kl(self, n):
        """Exact KL(pi_n || pi), as :func:`bonkl_fast.kl_exact` (scalar or array ``n``)."""
        return self.kl_and_win_rate(n)[0]

    def win_rate(self, n):
        """Win rate of best-of-n against the reference, as :func:`bonkl_fast.win_rate`."""
        return self.kl_and_win_rate(n)[1]

    def kl_and_win_rate(self, n):
        """``(kl(n), win_rate(n))`` from one pass, as :func:`bonkl_fast.exact.kl_and_win_rate`."""
        sorted_pair = (self._rewards_sorted, self._probs_sorted)
        kl, win = _over_unique_n(
            sorted_pair,
            n,
            lambda rp, ns: kl_win(*rp, ns, is_sorted=True),
            value_at_one=(0.0, 0.5),
        )
        return kl, win

    def kl_estimate_expected(self, n):
        """Expected KL estimate under best-of-n, as :func:`bonkl_fast.kl_estimate_expected`."""
        lv = self._levels
        return _over_unique_n(
            lv,
            n,
            lambda lv, ns: [
                estimate_expected_many(lv.mass, lv.cum, lv.tail, lv.probs_sorted, *lv.spans, ns)
            ],
            value_at_one=(0.0,),
        )[0]

    # -- Monte Carlo and comparison policies (same results as the functions) -------------------
    def sample(self, n, size, *, rng=None, method: str = "inverse") -> np.ndarray:
        """Best-of-n draws (outcome indices), as :func:`bonkl_fast.sample_best_of_n`.

        The same seed gives the same draws as the function on the unsorted input.
        """
        from .sampling import sample_best_of_n

        probs, rewards = self._sorted_input()
        drawn = sample_best_of_n(probs, rewards, n, size, rng=rng, method=method)
        order = self._levels.order
        return drawn if order is None else order[drawn]

    def simulate(self, n, size, *, rng=None, method: str = "inverse", progress: bool = False):
        """Monte Carlo against the exact values, as :func:`bonkl_fast.simulate_best_of_n`."""
        from .simulation import simulate_best_of_n

        probs, rewards = self._sorted_input()
        return simulate_best_of_n(
            probs, rewards, n, size, rng=rng, method=method, progress=progress
        )

    def frontier(self, ns):
        """Best-of-n and the comparison policies at ``ns``, as :func:`bonkl_fast.frontier`."""
        from .policies._frontier import frontier_of_levels

        return frontier_of_levels(self._reward_levels(), ns)

    def rewind_and_repeat(self, alpha) -> np.ndarray:
        """Rewind-and-repeat pmf, as :func:`bonkl_fast.rewind_and_repeat`."""
        from .policies._rewind import _as_alpha, rewind_pmf

        return rewind_pmf(self._levels, _as_alpha(alpha))

    def win_rate_tilt(self, beta) -> np.ndarray:
        """Win-rate tilt pmf, as :func:`bonkl_fast.win_rate_tilt`."""
        from .policies._tilts import _as_beta, tilt_pmf

        return tilt_pmf(self._levels, _as_beta(beta), "win_rate")

    def reward_tilt(self, beta) -> np.ndarray:
        """Reward tilt pmf, as :func:`bonkl_fast.reward_tilt`."""
        from .policies._tilts import _as_beta, tilt_pmf

        checked = _as_beta(beta)
        return tilt_pmf(self._reward_levels(), checked, "reward")

    def soft_best_of_n(self, n, temperature) -> np.ndarray:
        """Soft best-of-n pmf, as :func:`bonkl_fast.soft_best_of_n`."""
        from .policies._soft import soft_parameters, soft_pmf

        n_value, lam = soft_parameters(n, temperature)
        return soft_pmf(self._reward_levels(), n_value, lam)

    def tilt_for_kl(self, kl, kind: str = "win_rate"):
        """Tilt strength reaching ``kl``, as :func:`bonkl_fast.tilt_for_kl`."""
        from .policies._levels import _as_scalar
        from .policies._tilts import _as_kind, beta_for_kl

        kind = _as_kind(kind)
        target = _as_scalar(kl, "kl")
        levels = self._reward_levels() if kind == "reward" else self._levels
        return beta_for_kl(levels, target, kind)

    # -- helpers --------------------------------------------------------------------------------
    def _sorted_input(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted probabilities and the caller's rewards (their own dtype), sorted."""
        return self._probs_sorted, self._raw_rewards_sorted

    def _reward_levels(self):
        """The levels, for the policies that use reward values (the error of the functions
        where float64 cannot tell the rewards apart): validated, sorted and merged once."""
        from .policies._levels import with_reward_values

        return with_reward_values(self._levels, self._rewards_sorted, self._raw_rewards_sorted)

    def _per_outcome(self, n, log_space: bool, name: str) -> np.ndarray:
        flat, _, is_scalar = as_n(n)
        if not is_scalar:
            raise TypeError(f"{name} takes a single n; loop over n or use kl() for many n")
        out = np.empty(self.size)
        kern.outcome_weights(self._rewards_sorted, self._probs_sorted, flat[0], log_space, out)
        return self._levels.to_original(out)


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array
