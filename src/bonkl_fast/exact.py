"""Exact best-of-n pmf, KL and win rate for a discrete reference (MATH §1-5).

Every function validates its input (see :mod:`bonkl_fast._validate`), sorts
the outcomes by reward, merges ties into levels and hands the levels to a
Numba kernel. ``n`` may be any real number >= 1; where a function accepts an
array of ``n`` all values are computed in a single pass over the levels.

This module is the public home of the exact core: it defines the functions of
a reference distribution and re-exports the closed-form bounds and estimator
(:func:`kl_bound`, :func:`win_rate_bound`, :func:`kl_estimate`, defined in
``_bounds.py``) and the comparison of any policy with the reference
(:func:`kl_divergence`, :func:`win_rate_vs_reference`, in ``_vs_reference.py``).
"""

from __future__ import annotations

import numpy as np

from . import _kernels_exact as kern
from ._bounds import kl_bound, kl_estimate, win_rate_bound
from ._kernels_estimate import estimate_expected_many
from ._kernels_sort import stable_argsort
from ._levels import kl_win, prepare_levels, prepare_outcomes
from ._over_n import _over_unique_n
from ._validate import as_n, as_probs_rewards
from ._vs_reference import kl_divergence, win_rate_vs_reference

__all__ = [
    "bon_pmf",
    "bon_logpmf",
    "kl_exact",
    "win_rate",
    "kl_and_win_rate",
    "kl_bound",
    "win_rate_bound",
    "kl_estimate",
    "kl_estimate_expected",
    "kl_saturation",
    "kl_divergence",
    "win_rate_vs_reference",
]


def _per_outcome(probs, rewards, n, log_space, normalize, assume_sorted, name):
    """bon_pmf / bon_logpmf: validate, sort, one kernel pass, back to the caller's order.

    Memory: the inputs, the sort permutation, the sorted pair (freed after the
    kernel) and two outputs; the kernel itself allocates nothing.
    """
    p, r = as_probs_rewards(probs, rewards, normalize=normalize, assume_sorted=assume_sorted)
    flat, _, is_scalar = as_n(n)
    if not is_scalar:
        raise TypeError(f"{name} takes a single n; loop over n or use kl_exact for many n")
    out = np.empty(p.shape[0])
    if assume_sorted:
        kern.outcome_weights(r, p, flat[0], log_space, out)
        return out
    order = stable_argsort(r)
    kern.outcome_weights(r[order], p[order], flat[0], log_space, out)
    result = np.empty_like(out)
    result[order] = out
    return result


def bon_pmf(
    probs, rewards, n, *, normalize: bool = False, assume_sorted: bool = False
) -> np.ndarray:
    """Best-of-n pmf over the outcomes of a discrete reference.

    Parameters
    ----------
    probs : array_like, shape (K,)
        Reference probabilities (float32 accepted, computed in float64).
    rewards : array_like, shape (K,)
        Finite rewards; equal rewards are ties (MATH §1).
    n : float
        Number of draws, any real ``n >= 1``.
    normalize : bool
        Divide ``probs`` by their sum instead of requiring it to be 1.
    assume_sorted : bool
        Promise that ``rewards`` are ascending (checked, in O(K)); skips the sort.

    Returns
    -------
    ndarray, shape (K,)
        ``pi_n(y) = p_y / q_level * (F^n - G^n)``: tied outcomes share their
        level's best-of-n mass in proportion to ``probs``.

    Raises
    ------
    ValueError, TypeError
        For invalid probabilities, rewards or ``n`` (see the module docs).

    Notes
    -----
    Evaluated per MATH §2 without cancellation: relative error about 1e-13
    for entries above 1e-300, for n up to 1e15; smaller entries underflow
    (:func:`bon_logpmf` keeps them). ``n = 1`` returns ``probs``. Cost
    O(K log K) (O(K) with ``assume_sorted``); memory about twice the input
    plus output (no per-level arrays).

    Examples
    --------
    >>> bon_pmf([0.5, 0.5], [0.0, 1.0], 2)
    array([0.25, 0.75])
    >>> bon_pmf([0.25, 0.25, 0.5], [1.0, 0.0, 1.0], 3)  # outcomes 0 and 2 tie
    array([0.328125, 0.015625, 0.65625 ])
    """
    return _per_outcome(probs, rewards, n, False, normalize, assume_sorted, "bon_pmf")


def bon_logpmf(
    probs, rewards, n, *, normalize: bool = False, assume_sorted: bool = False
) -> np.ndarray:
    """Log of the best-of-n pmf, finite wherever ``probs > 0`` (even where the pmf underflows).

    Parameters
    ----------
    probs, rewards, n, normalize, assume_sorted
        As in :func:`bon_pmf`.

    Returns
    -------
    ndarray, shape (K,)
        ``log pi_n(y) = log(p_y / q_level) + log w_level``, ``-inf`` where
        ``probs[y] == 0``; ties as in :func:`bon_pmf`. Subtract ``log(probs)``
        for the per-outcome log-ratio ``log(pi_n(y) / pi(y))``.

    Raises
    ------
    ValueError, TypeError
        For invalid probabilities, rewards or ``n`` (see :func:`bon_pmf`).

    Notes
    -----
    ``log w = n log F + log1mexp(n log(G/F))`` (MATH §2) is a sum of
    non-positive terms, never the log of a rounded ``w``: absolute error
    below 1e-12 x max(1, |value|) for n up to 1e15 and masses down to 1e-300
    (``log(bon_pmf)`` is ``-inf`` once the pmf underflows, around -745).
    Cost O(K log K) (O(K) with ``assume_sorted``).

    Examples
    --------
    >>> bon_logpmf([0.5, 0.5], [0.0, 1.0], 2).round(6)
    array([-1.386294, -0.287682])
    >>> bon_logpmf([0.5, 0.5, 0.0], [0.0, 1.0, 2.0], 2000).round(3)  # pmf[0] = 2**-2000
    array([-1386.294,     0.   ,      -inf])
    """
    return _per_outcome(probs, rewards, n, True, normalize, assume_sorted, "bon_logpmf")


