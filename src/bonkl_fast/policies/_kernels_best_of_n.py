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
from .._kernels_exact import EXP_UNDERFLOW, neumaier_add
from .._kernels_kl import level_logs, level_term, level_term_near_one


@jit
def bon_summary_many(mass, cum, tail, reward, ns):
    """Preconditions: levels ascending and merged, ns ascending >= 1.

    Returns best-of-n ``(KL, win rate, expected reward)`` per n in one pass,
    each level's mass and KL term from the core's
    :func:`bonkl_fast._kernels_kl.level_term` (so the KL and win rate equal
    :func:`bonkl_fast.kl_exact` and :func:`bonkl_fast.win_rate`).
    """
    m = ns.shape[0]
    out = np.zeros((3, m))
    log_f, c, ratio, s1, log_q, beat = level_logs(mass, cum, tail, 0.0, -math.inf, ns[-1])
    for j in range(m):
        n = ns[j]
        log_n = math.log(n)
        first = np.searchsorted(log_f, EXP_UNDERFLOW / n)  # F^n underflows below it
        acc = np.zeros(3)
        comp = np.zeros(3)
        for k in range(first, mass.shape[0]):
            if n >= 2.0:
                w, term = level_term(n, log_n, mass[k], log_f[k], c[k], ratio[k], s1[k], log_q[k])
            else:
                w, term = level_term_near_one(n, mass[k], log_f[k], c[k])
            acc[0], comp[0] = neumaier_add(acc[0], comp[0], term)
            acc[1], comp[1] = neumaier_add(acc[1], comp[1], w * beat[k])
            acc[2], comp[2] = neumaier_add(acc[2], comp[2], w * reward[k])
        if n < 2.0:
            for k in range(first):  # w = 0: the n < 2 form of the KL counts q
                acc[0], comp[0] = neumaier_add(acc[0], comp[0], mass[k])
        out[:, j] = acc + comp
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
