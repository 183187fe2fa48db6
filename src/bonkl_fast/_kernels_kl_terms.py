"""Per-level terms of the exact best-of-n KL and win rate (Numba kernels, MATH §2, §10, §13).

For one chunk's levels (from :func:`bonkl_fast._kernels_kl.level_logs_from`),
each block writes every kept level's best-of-n mass ``w`` (``w - q`` for n < 2)
and KL term into two arrays, for :func:`bonkl_fast._kernels_kl.term_sums` to add:

* :func:`general_block` (n >= 2, not a small integer): the short series of
  :func:`level_term` for every level in a vectorised loop, then the levels off
  it one by one;
* :func:`integer_block` (n = 2 .. INTEGER_N_MAX): :func:`integer_terms`, the
  products ``w/q = sum_k F^k G^(n-1-k)`` with no exp, stepped over all levels;
* :func:`near_one_block` (1 < n < 2): :func:`near_one_terms`, the terms
  ``q excess(log(w/q))`` that do not cancel near n = 1.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit
from ._kernels_exact import (
    D_SERIES,
    X_SERIES,
    excess,
    log1mexp,
    log_ratio_near_one,
)
from ._vecmath import exp_fast, expm1_fast, log_fast, log_or_log1p

# integer n up to this get w as a sum of positive products instead of an exp (MATH §10)
INTEGER_N_MAX = 8


@jit(inline="always")
def series_log_ratio(n, log_n, log_f, c, s1):
    """Preconditions: q/F <= X_SERIES and |n c| <= D_SERIES. log(w/q) by the short series
    ``(n-1) log F + log n + s1 + log(expm1(d)/d)``, d = n c (no logarithm)."""
    d = n * c
    d2 = d * d
    u = (n - 1.0) * log_f + log_n + s1 + d / 2
    return u + d2 * (1 / 24 + d2 * (-1 / 2880 + d2 * (1 / 181440 - d2 / 9676800)))


@jit
def level_term(n, log_n, q, log_f, c, x, s1, log_q):
    """Preconditions: n >= 2, log_n = log n, F^n does not underflow; c, x, s1, log_q as
    from level_logs_from. Returns (w, w log(w/q)) of one level.

    Short series where ``q/F <= X_SERIES`` and ``|n c| <= D_SERIES``
    (:func:`series_log_ratio`), else ``log w = n log F + log1mexp(n c)`` (MATH §2).
    """
    if x <= X_SERIES and n * c >= -D_SERIES:
        u = series_log_ratio(n, log_n, log_f, c, s1)
        w = q * exp_fast(u)
        return w, w * u
    log_w = n * log_f + log1mexp(n * c)
    w = exp_fast(log_w)
    return w, w * (log_w - log_q)


@jit(inline="always")
def is_small_integer(n):
    """True for n in 2, 3, ..., INTEGER_N_MAX: the path of integer_terms."""
    return n >= 2.0 and n <= INTEGER_N_MAX and n == math.floor(n)


@jit
def integer_terms(n, q, cum, below, tail):
    """Preconditions: n = 2 .. INTEGER_N_MAX an integer, q, F = cum, G = below, S = tail of
    one level. Returns (w, w log(w/q)) without exp (MATH §10).

    ``w/q = h_n = sum_{k<n} F^(n-1-k) G^k`` (positive terms, Horner) and
    ``h_n - 1 = G h_(n-1) - S sum_{j<n-1} F^j`` (accurate factors), so
    ``log(w/q) = log1p(h_n - 1)`` where ``h_n >= 1/2``, else ``log h_n``.
    """
    h_prev = 1.0  # h_1
    f_sum = 1.0  # sum_{j < 1} F^j
    f_pow = 1.0
    g_pow = 1.0
    for _ in range(2, int(n)):
        g_pow *= below
        h_prev = cum * h_prev + g_pow
        f_pow *= cum
        f_sum += f_pow
    h = cum * h_prev + g_pow * below
    if h == 0.0:
        return 0.0, 0.0
    big = h >= 0.5
    u = log_or_log1p(below * h_prev - tail * f_sum if big else h, big)
    w = q * h
    return w, w * u


@jit(inline="always")
def near_one_terms(delta, q, log_f, c):
    """Preconditions: delta = n - 1 in [0, 1), F^n does not underflow, c from level_logs_from.

    Returns ``(q excess(u), q expm1(u))``, u = log(w/q), of one level: the n < 2
    form of the KL term (module docstring) and the excess mass ``w - q`` for the
    win rate ``1/2 + sum (w - q)(G + q/2)`` (no rounding of w near q).
    """
    u = log_ratio_near_one(delta, log_f, c)
    return q * excess(u), q * expm1_fast(u)


@jit
def general_block(n, mass, log_f, c, ratio, s1, log_q, first, weight, term):
    """:func:`level_term` of levels first.. into weight, term: the short series for every
    level in a vectorised loop, then the levels off the series path one by one."""
    log_n = log_fast(n)
    q, lf, cc, s = mass[first:], log_f[first:], c[first:], s1[first:]
    w, t = weight[first:], term[first:]
    for i in range(q.shape[0]):
        u = series_log_ratio(n, log_n, lf[i], cc[i], s[i])
        w[i] = q[i] * exp_fast(u)
        t[i] = w[i] * u
    off = np.empty(mass.shape[0] - first, dtype=np.int64)
    found = 0
    for k in range(first, mass.shape[0]):  # a branch-free scan, then only the levels found
        off[found] = k
        found += not (ratio[k] <= X_SERIES and n * c[k] >= -D_SERIES)
    for k in off[:found]:
        weight[k], term[k] = level_term(
            n, log_n, mass[k], log_f[k], c[k], ratio[k], s1[k], log_q[k]
        )


@jit
def near_one_block(n, mass, log_f, c, first, weight, term):
    """Preconditions: 1 < n < 2. The n < 2 terms of every level into term, and
    ``w - q`` into weight (vectorised): ``q excess(u)`` and ``q expm1(u)``, u = log(w/q)
    (:func:`near_one_terms`); levels below first (dropped) count ``q`` and ``-q``."""
    for k in range(first):
        term[k] = mass[k]
        weight[k] = -mass[k]
    delta = n - 1.0
    q, lf, cc, w, t = mass[first:], log_f[first:], c[first:], weight[first:], term[first:]
    for i in range(q.shape[0]):
        t[i], w[i] = near_one_terms(delta, q[i], lf[i], cc[i])


@jit
def integer_block(n, mass, cum, tail, below, first, weight, term):
    """:func:`integer_terms` of levels first.. into weight, term (n = 2 vectorised)."""
    count = mass.shape[0]
    if first >= count:
        return
    g = cum[first - 1] if first > 0 else below
    weight[first], term[first] = integer_terms(n, mass[first], cum[first], g, tail[first])
    m = count - first - 1
    q, f, s, g = mass[first + 1 :], cum[first + 1 :], tail[first + 1 :], cum[first : count - 1]
    w, t = weight[first + 1 :], term[first + 1 :]
    if n == 2.0:  # h = F + G, h - 1 = G - S
        for i in range(m):
            h = f[i] + g[i]
            big = h >= 0.5
            u = log_or_log1p(g[i] - s[i] if big else h, big)
            wi = q[i] * h
            w[i] = wi
            t[i] = wi * u
        return
    # the loop of integer_terms run step by step over all levels: every loop vectorises
    h_prev, f_sum, f_pow, g_pow = np.ones(m), np.ones(m), np.ones(m), np.ones(m)
    for _ in range(2, int(n)):
        for i in range(m):
            g_pow[i] *= g[i]
            h_prev[i] = f[i] * h_prev[i] + g_pow[i]
        for i in range(m):
            f_pow[i] *= f[i]
            f_sum[i] += f_pow[i]
    for i in range(m):
        h = f[i] * h_prev[i] + g_pow[i] * g[i]
        near = g[i] * h_prev[i] - s[i] * f_sum[i]
        big = h >= 0.5
        u = log_or_log1p(near if big else h, big)
        w[i] = q[i] * h
        t[i] = w[i] * u
