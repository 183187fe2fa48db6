"""Provable truncation of negligible low levels (Numba kernels, MATH §10).

For every level at or below one with CDF ``F``, ``w/q <= r = n F^(n-1)``;
once ``r <= 1/e`` all those levels together change the KL by at most
``B(F) = F^n (1 + n |log r|)`` (in either form of the KL sum) and the win rate
by at most ``F^(n+1) <= B(F)``. :func:`log_cut` finds the largest ``log F`` with
``B(F) <= 2^-60 min(lower, 1/2)``, where ``lower`` is a lower bound of the
KL: :func:`partition_kl`, the KL of the two-set partition at a level boundary
(data processing), maximised over the boundaries at hand.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit

# dropped terms may move the sums by at most 2^-60 of (a lower bound of) their value
LOG_MARGIN = -60.0 * math.log(2.0)


@jit
def partition_kl(log_f, tail, n):
    """Preconditions: a level boundary with ``F = e^log_f`` below it and ``S = tail``
    above it (both accurate), n >= 1. ``d(F^n || F)``, the binary KL of best-of-n
    against the reference on {at or below, above}: a lower bound of the KL."""
    if tail <= 0.0 or log_f == -math.inf:
        return 0.0
    low = math.exp(n * log_f)  # F^n: best-of-n mass at or below the boundary
    high = -math.expm1(n * log_f)  # 1 - F^n
    value = low * ((n - 1.0) * log_f)
    if high > 0.0:
        value += high * math.log(high / tail)
    return max(value, 0.0)


@jit
def _log_bound(n, y):
    """log B(e^y) for n > 1, where log r = log n + (n - 1) y <= -1."""
    return n * y + math.log1p(-n * (math.log(n) + (n - 1.0) * y))


@jit
def log_cut(n, lower):
    """Preconditions: n > 1, lower >= 0 a lower bound of the KL at n.

    Largest ``y`` (found by bisection, rounded down) such that dropping every level
    with ``log F <= y`` moves the KL and the win rate by at most
    ``2^-60 min(lower, 1/2)``; -inf if no level may be dropped (MATH §10).
    """
    if not lower > 0.0 or n <= 1.0:
        return -math.inf
    # 1e-6 below, against the rounding of _log_bound (~1e-13 absolute)
    target = math.log(min(lower, 0.5)) + LOG_MARGIN - 1e-6
    # r = n F^(n-1) <= 1/e, with a relative margin against the rounding of high
    high = min(0.0, (-1.0 - math.log(n)) / (n - 1.0) * (1.0 + 2.0**-40))
    if high == -math.inf:
        return -math.inf
    if _log_bound(n, high) <= target:
        return high
    low = min(high, target / n) - 1.0
    for _ in range(2100):  # _log_bound grows by at least n per unit of y
        if _log_bound(n, low) <= target:
            break
        low = 2.0 * low
    else:
        return -math.inf
    for _ in range(200):
        mid = 0.5 * (low + high)
        if mid <= low or mid >= high:
            break
        if _log_bound(n, mid) <= target:
            low = mid
        else:
            high = mid
    return low


@jit
def cuts_for(ns, lower):
    """Preconditions: ns > 1, lower[j] a lower bound of the KL at ns[j]. log_cut per n."""
    out = np.empty(ns.shape[0])
    for j in range(ns.shape[0]):
        out[j] = log_cut(ns[j], lower[j])
    return out
