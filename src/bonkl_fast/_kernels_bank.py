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
from ._kernels_bank_eval import evaluated_column, pair_sums
from ._kernels_exact import EXP_UNDERFLOW, kl_estimate_complement, level_weights, neumaier_add

# log-probs below about -708 give exp() below the normal range: floor eps there (the estimate
# is then kl_bound(n) to rounding, its eps -> 0 limit)
TINY = np.finfo(np.float64).tiny


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
def subset_weights(size, n, table, mass, cum, tail):
    """Preconditions: 1 <= n <= size, n integral; table (4, size).

    Fills ``table[0, i-1] = C(i-1, n-1) / C(N, n)`` (rank i), ``table[1, x] = U(x)``
    for x < N (only when n < N), ``table[2, i-1]`` = best-of-n mass of rank i
    when resampling from the bank and ``table[3] = table[2] * log(table[2] * N)``
    (its plug-in KL term as a level of its own). Entries where T underflows stay 0.
    """
    table[:2] = 0.0
    shift = math.log1p(-n / size) if n < size else 0.0  # log(T(x) / U(x))
    log_t, comp = 0.0, 0.0
    for i in range(size, int(n) - 1, -1):
        value = log_t + comp  # log T(i)
        if value < EXP_UNDERFLOW:
            break
        table[0, i - 1] = math.exp(value) * n / i
        if i < size:
            table[1, i] = math.exp(value - shift)
        if i > n:
            log_t, comp = neumaier_add(log_t, comp, math.log1p(-n / i))
    table[2] = level_weights(mass, cum, tail, n)
    for i in range(size):
        p = table[2, i]
        table[3, i] = p * math.log(p * size) if p > 0.0 else 0.0


@jit
def level_estimate(eps, keep, low, high, n):
    """Preconditions: low < high, 0 < eps <= 1, keep = 1 - eps. Mean kl_estimate over low:high."""
    total = 0.0
    comp = 0.0
    for i in range(low, high):
        total, comp = neumaier_add(total, comp, kl_estimate_complement(eps[i], keep[i], n))
    return (total + comp) / (high - low)


@jit
def level_sums(table, low, high, size):
    """Preconditions: low < high <= size. Level weight, plug-in mass and plug-in KL term."""
    if high - low == 1:
        return table[0, low], table[2, low], table[3, low]
    w, w_c, p, p_c = 0.0, 0.0, 0.0, 0.0
    for i in range(low, high):
        w, w_c = neumaier_add(w, w_c, table[0, i])
        p, p_c = neumaier_add(p, p_c, table[2, i])
    p += p_c
    return w + w_c, p, p * math.log(p * size / (high - low)) if p > 0.0 else 0.0


