"""Numba-compiled best-of-n functions, callable from Python and from your own ``@numba.njit`` code.

The public functions of :mod:`bonkl_fast` validate their input, sort it and
return NumPy arrays; Numba cannot call them. The functions here are the
package's own kernels (thin compiled wrappers around the code those public
functions run, not copies), so inside a compiled loop you get exactly the
numbers ``bonkl_fast`` gives::

    import numba
    import numpy as np
    from bonkl_fast import kernels

    @numba.njit
    def kl_per_prompt(probs, rewards, n):        # rows sorted by reward
        out = np.empty(probs.shape[0])
        for i in range(probs.shape[0]):
            out[i] = kernels.kl_exact_sorted(probs[i], rewards[i], n)
        return out

**The caller checks the input; nothing here does** (beyond array lengths).
Arrays are 1-D float64; ``rewards`` ascending (equal rewards adjacent: they
are one level); ``probs`` non-negative and summing to 1 (within rounding);
``n`` a number >= 1; ``eps`` in (0, 1]. On other input the result is a
meaningless number, not an error: unsorted rewards are merged into the wrong
levels, probabilities not summing to 1 are not renormalized, NaN or negative
input gives arbitrary values. Arrays of different lengths raise
``ValueError`` (so nothing reads or writes outside an array). Validate once in
Python (the public functions do it, e.g. :func:`bonkl_fast.kl_exact` on one
row) and call these in the hot loop. Every function is serial (safe inside
your ``prange`` loops and from several threads) and releases the GIL.

``kl_exact_sorted`` and ``win_rate_sorted`` are bit-identical to
:func:`bonkl_fast.kl_exact` and :func:`bonkl_fast.win_rate` up to 131072
outcomes; beyond that the public functions sum in parallel chunks and may
differ in the last bit or two.
"""

from __future__ import annotations

import numpy as np

from . import _kernels_exact as _exact
from ._jit import jit
from ._kernels_kl import kl_win_serial

__all__ = [
    "kl_bound",
    "kl_estimate",
    "log1mexp",
    "kl_exact_sorted",
    "win_rate_sorted",
    "bon_pmf_sorted",
    "bon_logpmf_sorted",
]


@jit
def kl_bound(n):
    """Folklore best-of-n KL ``log n - (n - 1) / n`` for one ``n >= 1`` (MATH §3).

    Same value as :func:`bonkl_fast.kl_bound`.

    Examples
    --------
    >>> round(kl_bound(1000.0), 12)
    5.908755278982
    """
    return _exact.kl_bound_scalar(float(n))


@jit
def kl_estimate(eps, n):
    """The KL estimator of MATH §4 for one ``eps`` in (0, 1] and one ``n >= 1``.

    Same value as :func:`bonkl_fast.kl_estimate`.

    Examples
    --------
    >>> round(kl_estimate(0.5, 2.0), 12)
    0.179098831081
    """
    return _exact.kl_estimate_scalar(float(eps), float(n))


@jit
def log1mexp(x):
    """``log(1 - exp(x))`` for ``x <= 0``, accurate everywhere (two branches, MATH §2).

    ``-inf`` at ``x = 0``, ``0`` at ``x = -inf``; ``x > 0`` gives NaN.

    Examples
    --------
    >>> log1mexp(-1e-20), log1mexp(-800.0)
    (-46.051701859880914, -0.0)
    """
    return _exact.log1mexp(float(x))


@jit
def _check_lengths(probs, other):
    if probs.shape[0] != other.shape[0]:
        raise ValueError("probs, rewards (and out) must have the same length")


@jit
def _kl_and_win(probs, rewards, n):
    _check_lengths(probs, rewards)
    ns = np.empty(1)
    ns[0] = n
    kl, win = kl_win_serial(rewards, probs, ns)
    return kl[0], win[0]


@jit
def kl_exact_sorted(probs, rewards, n):
    """Exact KL(pi_n || pi) of best-of-n (MATH §2), rewards sorted ascending.

    Same value as ``bonkl_fast.kl_exact(probs, rewards, n, assume_sorted=True)``
    (see the module docstring for what the caller checks). Cost O(K).

    Examples
    --------
    >>> round(kl_exact_sorted(np.array([0.5, 0.5]), np.array([0.0, 1.0]), 2.0), 12)
    0.130812035941
    """
    if n == 1.0:
        return 0.0
    return _kl_and_win(probs, rewards, n)[0]


@jit
def win_rate_sorted(probs, rewards, n):
    """Win rate of best-of-n against its reference, ties 1/2 (MATH §5), rewards sorted.

    Same value as ``bonkl_fast.win_rate(probs, rewards, n, assume_sorted=True)``.

    Examples
    --------
    >>> win_rate_sorted(np.array([0.5, 0.5]), np.array([0.0, 1.0]), 4.0)
    0.71875
    """
    if n == 1.0:
        return 0.5
    return _kl_and_win(probs, rewards, n)[1]


@jit
def bon_pmf_sorted(probs, rewards, n, out):
    """Best-of-n pmf of every outcome into ``out`` (same length), rewards sorted; returns ``out``.

    Same values as ``bonkl_fast.bon_pmf(probs, rewards, n, assume_sorted=True)``.
    Allocates nothing.

    Examples
    --------
    >>> bon_pmf_sorted(np.array([0.5, 0.5]), np.array([0.0, 1.0]), 2.0, np.empty(2))
    array([0.25, 0.75])
    """
    _check_lengths(probs, rewards)
    _check_lengths(probs, out)
    _exact.outcome_weights(rewards, probs, float(n), False, out)
    return out


@jit
def bon_logpmf_sorted(probs, rewards, n, out):
    """``log pi_n(y)`` of every outcome into ``out`` (same length), rewards sorted; returns ``out``.

    Same values as ``bonkl_fast.bon_logpmf(probs, rewards, n, assume_sorted=True)``:
    finite wherever ``probs > 0``, ``-inf`` where ``probs == 0``. Allocates nothing.

    Examples
    --------
    >>> bon_logpmf_sorted(np.array([0.5, 0.5]), np.array([0.0, 1.0]), 2000.0, np.empty(2))
    array([-1386.29436112,     0.        ])
    """
    _check_lengths(probs, rewards)
    _check_lengths(probs, out)
    _exact.outcome_weights(rewards, probs, float(n), True, out)
    return out
