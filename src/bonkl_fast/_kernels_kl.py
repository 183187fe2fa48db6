"""Exact best-of-n KL and win rate per chunk of levels (Numba kernels, MATH §2, §5, §10).

:func:`kl_win_serial` (here) and :func:`bonkl_fast._kernels_kl_parallel.kl_win_above`
take the outcomes sorted by reward and merge levels chunk by chunk (no array
of size K): per chunk ``mass`` (q > 0), ``cum`` (F) and ``tail`` (S = 1 - F),
levels ascending. Each chunk sums the per-level terms :func:`level_term`
(n >= 2; :func:`integer_terms` for small integer n) or
:func:`near_one_terms` (n < 2), with its own compensated sums; levels whose
contribution is provably negligible (MATH §10) get no logarithm at all.

For n < 2 the terms ``w log(w/q)`` cancel to O((n-1)^2); there each term is
``q * excess(log(w/q))`` (the same sum since sum w = sum q = 1, every term
>= 0), a dropped level contributes ``q``, and the win rate is summed as
``W - 1/2 = sum (w - q)(G + q/2)`` (so it never rounds above ``n/(n+1)``).
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit
from ._kernels_cut import cuts_for, partition_kl
from ._kernels_exact import (
    D_SERIES,
    EXP_UNDERFLOW,
    X_SERIES,
    excess,
    log1mexp,
    log1p_neg_small,
    log_cdf,
    log_mass,
    log_ratio,
    log_ratio_near_one,
    neumaier_add,
)

# levels per parallel chunk (fixed, so results do not depend on the thread count)
CHUNK = 8192
# a prime: chunk = i * SCATTER mod chunks is a permutation when chunks is not a multiple
SCATTER = 7919
# level boundaries at which kl_win_serial bounds the KL from below (MATH §10)
SERIAL_BOUNDARIES = 64
# integer n up to this get w as a sum of positive products instead of an exp (MATH §10)
INTEGER_N_MAX = 8


@jit
def level_logs(mass, cum, tail, below, log_g, n_max):
    """Preconditions: levels ascending, below = G and log_g = log G under the first level
    (0 and -inf if none), n_max >= the largest n. The n-independent parts of level_term.

    Per level: ``log F``, ``c = log(G/F)``, ``x = q/F``, the series ``s1`` of
    ``log(-log1p(-x) / x)`` (where ``x <= X_SERIES``), ``log q`` (0 where the
    series path serves every n <= n_max) and the win score ``G + q/2``.
    """
    return level_logs_from(mass, cum, tail, below, log_g, n_max, 0)


@jit
def level_logs_from(mass, cum, tail, below, log_g, n_max, start):
    """As level_logs, but levels below ``start`` (dropped for every n) get only their
    win score, and ``log F = -inf``."""
    count = mass.shape[0]
    log_f, c, ratio = np.full(count, -math.inf), np.zeros(count), np.zeros(count)
    s1, log_q, beat = np.zeros(count), np.zeros(count), np.empty(count)
    for k in range(start):
        beat[k] = below + 0.5 * mass[k]
        below = cum[k]
    if start > 0:
        log_g = log_cdf(cum[start - 1], tail[start - 1])
    for k in range(start, count):
        q = mass[k]
        log_f[k] = log_cdf(cum[k], tail[k])
        x = q / cum[k]
        ratio[k] = x
        if x <= X_SERIES:
            c[k] = log1p_neg_small(x)
            s1[k] = x * (1 / 2 + x * (5 / 24 + x * (1 / 8 + x * (251 / 2880 + x * (19 / 288)))))
        else:
            c[k] = log_ratio(log_f[k], log_g, q, cum[k])
        series_always = x <= X_SERIES and n_max * c[k] >= -D_SERIES
        log_q[k] = 0.0 if series_always else log_mass(q, below, tail[k])
        beat[k] = below + 0.5 * q
        below = cum[k]
        log_g = log_f[k]
    return log_f, c, ratio, s1, log_q, beat


@jit
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
    from level_logs. Returns (w, w log(w/q)) of one level.

    Short series where ``q/F <= X_SERIES`` and ``|n c| <= D_SERIES``
    (:func:`series_log_ratio`), else ``log w = n log F + log1mexp(n c)`` (MATH §2).
    """
    if x <= X_SERIES and n * c >= -D_SERIES:
        u = series_log_ratio(n, log_n, log_f, c, s1)
        w = q * math.exp(u)
        return w, w * u
    log_w = n * log_f + log1mexp(n * c)
    w = math.exp(log_w)
    return w, w * (log_w - log_q)


