"""Best-of-n curves from a bank of scored samples (Numba kernels, MATH §7).

Rows arrive grouped (group ``g`` owns rows ``start[g]:start[g + 1]``) and, within
a group, sorted by reward ascending. For a group of N samples and a subset size
n, let ``T(b) = C(b, n) / C(N, n)``: the probability that a uniform n-subset lies
entirely within the b lowest-ranked samples. It obeys

    log T(N) = 0,    log T(b - 1) = log T(b) + log1p(-n / b),

a sum of terms of one sign, accumulated with Neumaier compensation (no
binomials, no ``gammaln`` of numbers near 1e6). A tie level holding ranks
``a+1..b`` is the best of the subset with probability
``T(b) - T(a) = T(b) * (1 - exp(d))`` where ``d = log T(a) - log T(b)`` is summed
over the level alone (never as a difference of two large logs); its samples
share that weight equally.

Win rate (U-statistic over (n+1)-subsets, one element the reference, the best
of the other n the best-of-n sample, ties 1/2). For a reference sample j with
``a_j`` samples strictly below it and ``b_j`` at or below it (itself included),
the best of a uniform n-subset of the other N - 1 samples loses with
probability ``U(a_j)`` and ties or loses with ``U(b_j - 1)``, where
``U(x) = C(x, n) / C(N - 1, n) = T(x) * N / (N - n)``. Hence

    1 - W = (1 / N) * sum_j (U(a_j) + U(b_j - 1)) / 2.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit, jit_parallel, prange
from ._kernels_exact import EXP_UNDERFLOW, kl_estimate_scalar, kl_win_many, neumaier_add


@jit
def log_step(n, x):
    """Preconditions: n >= 1, x >= 1. log(T(x - 1) / T(x)) = log1p(-n / x), -inf for x <= n."""
    if x <= n:
        return -np.inf
    return math.log1p(-n / x)


@jit
def log_ratio_sum(n, low, high):
    """Preconditions: 0 <= low < high, n >= 1. log(T(low) / T(high)), -inf when low < n."""
    if low < n:
        return -np.inf
    total = 0.0
    comp = 0.0
    for x in range(high, low, -1):
        total, comp = neumaier_add(total, comp, math.log1p(-n / x))
    return total + comp


@jit
def level_estimate(logprobs, low, high, n):
    """Preconditions: low < high, logprobs <= 0. Mean of kl_estimate(exp(logprob), n) over low:high."""
    total = 0.0
    comp = 0.0
    for i in range(low, high):
        total, comp = neumaier_add(total, comp, kl_estimate_scalar(math.exp(logprobs[i]), n))
    return (total + comp) / (high - low)


@jit
def group_sums(rewards, logprobs, use_logprobs, n):
    """Preconditions: rewards ascending (one group), 1 <= n <= len(rewards), n integral.

    Returns ``(expected reward, 1 - win rate, kl estimate)`` of best-of-n; the
    second is meaningful only for n < N, the third only with ``use_logprobs``.
    Walks the tie levels from the top; stops where ``T`` underflows or vanishes.
    """
    size = rewards.shape[0]
    shift = math.log1p(-n / size) if n < size else 0.0  # log T(x) - log U(x)
    log_t, log_c = 0.0, 0.0
    reward, reward_c, loss, loss_c, est, est_c = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    high = size
    while high >= n and log_t + log_c > EXP_UNDERFLOW:
        low = high - 1
        while low > 0 and rewards[low - 1] == rewards[high - 1]:
            low -= 1
        top = log_t + log_c
        d = log_ratio_sum(n, low, high)
        w = math.exp(top) * -math.expm1(d)
        reward, reward_c = neumaier_add(reward, reward_c, w * rewards[high - 1])
        if use_logprobs:
            est, est_c = neumaier_add(est, est_c, w * level_estimate(logprobs, low, high, n))
        if n < size:
            u_low = math.exp(top + d - shift)
            u_high = math.exp(top + log_step(n, high) - shift)
            loss, loss_c = neumaier_add(loss, loss_c, 0.5 * (high - low) * (u_low + u_high))
        if d == -np.inf:
            break
        log_t, log_c = neumaier_add(log_t, log_c, d)
        high = low
    return reward + reward_c, (loss + loss_c) / size, est + est_c


@jit
def plugin_kl(rewards, ns):
    """Preconditions: rewards ascending (one group), ns ascending integral >= 1.

    Exact KL of best-of-n resampling from the bank (each sample mass 1/N, ties
    merged), MATH §2 via the core kernel; exactly 0 at n = 1.
    """
    size = rewards.shape[0]
    highs = np.empty(size, dtype=np.int64)
    levels = 0
    for i in range(size):
        if i == size - 1 or rewards[i + 1] != rewards[i]:
            highs[levels] = i + 1
            levels += 1
    mass = np.empty(levels)
    cum = np.empty(levels)
    tail = np.empty(levels)
    low = 0
    for k in range(levels):
        mass[k] = (highs[k] - low) / size
        cum[k] = highs[k] / size
        tail[k] = (size - highs[k]) / size
        low = highs[k]
    out = kl_win_many(mass, cum, tail, ns)[0]
    for j in range(ns.shape[0]):
        if ns[j] == 1.0:
            out[j] = 0.0
    return out


@jit
def one_group(rewards, logprobs, use_logprobs, ns, reward_row, win_row, est_row, plugin_row):
    """Preconditions: rewards ascending (one group), ns ascending integral >= 1, rows NaN-filled.

    Fills the entries with n <= N (win rate: n < N); the others stay NaN.
    """
    size = rewards.shape[0]
    count = 0
    for j in range(ns.shape[0]):
        n = ns[j]
        if n > size:
            break
        reward, loss, est = group_sums(rewards, logprobs, use_logprobs, n)
        reward_row[j] = reward
        if n < size:
            win_row[j] = 1.0 - loss
        if use_logprobs:
            est_row[j] = est
        count = j + 1
    if count > 0:
        plugin_row[:count] = plugin_kl(rewards, ns[:count])


@jit_parallel
def bank_kernel(rewards, logprobs, use_logprobs, start, ns, reward, win, est, plugin):
    """Preconditions: rows grouped by ``start`` and reward-ascending within groups; ns as above.

    Output arrays (groups, len(ns)) pre-filled with NaN; each group writes its own row.
    """
    for g in prange(start.shape[0] - 1):
        lo = start[g]
        hi = start[g + 1]
        one_group(rewards[lo:hi], logprobs[lo:hi], use_logprobs, ns, reward[g], win[g], est[g], plugin[g])


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
