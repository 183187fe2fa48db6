"""Expected value of the KL estimator under best-of-n (Numba kernel, MATH §4).

Levels as in :mod:`bonkl_fast._kernels_exact` (``mass`` q > 0, ``cum`` F,
``tail`` S = 1 - F, ascending in reward), plus the sorted outcomes of each
level (``probs_sorted[start[l]:stop[l]]``; ``start = stop = None`` where level l is
sorted outcome l).
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit
from ._kernels_exact import (
    EXP_UNDERFLOW,
    kl_estimate_complement,
    log1mexp,
    log_cdf,
    log_ratio,
    neumaier_add,
)
from ._kernels_levels import level_span


@jit
def estimate_expected_many(mass, cum, tail, probs_sorted, start, stop, ns):
    """Preconditions: levels as above, ns ascending >= 1. E_{y~pi_n} kl_estimate(pi(y), n).

    For the (at most one) outcome with ``p >= 1/2``, ``1 - p`` is summed from
    the other outcomes' masses instead of being rounded from ``p``.
    """
    m = ns.shape[0]
    total = np.zeros(m)
    comp = np.zeros(m)
    below = 0.0
    log_g = -math.inf
    for level in range(mass.shape[0]):
        q = mass[level]
        log_f = log_cdf(cum[level], tail[level])
        c = log_ratio(log_f, log_g, q, cum[level]) if level > 0 else -math.inf
        for j in range(m):
            x = ns[j] * log_f
            if x < EXP_UNDERFLOW:
                break
            w = math.exp(x + log1mexp(ns[j] * c))
            lo, hi = level_span(start, stop, level)
            for i in range(lo, hi):
                p = probs_sorted[i]
                if p > 0.0:
                    keep = 1.0 - p
                    if p >= 0.5:
                        keep = below + tail[level]
                        for k in range(lo, hi):
                            if k != i:
                                keep += probs_sorted[k]
                    term = w * (p / q) * kl_estimate_complement(p, keep, ns[j])
                    total[j], comp[j] = neumaier_add(total[j], comp[j], term)
        below = cum[level]
        log_g = log_f
    return total + comp