@jit
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
    u = math.log1p(below * h_prev - tail * f_sum) if h >= 0.5 else math.log(h)
    w = q * h
    return w, w * u


@jit
def near_one_terms(n, q, log_f, c):
    """Preconditions: 1 <= n < 2, F^n does not underflow, c from level_logs.

    Returns ``(w, q excess(log(w/q)), w - q)`` of one level: the n < 2 form of
    the KL term (module docstring) and the excess mass ``q expm1(log(w/q))``
    for the win rate ``1/2 + sum (w - q)(G + q/2)`` (no rounding of w near q).
    """
    w = math.exp(n * log_f + log1mexp(n * c))
    u = log_ratio_near_one(n - 1.0, log_f, c)
    term = q * excess(u) if abs(u) < 0.1 else w * u - (w - q)
    return w, term, q * math.expm1(u)


@jit
def level_term_near_one(n, q, log_f, c):
    """Preconditions: 1 <= n < 2, F^n does not underflow, c from level_logs.
    Returns (w, q excess(log(w/q))) of one level (see near_one_terms)."""
    w, term, _ = near_one_terms(n, q, log_f, c)
    return w, term


@jit
def dropped(log_f, n, log_cut):
    """True if a level with this log F is left out of the sums at n: F^n underflows,
    or log F <= log_cut (MATH §10)."""
    return log_f < EXP_UNDERFLOW / n or log_f <= log_cut


@jit
def dropped_for_all(log_f, ns, log_cuts):
    """True if a level with this log F is left out for every n."""
    for j in range(ns.shape[0]):
        if not dropped(log_f, ns[j], log_cuts[j]):
            return False
    return True


@jit
def first_kept(cum, tail, ns, log_cuts, start):
    """Preconditions: levels ascending, levels below start dropped for all ns.
    First level not dropped for every n in ns (binary search over start..)."""
    lo, hi = start, cum.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        if dropped_for_all(log_cdf(cum[mid], tail[mid]), ns, log_cuts):
            lo = mid + 1
        else:
            hi = mid
    return lo


@jit
def chunk_terms(mass, cum, tail, below, log_g, ns, log_cuts, out):
    """Preconditions: one chunk's levels, below and log_g as level_logs, ns ascending >= 1,
    log_cuts per n from :mod:`bonkl_fast._kernels_cut` (-inf: keep every level).

    Adds the chunk's KL and W sums into ``out`` (4, m): rows KL, its
    compensation, W, its compensation; for n < 2 the W rows hold ``W - 1/2``
    (see :func:`near_one_terms`). Levels dropped for every n get no logarithm,
    nor any level when every n is a small integer (:func:`integer_terms`).
    """
    count = mass.shape[0]
    start = first_kept(cum, tail, ns, log_cuts, 0)
    logs_from = count
    for j in range(ns.shape[0]):
        if not is_small_integer(ns[j]):
            logs_from = start
    log_f, c, ratio, s1, log_q, beat = level_logs_from(
        mass, cum, tail, below, log_g, ns[-1], logs_from
    )
    for j in range(ns.shape[0]):
        n = ns[j]
        log_n = math.log(n)
        first = first_kept(cum, tail, ns[j : j + 1], log_cuts[j : j + 1], start)
        kl, kl_comp, win, win_comp = 0.0, 0.0, 0.0, 0.0
        for k in range(first, count):
            if n < 2.0:
                _, term, w = near_one_terms(n, mass[k], log_f[k], c[k])  # w: w - q
            elif is_small_integer(n):
                g = cum[k - 1] if k > 0 else below
                w, term = integer_terms(n, mass[k], cum[k], g, tail[k])
            else:
                w, term = level_term(n, log_n, mass[k], log_f[k], c[k], ratio[k], s1[k], log_q[k])
            kl, kl_comp = neumaier_add(kl, kl_comp, term)
            win, win_comp = neumaier_add(win, win_comp, w * beat[k])
        if n < 2.0:
            for k in range(first):  # dropped: the n < 2 forms count q and -q (G + q/2)
                kl, kl_comp = neumaier_add(kl, kl_comp, mass[k])
                win, win_comp = neumaier_add(win, win_comp, -mass[k] * beat[k])
        out[0, j] += kl
        out[1, j] += kl_comp
        out[2, j] += win
        out[3, j] += win_comp