def kl_exact(probs, rewards, n, *, normalize: bool = False, assume_sorted: bool = False):
    """Exact KL(pi_n || pi) of best-of-n from its reference, in nats.

    Parameters
    ----------
    probs, rewards : array_like, shape (K,)
        The reference distribution (see :func:`bon_pmf`).
    n : float or array_like
        Any real ``n >= 1``; an array is computed in one pass over the levels
        (memory O(K + len(n))).
    normalize, assume_sorted : bool
        As in :func:`bon_pmf`.

    Returns
    -------
    float or ndarray
        A float for scalar ``n``, else an array shaped like ``n``.

    Notes
    -----
    ``KL = sum_l w_l log(w_l / q_l)`` with ``w_l = F_l^n - G_l^n`` (MATH §2),
    evaluated stably and summed with Neumaier compensation. Always
    ``0 <= KL <= min(kl_bound(n), kl_saturation)``. ``n = 1`` gives exactly 0.

    Examples
    --------
    >>> round(kl_exact([0.5, 0.5], [0, 1], 2), 12)
    0.130812035941
    >>> kl_exact(np.full(10, 0.1), np.arange(10), [1, 10, 1e6]).round(6)
    array([0.      , 1.361097, 2.302585])
    """
    return kl_and_win_rate(probs, rewards, n, normalize=normalize, assume_sorted=assume_sorted)[0]


def win_rate(probs, rewards, n, *, normalize: bool = False, assume_sorted: bool = False):
    """Win rate of best-of-n against its reference, ties counting 1/2 (MATH §5).

    ``W_n = sum_l w_l (G_l + q_l / 2)``; ``W_1 = 1/2``, ``W_n <= n / (n + 1)``
    and ``W_n -> 1 - p_top / 2``. Arguments and return shape as in :func:`kl_exact`.

    Examples
    --------
    >>> win_rate([0.5, 0.5], [0, 1], [1, 2, 4])
    array([0.5    , 0.625  , 0.71875])
    """
    return kl_and_win_rate(probs, rewards, n, normalize=normalize, assume_sorted=assume_sorted)[1]


def kl_and_win_rate(probs, rewards, n, *, normalize: bool = False, assume_sorted: bool = False):
    """``(kl_exact(...), win_rate(...))`` from one sort and one pass over the levels.

    For callers that need both (the kernel computes both anyway). Arguments and
    return shapes as in :func:`kl_exact`.

    Examples
    --------
    >>> kl, win = kl_and_win_rate([0.5, 0.5], [0, 1], [1, 4])
    >>> kl.round(6), win
    (array([0.      , 0.459356]), array([0.5    , 0.71875]))
    """
    outcomes = prepare_outcomes(probs, rewards, normalize=normalize, assume_sorted=assume_sorted)
    kl, win = _over_unique_n(
        outcomes,
        n,
        lambda rp, ns: kl_win(rp[0], rp[1], ns, is_sorted=assume_sorted),
        value_at_one=(0.0, 0.5),
    )
    return kl, win


def kl_estimate_expected(
    probs, rewards, n, *, normalize: bool = False, assume_sorted: bool = False
):
    """Expected KL estimate ``E_{y ~ pi_n}[kl_estimate(pi(y), n)]`` (MATH §4).

    The expectation, under best-of-n, of the per-sample estimator that users
    compute from sequence log-probabilities. Arguments and return shape as in
    :func:`kl_exact`; cost O(K * len(n)).

    Examples
    --------
    >>> round(kl_estimate_expected([0.9, 0.1], [0, 1], 2), 6)
    0.096024
    """
    levels = prepare_levels(probs, rewards, normalize=normalize, assume_sorted=assume_sorted)
    return _over_unique_n(
        levels,
        n,
        lambda lv, ns: [
            estimate_expected_many(lv.mass, lv.cum, lv.tail, lv.probs_sorted, *lv.spans, ns)
        ],
        value_at_one=(0.0,),
    )[0]


def kl_saturation(probs, rewards, *, normalize: bool = False) -> float:
    """Large-n limit of the best-of-n KL: ``log(1 / p_top)`` (MATH §3).

    ``p_top`` is the mass of the highest-reward level (ties merged; outcomes
    of probability zero never count).

    Examples
    --------
    >>> round(kl_saturation([0.7, 0.2, 0.1], [0, 1, 1]), 6)  # top level mass 0.3
    1.203973
    """
    return prepare_levels(probs, rewards, normalize=normalize).saturation
