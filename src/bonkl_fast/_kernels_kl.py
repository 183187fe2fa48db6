"""Exact best-of-n KL and win rate per chunk of levels (Numba kernels, MATH §2, §5, §10).

:func:`kl_win_serial` (here) and :func:`bonkl_fast._kernels_kl_parallel.kl_win_above`
take the outcomes sorted by reward and merge levels chunk by chunk (no array
of size K): per chunk ``mass`` (q > 0), ``cum`` (F) and ``tail`` (S = 1 - F),
levels ascending. Each chunk sums the per-level terms of
:mod:`bonkl_fast._kernels_kl_terms` (n >= 2, small integer n, n < 2) with its
own compensated sums; levels whose contribution is provably negligible
(MATH §10) get no logarithm at all.

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
    LANES,
    X_SERIES,
    log1p_neg_small,
    log_cdf,
    log_mass,
    log_ratio,
    merge_lanes,
    neumaier_add,
    two_sum_add,
)
from ._kernels_kl_terms import general_block, integer_block, is_small_integer, near_one_block

# levels per parallel chunk (fixed, so results do not depend on the thread count)
CHUNK = 8192
# a prime: chunk = i * SCATTER mod chunks is a permutation when chunks is not a multiple
SCATTER = 7919
# level boundaries at which kl_win_serial bounds the KL from below (MATH §10)
SERIAL_BOUNDARIES = 64


@jit
def level_logs_from(mass, cum, tail, below, log_g, n_max, start):
    """Preconditions: levels ascending, below = G and log_g = log G under the first level
    (0 and -inf if none), n_max >= the largest n. The n-independent parts of level_term
    for levels ``start..`` (those below are dropped for every n and never read).

    Per level: ``log F``, ``c = log(G/F)``, ``x = q/F``, the series ``s1`` of
    ``log(-log1p(-x) / x)`` (where ``x <= X_SERIES``), ``log q`` (0 where the
    series path serves every n <= n_max) and, for every level, the win score
    ``G + q/2``. With ``start >= len(mass)`` (integer n only) the first five are empty.

    One vectorised pass (views indexed from 0, no calls: MATH §13) gives every
    level its series form; a scalar pass then fixes the levels off the series
    path (``q/F > X_SERIES``: ``c`` by :func:`log_ratio`; not series for every n:
    ``log q``), few where the levels are many.
    """
    count = mass.shape[0]
    beat = np.empty(count)
    if count > 0:
        beat[0] = below + 0.5 * mass[0]
    lower, upper, beat_up = cum[: max(count - 1, 0)], mass[1:], beat[1:]
    for i in range(count - 1):
        beat_up[i] = lower[i] + 0.5 * upper[i]
    size = count if start < count else 0
    log_f, c, ratio = np.empty(size), np.empty(size), np.empty(size)
    s1, log_q = np.empty(size), np.empty(size)
    if size == 0:
        return log_f, c, ratio, s1, log_q, beat
    if start > 0:
        below = cum[start - 1]
        log_g = log_cdf(cum[start - 1], tail[start - 1])
    q, f, s, lf = mass[start:], cum[start:], tail[start:], log_f[start:]
    x_out, s1_out, c_out, lq_out = ratio[start:], s1[start:], c[start:], log_q[start:]
    for i in range(q.shape[0]):
        lf[i] = log_cdf(f[i], s[i])
        x = q[i] / f[i]
        x_out[i] = x
        s1_out[i] = x * (1 / 2 + x * (5 / 24 + x * (1 / 8 + x * (251 / 2880 + x * (19 / 288)))))
        c_out[i] = log1p_neg_small(x)
        lq_out[i] = 0.0
    for k in range(start, count):
        x = ratio[k]
        if x > X_SERIES:
            c[k] = log_ratio(log_f[k], log_g, mass[k], cum[k])
        if not (x <= X_SERIES and n_max * c[k] >= -D_SERIES):
            log_q[k] = log_mass(mass[k], below, tail[k])
        below = cum[k]
        log_g = log_f[k]
    return log_f, c, ratio, s1, log_q, beat


@jit(inline="always")
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
    """Preconditions: one chunk's levels, below and log_g as level_logs_from, ns ascending >= 1,
    log_cuts per n from :mod:`bonkl_fast._kernels_cut` (-inf: keep every level).

    Adds the chunk's KL and W sums into ``out`` (4, m): rows KL, its
    compensation, W, its compensation; for n < 2 the W rows hold ``W - 1/2``
    (see :func:`near_one_terms`). Levels dropped for every n get no logarithm,
    nor any level when every n is a small integer (:func:`integer_terms`).
    Per n the level terms are written to arrays, then summed by term_sums.
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
    weight = np.empty(count)
    term = np.empty(count)
    for j in range(ns.shape[0]):
        n = ns[j]
        first = first_kept(cum, tail, ns[j : j + 1], log_cuts[j : j + 1], start)
        if n < 2.0:
            near_one_block(n, mass, log_f, c, first, weight, term)
            first = 0
        elif is_small_integer(n):
            integer_block(n, mass, cum, tail, below, first, weight, term)
        else:
            general_block(n, mass, log_f, c, ratio, s1, log_q, first, weight, term)
        kl, kl_comp, win, win_comp = term_sums(term, weight, beat, first, count)
        out[0, j] += kl
        out[1, j] += kl_comp
        out[2, j] += win
        out[3, j] += win_comp