@jit
def chunk_levels(rewards_sorted, probs_sorted, lo, hi, below, below_comp, above, above_comp):
    """Preconditions: sorted outcomes lo:hi hold whole levels; (below, below_comp) and
    (above, above_comp) are the compensated masses under and over the chunk.

    Returns per positive-mass level of the chunk ``(mass, cum, tail)`` with the
    same Neumaier arithmetic as :func:`bonkl_fast._kernels_levels.merge_levels`.
    """
    mass = np.empty(hi - lo)
    count = 0
    i = lo
    while i < hi:
        total = probs_sorted[i]
        j = i + 1
        if j < hi and rewards_sorted[j] == rewards_sorted[i]:
            total, comp, j = 0.0, 0.0, i
            while j < hi and rewards_sorted[j] == rewards_sorted[i]:
                total, comp = neumaier_add(total, comp, probs_sorted[j])
                j += 1
            total += comp
        if total > 0.0:
            mass[count] = total
            count += 1
        i = j
    mass = mass[:count]
    cum = np.empty(count)
    tail = np.empty(count)
    for k in range(count):
        below, below_comp = neumaier_add(below, below_comp, mass[k])
        cum[k] = below + below_comp
    for k in range(count - 1, -1, -1):
        tail[k] = above + above_comp
        above, above_comp = neumaier_add(above, above_comp, mass[k])
    return mass, cum, tail


@jit
def finish(sums, ns):
    """Preconditions: sums (4, m) from chunk_terms rows merged. (KL, W) per n, the
    n < 2 win rows shifted back by 1/2."""
    kl = sums[0] + sums[1]
    win = sums[2] + sums[3]
    for j in range(ns.shape[0]):
        if ns[j] < 2.0:
            win[j] += 0.5
    return kl, win


@jit
def kl_win_serial(rewards_sorted, probs_sorted, ns):
    """Preconditions: rewards ascending, probs >= 0 summing to 1, ns ascending >= 1.

    (KL, W) per n in one chunk, serially: for small K, where a parallel launch
    costs more than it saves (and compiling the parallel kernel is not needed).
    Levels below the cut of MATH §10 get no logarithm (the KL bounded from below at
    up to SERIAL_BOUNDARIES level boundaries).
    """
    sums = np.zeros((4, ns.shape[0]))
    mass, cum, tail = chunk_levels(
        rewards_sorted, probs_sorted, 0, rewards_sorted.shape[0], 0.0, 0.0, 0.0, 0.0
    )
    lower = np.zeros(ns.shape[0])
    stride = max(1, mass.shape[0] // SERIAL_BOUNDARIES)
    for k in range(stride - 1, mass.shape[0] - 1, stride):
        log_f = log_cdf(cum[k], tail[k])
        for j in range(ns.shape[0]):
            lower[j] = max(lower[j], partition_kl(log_f, tail[k], ns[j]))
    chunk_terms(mass, cum, tail, 0.0, -math.inf, ns, cuts_for(ns, lower), sums)
    return finish(sums, ns)
