"""Exact best-of-n KL and win rate, chunked and parallel (Numba kernels, MATH §2, §5).

:func:`kl_win_serial` and :func:`kl_win_parallel` take the outcomes sorted by
reward and merge levels chunk by chunk (no array of size K): per chunk ``mass`` (q > 0), ``cum`` (F)
and ``tail`` (S = 1 - F), levels ascending. Each chunk sums the per-level
terms :func:`level_term` (n >= 2) or :func:`level_term_near_one` (n < 2), also
used by :mod:`bonkl_fast._kernels_policies`, with its own compensated sums;
chunks are merged serially in chunk order (deterministic whatever the thread
count).

For n < 2 the terms ``w log(w/q)`` cancel to O((n-1)^2); there each term is
``q * excess(log(w/q))`` (the same sum since sum w = sum q = 1, every term
>= 0), and a level whose ``F^n`` underflows contributes ``q``.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit, jit_parallel, prange
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


@jit
def level_logs(mass, cum, tail, below, log_g, n_max):
    """Preconditions: levels ascending, below = G and log_g = log G under the first level
    (0 and -inf if none), n_max >= the largest n. The n-independent parts of level_term.

    Per level: ``log F``, ``c = log(G/F)``, ``x = q/F``, the series ``s1`` of
    ``log(-log1p(-x) / x)`` (where ``x <= X_SERIES``), ``log q`` (0 where the
    series path serves every n <= n_max) and the win score ``G + q/2``.
    """
    count = mass.shape[0]
    log_f, c, ratio = np.empty(count), np.empty(count), np.empty(count)
    s1, log_q, beat = np.zeros(count), np.empty(count), np.empty(count)
    for k in range(count):
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
def level_term(n, log_n, q, log_f, c, x, s1, log_q):
    """Preconditions: n >= 2, log_n = log n, F^n does not underflow; c, x, s1, log_q as
    from level_logs. Returns (w, w log(w/q)) of one level.

    Short series where ``q/F <= X_SERIES`` and ``|n c| <= D_SERIES``
    (``log(w/q) = (n-1) log F + log n + s1 + log(expm1(d)/d)``, no further
    logarithm), else ``log w = n log F + log1mexp(n c)`` (MATH §2).
    """
    d = n * c
    if x <= X_SERIES and d >= -D_SERIES:
        d2 = d * d
        u = (n - 1.0) * log_f + log_n + s1 + d / 2
        u += d2 * (1 / 24 + d2 * (-1 / 2880 + d2 * (1 / 181440 - d2 / 9676800)))
        w = q * math.exp(u)
        return w, w * u
    log_w = n * log_f + log1mexp(d)
    w = math.exp(log_w)
    return w, w * (log_w - log_q)


@jit
def level_term_near_one(n, q, log_f, c):
    """Preconditions: 1 <= n < 2, F^n does not underflow, c from level_logs.

    Returns (w, q excess(log(w/q))) of one level: the n < 2 form of the KL
    term (see the module docstring), with ``log(w/q)`` from log_ratio_near_one.
    """
    w = math.exp(n * log_f + log1mexp(n * c))
    u = log_ratio_near_one(n - 1.0, log_f, c)
    return w, q * excess(u) if abs(u) < 0.1 else w * u - (w - q)


@jit
def chunk_terms(mass, cum, tail, below, log_g, ns, out):
    """Preconditions: one chunk's levels, below and log_g as level_logs, ns ascending >= 1.

    Adds the chunk's KL and W sums into ``out`` (4, m): rows KL, its
    compensation, W, its compensation. The loop over n is outside the levels
    (per-level logs computed once, sums kept in registers).
    """
    log_f, c, ratio, s1, log_q, beat = level_logs(mass, cum, tail, below, log_g, ns[-1])
    for j in range(ns.shape[0]):
        n = ns[j]
        log_n = math.log(n)
        first = np.searchsorted(log_f, EXP_UNDERFLOW / n)  # F^n underflows below it
        kl, kl_comp, win, win_comp = 0.0, 0.0, 0.0, 0.0
        for k in range(first, mass.shape[0]):
            if n >= 2.0:
                w, term = level_term(n, log_n, mass[k], log_f[k], c[k], ratio[k], s1[k], log_q[k])
            else:
                w, term = level_term_near_one(n, mass[k], log_f[k], c[k])
            kl, kl_comp = neumaier_add(kl, kl_comp, term)
            win, win_comp = neumaier_add(win, win_comp, w * beat[k])
        if n < 2.0:
            for k in range(first):  # w = 0: the n < 2 form counts q
                kl, kl_comp = neumaier_add(kl, kl_comp, mass[k])
        out[0, j] += kl
        out[1, j] += kl_comp
        out[2, j] += win
        out[3, j] += win_comp


@jit
def merge_parts(parts):
    """Preconditions: parts (chunks, 4, m) from chunk_terms. (KL, W), summed in chunk order."""
    chunks, _, m = parts.shape
    kl = np.zeros(m)
    win = np.zeros(m)
    for j in range(m):
        kl_sum, kl_comp, win_sum, win_comp = 0.0, 0.0, 0.0, 0.0
        for chunk in range(chunks):
            kl_sum, kl_comp = neumaier_add(kl_sum, kl_comp, parts[chunk, 0, j])
            kl_sum, kl_comp = neumaier_add(kl_sum, kl_comp, parts[chunk, 1, j])
            win_sum, win_comp = neumaier_add(win_sum, win_comp, parts[chunk, 2, j])
            win_sum, win_comp = neumaier_add(win_sum, win_comp, parts[chunk, 3, j])
        kl[j] = kl_sum + kl_comp
        win[j] = win_sum + win_comp
    return kl, win


@jit
def chunk_bounds(rewards_sorted, chunks):
    """Preconditions: rewards ascending. Chunk starts near multiples of CHUNK, moved up
    so that no level (run of equal rewards) straddles two chunks."""
    size = rewards_sorted.shape[0]
    bounds = np.empty(chunks + 1, dtype=np.int64)
    bounds[0] = 0
    bounds[chunks] = size
    for chunk in range(1, chunks):
        b = max(chunk * CHUNK, bounds[chunk - 1])
        while 0 < b < size and rewards_sorted[b] == rewards_sorted[b - 1]:
            b += 1
        bounds[chunk] = b
    return bounds


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
def chunk_sums(rewards_sorted, probs_sorted, bounds):
    """Preconditions: as chunk_levels. Compensated probability mass of every chunk."""
    chunks = bounds.shape[0] - 1
    sums = np.zeros((chunks, 2))
    for chunk in range(chunks):
        total, comp = 0.0, 0.0
        for i in range(bounds[chunk], bounds[chunk + 1]):
            total, comp = neumaier_add(total, comp, probs_sorted[i])
        sums[chunk, 0] = total
        sums[chunk, 1] = comp
    return sums


@jit
def chunk_offsets(masses):
    """Preconditions: masses (chunks, 2) from chunk_sums. Compensated mass (total,
    compensation) below each chunk and above it, two (chunks, 2) arrays."""
    chunks = masses.shape[0]
    under = np.zeros((chunks, 2))
    over = np.zeros((chunks, 2))
    total, comp = 0.0, 0.0
    for chunk in range(chunks):
        under[chunk, 0], under[chunk, 1] = total, comp
        total, comp = neumaier_add(total, comp, masses[chunk, 0])
        total, comp = neumaier_add(total, comp, masses[chunk, 1])
    total, comp = 0.0, 0.0
    for chunk in range(chunks - 1, -1, -1):
        over[chunk, 0], over[chunk, 1] = total, comp
        total, comp = neumaier_add(total, comp, masses[chunk, 0])
        total, comp = neumaier_add(total, comp, masses[chunk, 1])
    return under, over


@jit_parallel
def kl_win_sorted_chunks(rewards_sorted, probs_sorted, ns, bounds):
    """Preconditions: rewards ascending, probs >= 0 summing to 1, ns ascending >= 1.

    Per-chunk (KL, W) partial sums (chunks, 4, m): levels merged, their forward
    and reverse sums and the terms computed chunk by chunk in parallel, with no
    array of size K. Chunks are fixed by the data, not the thread count.
    """
    chunks = bounds.shape[0] - 1
    masses = chunk_sums(rewards_sorted, probs_sorted, bounds)
    under, over = chunk_offsets(masses)
    parts = np.zeros((chunks, 4, ns.shape[0]))
    stride = SCATTER if chunks % SCATTER else 1
    for i in prange(chunks):
        # prange hands each thread a contiguous block of i; visiting the chunks in a
        # scattered order balances the threads when whole runs of low chunks underflow
        chunk = (i * stride) % chunks
        below = under[chunk, 0] + under[chunk, 1]
        mass, cum, tail = chunk_levels(
            rewards_sorted,
            probs_sorted,
            bounds[chunk],
            bounds[chunk + 1],
            under[chunk, 0],
            under[chunk, 1],
            over[chunk, 0],
            over[chunk, 1],
        )
        if mass.shape[0] == 0:
            continue
        if ns[0] >= 2.0 and ns[0] * log_cdf(cum[-1], tail[-1]) < EXP_UNDERFLOW:
            continue  # every level of the chunk underflows for every n
        if below > 0.0:
            rest = masses[chunk, 0] + (masses[chunk, 1] + over[chunk, 0] + over[chunk, 1])
            log_g = log_cdf(below, rest)
        else:
            log_g = -math.inf
        chunk_terms(mass, cum, tail, below, log_g, ns, parts[chunk])
    return parts


@jit
def kl_win_serial(rewards_sorted, probs_sorted, ns):
    """Preconditions: rewards ascending, probs >= 0 summing to 1, ns ascending >= 1.

    (KL, W) per n in one chunk, serially: for K <= CHUNK, where a parallel launch
    costs more than it saves (and compiling the parallel kernel is not needed).
    """
    parts = np.zeros((1, 4, ns.shape[0]))
    mass, cum, tail = chunk_levels(
        rewards_sorted, probs_sorted, 0, rewards_sorted.shape[0], 0.0, 0.0, 0.0, 0.0
    )
    chunk_terms(mass, cum, tail, 0.0, -math.inf, ns, parts[0])
    return merge_parts(parts)


@jit
def kl_win_parallel(rewards_sorted, probs_sorted, ns):
    """Preconditions: as kl_win_serial. (KL, W) per n over chunks of CHUNK levels in parallel."""
    chunks = (rewards_sorted.shape[0] + CHUNK - 1) // CHUNK
    bounds = chunk_bounds(rewards_sorted, chunks)
    return merge_parts(kl_win_sorted_chunks(rewards_sorted, probs_sorted, ns, bounds))
