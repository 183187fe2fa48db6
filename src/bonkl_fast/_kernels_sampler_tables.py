"""Tables the best-of-n samplers build once per call (Numba, MATH §6): O(K) loops.

Best-of-n tails and guide tables to search them, per-level log ratios and
per-outcome estimator values for the simulation, and the per-level picks. The
draws themselves are in :mod:`bonkl_fast._kernels_sampling`.
"""

from __future__ import annotations

import math

import numpy as np

from . import _kernels_exact as kex
from ._jit import jit
from ._kernels_levels import level_span


@jit
def best_of_n_tails(cum, tail, n, out):
    """Preconditions: levels' F = cum and S = tail = 1 - F accurate, n >= 1, out as long
    (may be ``cum`` itself). Writes 1 - F**n per level into ``out``.

    ``-expm1(n * log F)`` with ``log F = log1p(-S)`` where F > 1/2: full relative
    precision of the best-of-n tail at any n (MATH §6); exactly 0 at the top level.
    """
    for level in range(cum.shape[0]):
        out[level] = -math.expm1(n * kex.log_cdf(cum[level], tail[level]))
    return out


@jit
def level_log_ratios(mass, cum, tail, n):
    """Preconditions: levels as in _kernels_exact, n >= 1. log(w / q) per level (MATH §2).

    ``log w = n log F + log1mexp(n log(G/F))`` and ``log q`` from the accurate
    sums, the same terms the exact KL kernel sums, so the Monte Carlo mean
    and the exact KL differ only by sampling noise. Vectorised loops, as
    :func:`bonkl_fast._kernels_exact.level_weights`.
    """
    count = mass.shape[0]
    log_f = kex.log_cdfs(cum, tail)
    out = np.empty(count)
    if count == 0:
        return out
    out[0] = n * log_f[0] - kex.log_mass(mass[0], 0.0, tail[0])  # G = 0: log1mexp(-inf) = 0
    lf, lg, q, f, g, s = (
        log_f[1:],
        log_f[: count - 1],
        mass[1:],
        cum[1:],
        cum[: count - 1],
        tail[1:],
    )
    o = out[1:]
    for i in range(count - 1):
        log_w = kex.level_log_weight(n, lf[i], lg[i], q[i], f[i])
        o[i] = log_w - kex.log_mass(q[i], g[i], s[i])
    return out


@jit
def build_guide(tails, buckets):
    """Preconditions: tails non-increasing, tails[-1] = 0, buckets a power of 2.

    ``guide[b]`` = lowest level with ``tails <= b / buckets``, b = 0..buckets
    (Chen & Asau's guide table): a draw u in bucket b lies in levels
    ``guide[b+1] .. guide[b]``.
    """
    guide = np.empty(buckets + 1, dtype=np.int64)
    level = tails.shape[0] - 1
    for b in range(buckets + 1):
        x = b / buckets
        while level > 0 and tails[level - 1] <= x:
            level -= 1
        guide[b] = level
    return guide


@jit
def level_cumsums(probs_sorted, start, stop):
    """Preconditions: start/stop level ranges into probs_sorted. Inclusive sums within levels
    (0 for outcomes of no level)."""
    out = np.zeros(probs_sorted.shape[0])
    for level in range(start.shape[0]):
        total = 0.0
        for i in range(start[level], stop[level]):
            total += probs_sorted[i]
            out[i] = total
    return out


@jit
def single_outcomes(probs_sorted, start, stop, out):
    """Preconditions: start/stop level ranges into probs_sorted, out int64 as long as start.

    Writes per level the sorted index of its only outcome of positive probability,
    -1 if several.
    """
    out[:] = -1
    for level in range(start.shape[0]):
        count = 0
        for i in range(start[level], stop[level]):
            if probs_sorted[i] > 0.0:
                count += 1
                out[level] = i
        if count > 1:
            out[level] = -1
    return out


@jit
def outcome_estimates(probs_sorted, start, stop, cum, tail, n):
    """Preconditions: levels as in Levels (start = stop = None: one outcome per level),
    n >= 1. kl_estimate(pi(y), n) per sorted outcome.

    0 where pi(y) = 0. As in the exact expectation, ``1 - p`` of an outcome with
    ``p >= 1/2`` is summed from the other masses rather than rounded from ``p``.
    """
    out = np.zeros(probs_sorted.shape[0])
    below = 0.0
    for level in range(cum.shape[0]):
        lo, hi = level_span(start, stop, level)
        for i in range(lo, hi):
            p = probs_sorted[i]
            if p >= 0.5:
                left = kex.run_mass(probs_sorted, lo, i) if i > lo else 0.0
                right = kex.run_mass(probs_sorted, i + 1, hi) if i + 1 < hi else 0.0
                out[i] = kex.kl_estimate_complement(p, below + tail[level] + left + right, n)
            elif p > 0.0:
                out[i] = kex.kl_estimate_scalar(p, n)
        below = cum[level]
    return out


@jit
def fill_identity(out):
    """Preconditions: out int64. Writes ``out[i] = i`` (the picks of one-outcome levels)."""
    for i in range(out.shape[0]):
        out[i] = i


@jit
def spread_sums(mass, cum, tail, reward, probs_sorted, start, stop, level_kl, estimate, exact, n):
    """Preconditions: levels as in outcome_estimates, per-level ``level_kl``, per-outcome
    ``estimate``, ``exact`` the 4 exact means, n >= 1. Per-draw variances under best-of-n.

    Compensated sums of ``w_l (x_l - exact)**2`` over levels (per outcome for the
    estimator), ``w_l`` as in ``level_weights``; the win score's variance within a
    level is ``G (S + q/2)**2 + q (1/2 - m)**2 + S m**2`` with ``m = G + q/2``. O(1) memory.
    """
    total = np.zeros(4)
    comp = np.zeros(4)
    below = 0.0
    log_g = -math.inf
    for level in range(mass.shape[0]):
        q, s = mass[level], tail[level]
        log_f = kex.log_cdf(cum[level], s)
        w = 0.0
        if n * log_f >= kex.EXP_UNDERFLOW:
            w = math.exp(kex.level_log_weight(n, log_f, log_g, q, cum[level]))
        m = below + q / 2
        within = below * (s + q / 2) ** 2 + q * (0.5 - m) ** 2 + s * m**2
        terms = (
            w * (level_kl[level] - exact[0]) ** 2,
            w * (within + (m - exact[1]) ** 2),
            w * (reward[level] - exact[2]) ** 2,
        )
        for k in range(3):
            total[k], comp[k] = kex.neumaier_add(total[k], comp[k], terms[k])
        scale = w / q
        lo, hi = level_span(start, stop, level)
        for i in range(lo, hi):
            term = probs_sorted[i] * scale * (estimate[i] - exact[3]) ** 2
            total[3], comp[3] = kex.neumaier_add(total[3], comp[3], term)
        below = cum[level]
        log_g = log_f
    return total + comp


@jit
def map_indices(pick, index_map):
    """Preconditions: pick[l] in [-1, len(index_map)). In place: index_map[pick], -1 kept."""
    for level in range(pick.shape[0]):
        if pick[level] >= 0:
            pick[level] = index_map[pick[level]]
