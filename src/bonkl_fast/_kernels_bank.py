"""Best-of-n curves from a bank of scored samples (Numba kernels, MATH §7).

Rows arrive grouped (group ``g`` owns rows ``start[g]:start[g + 1]``) and, within
a group, sorted by reward ascending. For a group of N samples and a subset size
n, let ``T(b) = C(b, n) / C(N, n)``: the probability that a uniform n-subset lies
entirely within the b lowest-ranked samples. It obeys

    log T(N) = 0,    log T(b - 1) = log T(b) + log1p(-n / b),

a sum of terms of one sign, accumulated with Neumaier compensation (no
binomials, no ``gammaln`` of numbers near 1e6). The sample of rank i is the
best of the subset with probability ``T(i) - T(i - 1) = T(i) * n / i``
(``= C(i-1, n-1) / C(N, n)``); a tie level holding ranks ``a+1..b`` gets the sum
of its ranks' weights (``T(b) - T(a)`` without cancellation), shared equally.

Win rate (U-statistic over (n+1)-subsets, one element the reference, the best
of the other n the best-of-n sample, ties 1/2). For a reference sample j with
``a_j`` samples strictly below it and ``b_j`` at or below it (itself included),
the best of a uniform n-subset of the other N - 1 samples loses with
probability ``U(a_j)`` and ties or loses with ``U(b_j - 1)``, where
``U(x) = C(x, n) / C(N - 1, n) = T(x) * N / (N - n)``. Hence

    1 - W = (1 / N) * sum_j (U(a_j) + U(b_j - 1)) / 2.

Plug-in KL (best-of-n resampling with replacement from the bank, each sample
mass 1/N): per-rank best-of-n masses from the core's stable ``level_weights``,
summed per tie level, then ``sum_level w log(w N / c)``.

The weights depend only on (N, n), not on the rewards: each worker caches them
for the group size at hand (groups are visited by size) when they fit.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit, jit_parallel, prange
from ._kernels_exact import EXP_UNDERFLOW, kl_estimate_scalar, level_weights, neumaier_add


@jit
def uniform_levels(size):
    """Preconditions: size >= 1. (mass, cum, tail) of N distinct outcomes of mass 1/N each."""
    mass = np.full(size, 1.0 / size)
    cum = np.empty(size)
    tail = np.empty(size)
    for i in range(size):
        cum[i] = (i + 1.0) / size
        tail[i] = (size - i - 1.0) / size
    return mass, cum, tail


@jit
def subset_weights(size, n, bon, below, plug, mass, cum, tail):
    """Preconditions: 1 <= n <= size, n integral; bon, below, plug of length size.

    Fills ``bon[i-1] = C(i-1, n-1) / C(N, n)`` (rank i), ``below[x] = U(x)`` for
    x < N (only when n < N) and ``plug[i-1]`` = best-of-n mass of rank i when
    resampling from the bank. Entries below the underflow of T stay 0.
    """
    bon[:] = 0.0
    below[:] = 0.0
    shift = math.log1p(-n / size) if n < size else 0.0  # log(T(x) / U(x))
    log_t, comp = 0.0, 0.0
    for i in range(size, int(n) - 1, -1):
        value = log_t + comp  # log T(i)
        if value < EXP_UNDERFLOW:
            break
        bon[i - 1] = math.exp(value) * n / i
        if i < size:
            below[i] = math.exp(value - shift)
        if i > n:
            log_t, comp = neumaier_add(log_t, comp, math.log1p(-n / i))
    plug[:] = level_weights(mass, cum, tail, n)


@jit
def level_estimate(eps, low, high, n):
    """Preconditions: low < high, 0 <= eps <= 1. Mean of kl_estimate(eps, n) over low:high."""
    total = 0.0
    comp = 0.0
    for i in range(low, high):
        total, comp = neumaier_add(total, comp, kl_estimate_scalar(eps[i], n))
    return (total + comp) / (high - low)


@jit
def group_column(rewards, eps, use_eps, n, bon, below, plug):
    """Preconditions: rewards ascending (one group of N >= n), weights of (N, n) as above.

    Returns ``(expected reward, 1 - win rate, kl estimate, plug-in KL)``; the
    second is meaningful only for n < N. Walks tie levels from the top and
    stops once both weights vanish (they increase with rank).
    """
    size = rewards.shape[0]
    reward, reward_c, loss, loss_c, est, est_c, kl, kl_c = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    high = size
    while high > 0:
        low = high - 1
        while low > 0 and rewards[low - 1] == rewards[high - 1]:
            low -= 1
        w, w_c, p, p_c = 0.0, 0.0, 0.0, 0.0
        for i in range(low, high):
            w, w_c = neumaier_add(w, w_c, bon[i])
            p, p_c = neumaier_add(p, p_c, plug[i])
        w, p = w + w_c, p + p_c
        if w == 0.0 and p == 0.0:
            break
        reward, reward_c = neumaier_add(reward, reward_c, w * rewards[high - 1])
        if n < size:
            term = 0.5 * (high - low) * (below[low] + below[high - 1])
            loss, loss_c = neumaier_add(loss, loss_c, term)
        if use_eps and w > 0.0:
            est, est_c = neumaier_add(est, est_c, w * level_estimate(eps, low, high, n))
        if p > 0.0:
            kl, kl_c = neumaier_add(kl, kl_c, p * math.log(p * size / (high - low)))
        high = low
    return reward + reward_c, (loss + loss_c) / size, est + est_c, kl + kl_c


@jit
def run_groups(rewards, eps, use_eps, start, order, ns, cache_limit, out):
    """Preconditions: groups ``order`` sorted by size; ns ascending integral >= 1.

    ``out`` (4, groups, len(ns)) NaN-filled: reward, win rate, estimate, plug-in.
    Weights of (N, n) are cached for all ns while N repeats, if len(ns) * N
    <= cache_limit; otherwise recomputed per group and n.
    """
    m = ns.shape[0]
    current = -1
    cached = False
    weights = np.empty((1, 3, 1))
    mass, cum, tail = uniform_levels(1)
    for g in order:
        lo, hi = start[g], start[g + 1]
        size = hi - lo
        if size != current:
            current = size
            cached = m * size <= cache_limit
            weights = np.empty((m if cached else 1, 3, size))
            mass, cum, tail = uniform_levels(size)
            for j in range(m if cached else 0):
                if ns[j] <= size:
                    w = weights[j]
                    subset_weights(size, ns[j], w[0], w[1], w[2], mass, cum, tail)
        for j in range(m):
            n = ns[j]
            if n > size:
                break
            w = weights[j if cached else 0]
            if not cached:
                subset_weights(size, n, w[0], w[1], w[2], mass, cum, tail)
            values = group_column(rewards[lo:hi], eps[lo:hi], use_eps, n, w[0], w[1], w[2])
            out[0, g, j] = values[0]
            out[1, g, j] = 1.0 - values[1] if n < size else np.nan
            out[2, g, j] = values[2] if use_eps else np.nan
            out[3, g, j] = values[3] if n > 1.0 else 0.0


@jit_parallel
def bank_kernel(rewards, eps, use_eps, start, order, chunks, ns, cache_limit, out):
    """Preconditions: as :func:`run_groups`; ``chunks`` cuts ``order`` into work units.

    Each chunk writes only its own groups' rows: deterministic for any thread count.
    """
    for c in prange(chunks.shape[0] - 1):
        part = order[chunks[c]:chunks[c + 1]]
        run_groups(rewards, eps, use_eps, start, part, ns, cache_limit, out)


@jit
def group_by_codes(codes, order, n_groups):
    """Preconditions: 0 <= codes < n_groups, order a permutation of the rows.

    Stable counting sort of ``order`` by ``codes[order]``: returns ``(perm, start)``
    with group g's rows ``perm[start[g]:start[g + 1]]`` in the order of ``order``.
    """
    size = codes.shape[0]
    start = np.zeros(n_groups + 1, dtype=np.int64)
    for i in range(size):
        start[codes[i] + 1] += 1
    for g in range(n_groups):
        start[g + 1] += start[g]
    fill = start[:-1].copy()
    perm = np.empty(size, dtype=np.int64)
    for k in range(size):
        i = order[k]
        c = codes[i]
        perm[fill[c]] = i
        fill[c] += 1
    return perm, start
