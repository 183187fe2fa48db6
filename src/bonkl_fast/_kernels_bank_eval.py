"""Evaluating best-of-n by another score (Numba kernels, MATH §11).

Best-of-n picks by the reward; an evaluation score ``e`` (gold reward, human
label, correctness) is then read off the picked sample. Within a group of N
samples sorted by reward, ``t[x] = C(x, n - 1) / C(N, n)`` is the weight of
rank ``x + 1`` (``table[0]`` of :func:`bonkl_fast._kernels_bank.subset_weights`).

Expected evaluation score: ``sum_i w_i e_i``, ``w_i`` the reward weight of
sample i (its level's weight shared equally).

Win rate under ``e`` of the pick against an independent reference sample
(U-statistic over (n+1)-subsets, ``s(x, y) = 1`` if ``x > y``, 1/2 if equal):

    W = 1 / (N - n) * sum_i (A_i below_i + B_i above_i + G_i level_i),

with ``below_i`` / ``above_i`` / ``level_i`` the sums of ``s(e_i, e_j)`` over
the samples j with reward below, above or equal to (j != i) that of i, and,
for i in a reward level of m samples at 0-based ranks a..a+m-1,

    A = mean_k t[a + k - 1],   B = mean_k t[a + k],
    G = sum_k (k t[a + k - 1] + (m - 1 - k) t[a + k]) / (m (m - 1)).

The three sums depend only on the scores, not on n: :func:`pair_sums` counts
them once per group in O(N log N) (a Fenwick tree over the ranks of ``e``,
samples inserted level by level in reward order).
"""

from __future__ import annotations

import numpy as np

from ._jit import jit
from ._kernels_exact import neumaier_add


@jit
def dense_ranks(values):
    """Preconditions: values 1-D, no NaN. Ranks 0..D-1 (equal values, equal rank) and D."""
    size = values.shape[0]
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(size, dtype=np.int64)
    rank = -1
    for k in range(size):
        if k == 0 or values[order[k]] != values[order[k - 1]]:
            rank += 1
        ranks[order[k]] = rank
    return ranks, rank + 1


@jit
def fenwick_prefix(tree, rank):
    """Preconditions: tree 1-based Fenwick array. Count of inserted ranks < ``rank``."""
    total = 0.0
    i = rank
    while i > 0:
        total += tree[i]
        i -= i & -i
    return total


@jit
def fenwick_add(tree, rank):
    """Preconditions: 0 <= rank < tree.shape[0] - 1. Insert one sample of ``rank``."""
    i = rank + 1
    while i < tree.shape[0]:
        tree[i] += 1.0
        i += i & -i


@jit
def pair_sums(rewards, scores, out):
    """Preconditions: rewards ascending, scores the same samples' evaluation scores; out (3, N).

    ``out[0, i]`` = below_i, ``out[1, i]`` = above_i, ``out[2, i]`` = level_i
    (half-integers, exact). O(N log N).
    """
    size = rewards.shape[0]
    ranks, distinct = dense_ranks(scores)
    equal = np.zeros(distinct, dtype=np.int64)
    for i in range(size):
        equal[ranks[i]] += 1
    lower = np.zeros(distinct, dtype=np.int64)  # samples with a smaller score, in the group
    for d in range(1, distinct):
        lower[d] = lower[d - 1] + equal[d - 1]
    tree = np.zeros(distinct + 1)
    low = 0
    while low < size:
        high = low + 1
        while high < size and rewards[high] == rewards[low]:
            high += 1
        for i in range(low, high):
            less = fenwick_prefix(tree, ranks[i])
            out[0, i] = less + 0.5 * (fenwick_prefix(tree, ranks[i] + 1) - less)
        for i in range(low, high):
            fenwick_add(tree, ranks[i])
        for i in range(low, high):
            less = fenwick_prefix(tree, ranks[i])
            through_level = less + 0.5 * (fenwick_prefix(tree, ranks[i] + 1) - less - 1.0)
            out[2, i] = through_level - out[0, i]
            everyone = lower[ranks[i]] + 0.5 * (equal[ranks[i]] - 1.0)
            out[1, i] = everyone - through_level
        low = high


@jit
def evaluated_column(rewards, scores, sums, weights, n):
    """Preconditions: rewards ascending (one group of N >= n), ``sums`` from :func:`pair_sums`
    for ``scores``, ``weights[x] = C(x, n - 1) / C(N, n)``.

    Returns ``(expected score of the pick, win rate under the score)``; the
    second is meaningful only for n < N. Walks reward levels from the top and
    stops where the weights vanish (they increase with rank).
    """
    size = rewards.shape[0]
    score, score_c, win, win_c = 0.0, 0.0, 0.0, 0.0
    high = size
    while high > 0:
        low = high - 1
        while low > 0 and rewards[low - 1] == rewards[high - 1]:
            low -= 1
        m = high - low
        below_w, level_w, pair_w = 0.0, 0.0, 0.0
        for k in range(m):
            before = weights[low + k - 1] if low + k > 0 else 0.0
            below_w += before
            level_w += weights[low + k]
            pair_w += k * before + (m - 1 - k) * weights[low + k]
        if level_w == 0.0:
            break
        level_score, term = 0.0, 0.0
        for i in range(low, high):
            level_score += scores[i]
            term += below_w * sums[0, i] + level_w * sums[1, i]
            if m > 1:
                term += pair_w / (m - 1) * sums[2, i]
        part = level_w / m * level_score
        if not np.isfinite(level_score):  # the level's finite scores overflowed their sum
            level_mean = 0.0
            for i in range(low, high):
                level_mean += scores[i] / m
            part = level_w * level_mean
        score, score_c = neumaier_add(score, score_c, part)
        win, win_c = neumaier_add(win, win_c, term / m)
        high = low
    return score + score_c, (win + win_c) / (size - n) if n < size else np.nan