@jit
def term_sums(term, weight, beat, lo, hi):
    """``(KL, comp, W, comp)``: compensated sums of term[lo:hi] and of weight * beat over
    lo:hi, in one pass of LANES interleaved TwoSum lanes per sum (vectorised, as
    :func:`bonkl_fast._kernels_exact.lane_sum`), merged in lane order."""
    kl_totals, kl_comps = np.zeros(LANES), np.zeros(LANES)
    win_totals, win_comps = np.zeros(LANES), np.zeros(LANES)
    i = lo
    while i + LANES <= hi:
        t, w, b = term[i : i + LANES], weight[i : i + LANES], beat[i : i + LANES]
        for lane in range(LANES):
            kl_totals[lane], kl_comps[lane] = two_sum_add(kl_totals[lane], kl_comps[lane], t[lane])
            win_totals[lane], win_comps[lane] = two_sum_add(
                win_totals[lane], win_comps[lane], w[lane] * b[lane]
            )
        i += LANES
    kl, kl_comp = merge_lanes(kl_totals, kl_comps)
    win, win_comp = merge_lanes(win_totals, win_comps)
    while i < hi:
        kl, kl_comp = neumaier_add(kl, kl_comp, term[i])
        win, win_comp = neumaier_add(win, win_comp, weight[i] * beat[i])
        i += 1
    return kl, kl_comp, win, win_comp


@jit
def chunk_levels(rewards_sorted, probs_sorted, lo, hi, below, below_comp, above, above_comp):
    """Preconditions: sorted outcomes lo:hi hold whole levels; (below, below_comp) and
    (above, above_comp) are the compensated masses under and over the chunk.

    Returns per positive-mass level of the chunk ``(mass, cum, tail)`` with the
    same Neumaier arithmetic as :func:`bonkl_fast._kernels_levels.merge_levels`.
    A chunk without ties or zero masses (checked by a vectorised count) takes
    ``mass`` as a view of ``probs_sorted``; the forward and reverse sums run in
    one loop (two independent chains the processor overlaps).
    """
    if singleton_levels(rewards_sorted, probs_sorted, lo, hi):
        mass = probs_sorted[lo:hi]
    else:
        mass = merged_masses(rewards_sorted, probs_sorted, lo, hi)
    count = mass.shape[0]
    cum = np.empty(count)
    tail = np.empty(count)
    for k in range(count):
        below, below_comp = neumaier_add(below, below_comp, mass[k])
        cum[k] = below + below_comp
        top = count - 1 - k
        tail[top] = above + above_comp
        above, above_comp = neumaier_add(above, above_comp, mass[top])
    return mass, cum, tail


@jit
def singleton_levels(rewards_sorted, probs_sorted, lo, hi):
    """True if every outcome in lo:hi is a level of its own with positive mass."""
    r, p = rewards_sorted[lo:hi], probs_sorted[lo:hi]
    merged = 0
    for i in range(r.shape[0] - 1):
        merged += (r[i + 1] == r[i]) | (p[i] == 0.0)
    return merged == 0 and (r.shape[0] == 0 or p[r.shape[0] - 1] != 0.0)


@jit
def merged_masses(rewards_sorted, probs_sorted, lo, hi):
    """Compensated mass of each positive-mass level (run of equal rewards) in lo:hi."""
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
    return mass[:count]


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
