"""Best-of-n and soft best-of-n sums over merged reward levels (Numba kernels, MATH §8).

:func:`bon_summary_many` gives best-of-n's KL, win rate and expected reward for
the frontier; :func:`soft_bon_level_masses` the mass soft best-of-n puts on each
level. Levels as in :class:`bonkl_fast._levels.Levels` (``mass`` q > 0, ``cum`` F,
``tail`` S, ascending in reward).
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit
from .._kernels_exact import lane_sum, level_weights, neumaier_add
from .._kernels_kl import chunk_terms, finish


@jit
def bon_summary_many(mass, cum, tail, reward, ns):
    """Preconditions: levels ascending and merged, ns ascending >= 1.

    Returns best-of-n ``(KL, win rate, expected reward)`` per n: the KL and win
    rate from the core's :func:`bonkl_fast._kernels_kl.chunk_terms` (the sums of
    :func:`bonkl_fast.kl_exact` and :func:`bonkl_fast.win_rate`, without the
    truncation of MATH §10), the expected reward ``sum_l w_l r_l`` with ``w_l``
    from :func:`bonkl_fast._kernels_exact.level_weights`.
    """
    m = ns.shape[0]
    sums = np.zeros((4, m))
    chunk_terms(mass, cum, tail, 0.0, -math.inf, ns, np.full(m, -math.inf), sums)
    kl, win = finish(sums, ns)
    out = np.empty((3, m))
    for j in range(m):
        out[0, j], out[1, j] = kl[j], win[j]
        weighted = level_weights(mass, cum, tail, ns[j]) * reward
        expected, comp, _ = lane_sum(weighted, 0, mass.shape[0])
        out[2, j] = expected + comp
    return out


@jit
def soft_bon_level_masses(log_e, mass, n, nodes, weights):
    """Preconditions: log_e ascending <= 0, mass > 0 summing to 1, n > 1, nodes ascending.

    Level mass of soft best-of-n (MATH §8) with ``t = e^s``, ``x_l = t e_l``:
    ``w_l = sum_i weight_i * n M(t_i)^(n-1) * q_l x_l e^-x_l``, where
    ``M(t) = sum_z q_z e^(-x_z)``; ``log M`` comes from ``1 - M = sum_z q_z
    (-expm1(-x_z))`` while that is below 1/2 (accurate at large n).

    At each node only the window of levels with ``e^-40 <= x <= e^6.62`` is
    visited: above it ``x e^-x`` and ``e^-x`` are 0 in float64; below it
    ``e^-x = 1`` and ``x e^-x = x`` to float64, so those levels enter ``M``
    through prefix sums and collect ``q_l e_l * sum_i weight_i n M^(n-1) t_i``
    from a running log-sum. Cost O(nodes * window + L).
    """
    size = mass.shape[0]
    out = np.zeros(size)
    kernel = np.empty(size)  # x e^-x of the window's levels at the current node
    cum = np.empty(size)  # sum of q over levels 0..l
    above = np.zeros(size + 1)  # sum of q over levels l..L-1 (reverse sum: accurate when small)
    total, comp = 0.0, 0.0
    for level in range(size - 1, -1, -1):
        total, comp = neumaier_add(total, comp, mass[level])
        above[level] = total + comp
    log_cum_qe = np.empty(size)  # log sum of q e over levels 0..l
    total, comp, log_acc = 0.0, 0.0, -np.inf
    for level in range(size):
        total, comp = neumaier_add(total, comp, mass[level])
        cum[level] = total + comp
        term = math.log(mass[level]) + log_e[level]
        top = max(log_acc, term)
        log_acc = top + math.log(math.exp(log_acc - top) + math.exp(term - top))
        log_cum_qe[level] = log_acc
    low_end, high_start = size, size  # low levels: [0, low_end); window: [low_end, high_start)
    log_collected = -np.inf  # log sum over nodes so far of weight n M^(n-1) t
    for i in range(nodes.shape[0]):
        s = nodes[i]
        while high_start > 0 and log_e[high_start - 1] + s > 6.62:
            high_start -= 1
        new_low_end = min(low_end, high_start)
        while new_low_end > 0 and log_e[new_low_end - 1] + s >= -40.0:
            new_low_end -= 1
        for level in range(new_low_end, low_end):  # leaving the low regime: collect
            out[level] += mass[level] * math.exp(log_e[level] + log_collected)
        low_end = new_low_end
        one_minus = above[high_start]
        m_direct = cum[low_end - 1] if low_end > 0 else 0.0
        if low_end > 0:
            one_minus += math.exp(s + log_cum_qe[low_end - 1])
        for level in range(low_end, high_start):
            x = math.exp(log_e[level] + s)
            ex = math.exp(-x)
            kernel[level] = x * ex
            m_direct += mass[level] * ex
            one_minus += mass[level] * (-math.expm1(-x) if x < 0.5 else 1.0 - ex)
        if one_minus < 0.5:
            log_m = math.log1p(-one_minus)
        elif m_direct > 0.0:
            log_m = math.log(m_direct)
        else:
            continue
        log_factor = math.log(weights[i] * n) + (n - 1.0) * log_m
        factor = math.exp(log_factor)
        for level in range(low_end, high_start):
            out[level] += factor * mass[level] * kernel[level]
        if low_end > 0:
            term = log_factor + s
            top = max(log_collected, term)
            log_collected = top + math.log(math.exp(log_collected - top) + math.exp(term - top))
    for level in range(low_end):
        out[level] += mass[level] * math.exp(log_e[level] + log_collected)
    return out