@jit
def group_column(rewards, eps, keep, use_eps, n, table):
    """Preconditions: rewards ascending (one group of N >= n), ``table`` of (N, n) as above.

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
        w, p, kl_term = level_sums(table, low, high, size)
        if w == 0.0 and p == 0.0:
            break
        reward, reward_c = neumaier_add(reward, reward_c, w * rewards[high - 1])
        if n < size:
            term = 0.5 * (high - low) * (table[1, low] + table[1, high - 1])
            loss, loss_c = neumaier_add(loss, loss_c, term)
        if use_eps and w > 0.0:
            est, est_c = neumaier_add(est, est_c, w * level_estimate(eps, keep, low, high, n))
        kl, kl_c = neumaier_add(kl, kl_c, kl_term)
        high = low
    return reward + reward_c, (loss + loss_c) / size, est + est_c, kl + kl_c


@jit
def sort_group(rewards, logprobs, use_logprobs, lo, hi, out):
    """Preconditions: lo < hi, out (3, >= hi - lo). Stable sort of rows lo:hi by reward.

    Writes rewards, ``eps = exp(logprob)`` (floored at the smallest normal float)
    and ``keep = -expm1(logprob)`` (= 1 - eps, accurate near 1) into ``out``;
    returns the rows in sorted order.
    """
    size = hi - lo
    order = np.arange(lo, hi)
    if size <= 48:  # insertion sort: stable, cheap for small groups
        for k in range(1, size):
            row = order[k]
            j = k
            while j > 0 and rewards[order[j - 1]] > rewards[row]:
                order[j] = order[j - 1]
                j -= 1
            order[j] = row
    else:
        order = lo + np.argsort(rewards[lo:hi], kind="mergesort")  # stable
    for k in range(size):
        out[0, k] = rewards[order[k]]
        if use_logprobs:
            out[1, k] = max(math.exp(logprobs[order[k]]), TINY)
            out[2, k] = -math.expm1(logprobs[order[k]])
    return order


@jit
def sort_scores(scores, order, rows, sums):
    """Preconditions: ``order`` sorts one group by reward, ``rows[0]`` its sorted rewards.

    Writes each evaluation score in reward order (``rows[3 + e]``) and its pair sums.
    """
    size = order.shape[0]
    for e in range(scores.shape[0]):
        for k in range(size):
            rows[3 + e, k] = scores[e, order[k]]
        pair_sums(rows[0, :size], rows[3 + e, :size], sums[e])


@jit
def run_groups(rewards, logprobs, use_eps, scores, start, order, ns, cache_limit, out):
    """Preconditions: rows grouped by ``start`` (any order within a group); groups ``order``
    sorted by size; ns ascending integral >= 1; ``logprobs`` empty unless ``use_eps``;
    ``scores`` (E, rows) evaluation scores.

    Fills ``out`` (4 + 2E, groups, len(ns)): reward, win rate, estimate, plug-in,
    then per score its expected value and win rate (NaN where undefined).
    Weights of (N, n) are cached for all ns while N repeats, if len(ns) * N
    <= cache_limit; otherwise recomputed per group and n.
    """
    m = ns.shape[0]
    evaluations = scores.shape[0]
    current, cached = -1, False
    tables, rows = np.empty((1, 4, 1)), np.empty((3 + evaluations, 1))
    sums = np.empty((evaluations, 3, 1))
    mass, cum, tail = uniform_levels(1)
    for g in order:
        size = start[g + 1] - start[g]
        if size != current:
            current, cached = size, m * size <= cache_limit
            tables, rows = (
                np.empty((m if cached else 1, 4, size)),
                np.zeros((3 + evaluations, size)),
            )
            sums = np.empty((evaluations, 3, size))
            mass, cum, tail = uniform_levels(size)
            for j in range(m if cached else 0):
                if ns[j] <= size:
                    subset_weights(size, ns[j], tables[j], mass, cum, tail)
        rank_order = sort_group(rewards, logprobs, use_eps, start[g], start[g + 1], rows)
        sort_scores(scores, rank_order, rows, sums)
        for j in range(m):
            if ns[j] > size:
                out[:, g, j] = np.nan
                continue
            if not cached:
                subset_weights(size, ns[j], tables[0], mass, cum, tail)
            table = tables[j if cached else 0]
            values = group_column(rows[0], rows[1], rows[2], use_eps, ns[j], table)
            out[0, g, j] = values[0]
            out[1, g, j] = 1.0 - values[1] if ns[j] < size else np.nan
            out[2, g, j] = values[2] if use_eps else np.nan
            out[3, g, j] = values[3] if ns[j] > 1.0 else 0.0
            for e in range(evaluations):
                score, win = evaluated_column(rows[0], rows[3 + e], sums[e], table[0], ns[j])
                out[4 + 2 * e, g, j] = score
                out[5 + 2 * e, g, j] = win


@jit_parallel
def bank_kernel(rewards, logprobs, use_eps, scores, start, order, chunks, ns, cache_limit, out):
    """Preconditions: as :func:`run_groups`; ``chunks`` cuts ``order`` into work units.

    Each chunk writes only its own groups' rows of ``out``: deterministic for any thread count.
    """
    for c in prange(chunks.shape[0] - 1):
        part = order[chunks[c] : chunks[c + 1]]
        run_groups(rewards, logprobs, use_eps, scores, start, part, ns, cache_limit, out)


@jit
def group_rows(codes, n_groups, rewards, logprobs, use_logprobs):
    """Preconditions: 0 <= codes < n_groups, arrays of equal length (logprobs empty if unused).

    Stable counting sort of the rows by group: returns ``(start, rewards, logprobs,
    place)`` with group g in ``start[g]:start[g + 1]``, rows in input order, and
    input row i moved to ``place[i]``.
    """
    size = codes.shape[0]
    start = np.zeros(n_groups + 1, dtype=np.int64)
    for i in range(size):
        start[codes[i] + 1] += 1
    for g in range(n_groups):
        start[g + 1] += start[g]
    fill = start[:-1].copy()
    place = np.empty(size, dtype=np.int64)
    grouped = np.empty(size)
    grouped_lp = np.empty(size if use_logprobs else 0)
    for i in range(size):
        k = fill[codes[i]]
        fill[codes[i]] += 1
        place[i] = k
        grouped[k] = rewards[i]
        if use_logprobs:
            grouped_lp[k] = logprobs[i]
    return start, grouped, grouped_lp, place


@jit
def sample_weights(rewards, start, n, out):
    """Preconditions: rows grouped by ``start``, every group of N >= n samples; n integral.

    ``out[k]``: probability that best-of-n on a uniform n-subset of its group
    picks grouped row k (its level's weight from :func:`level_sums`, shared equally).
    """
    rows = np.empty((3, 1))
    for g in range(start.shape[0] - 1):
        size = start[g + 1] - start[g]
        rows = np.empty((3, size))
        order = sort_group(rewards, rewards[:0], False, start[g], start[g + 1], rows)
        table = np.empty((4, size))
        mass, cum, tail = uniform_levels(size)
        subset_weights(size, n, table, mass, cum, tail)
        high = size
        while high > 0:
            low = high - 1
            while low > 0 and rows[0, low - 1] == rows[0, high - 1]:
                low -= 1
            share = level_sums(table, low, high, size)[0] / (high - low)
            for k in range(low, high):
                out[order[k]] = share
            high = low
