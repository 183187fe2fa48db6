"""Best-of-n sampling kernels (Numba, MATH §6).

Random numbers come from SplitMix64 (Steele, Lea & Flood 2014): a 64-bit
state advanced by a Weyl increment and hashed by a bijective mixer; it passes
BigCrush and costs a few integer operations. Each chunk of draws starts from
its own 64-bit seed, drawn in NumPy by :func:`bonkl_fast._random.chunk_seeds`,
so results do not depend on the number of threads. Uniforms are the top 53
bits: ``u = k * 2**-53`` with ``k`` uniform on ``0 .. 2**53 - 1``.

The sampler arrays travel as one :class:`SamplerArrays` named tuple, in the
sorted-by-reward order of :class:`bonkl_fast._levels.Levels`.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from ._jit import jit, jit_parallel, prange

SamplerArrays = namedtuple(
    "SamplerArrays",
    [
        "tail",  # per level: S = mass strictly above, decreasing, last entry 0
        "start",  # per level: first sorted outcome
        "stop",  # per level: one past the last sorted outcome
        "within_cum",  # per sorted outcome: inclusive sum of probs from its level's start
        "cum",  # per sorted outcome: inclusive sum of all sorted probs (inverse CDF)
        "probs",  # per sorted outcome: probability
        "rewards",  # per sorted outcome: reward
        "level_of",  # per sorted outcome: level, -1 for zero-mass levels
        "index_map",  # per sorted outcome: index in the caller's order
    ],
)

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S11, _S27, _S30, _S31 = np.uint64(11), np.uint64(27), np.uint64(30), np.uint64(31)
_TWO_TO_MINUS_53 = 2.0**-53


@jit
def next_uniform(state):
    """Preconditions: state uint64. Returns (new state, u) with u uniform on [0, 1)."""
    state = state + _GAMMA
    z = (state ^ (state >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    z = z ^ (z >> _S31)
    return state, float(z >> _S11) * _TWO_TO_MINUS_53


@jit
def tail_search(tail, t):
    """Preconditions: tail non-increasing with tail[-1] = 0 <= t. Lowest index with tail <= t."""
    lo = 0
    hi = tail.shape[0] - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if tail[mid] <= t:
            hi = mid
        else:
            lo = mid + 1
    return lo


@jit
def search_cumulative(cum, probs, lo, hi, u):
    """Preconditions: cum[lo:hi] inclusive sums of probs[lo:hi] >= 0, cum[hi-1] > 0, 0 <= u < 1.

    Inverse CDF: the first i in [lo, hi) with cum[i] > u * cum[hi-1]. That
    outcome has positive probability; if rounding leaves no such i, the last
    outcome of positive probability is returned.
    """
    target = u * cum[hi - 1]
    last = hi - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if cum[mid] > target:
            hi = mid
        else:
            lo = mid + 1
    i = min(lo, last)
    while probs[i] == 0.0:
        i -= 1
    return i


@jit
def level_cumsums(probs_sorted, start, stop):
    """Preconditions: start/stop level ranges into probs_sorted. Inclusive sums within levels."""
    out = np.zeros(probs_sorted.shape[0])
    for level in range(start.shape[0]):
        total = 0.0
        for i in range(start[level], stop[level]):
            total += probs_sorted[i]
            out[i] = total
    return out


@jit
def draw_inverse(state, n, arrays):
    """Preconditions: n >= 1, arrays a SamplerArrays. One best-of-n draw by MATH §6.

    ``t = -expm1(log1p(-u) / n)`` is the reference mass above the maximum of
    n uniforms (``1 - u`` plays the uniform); the level is the lowest with
    ``S <= t``. A level with several outcomes takes a second uniform to pick
    one in proportion to probs. Returns (state, sorted index, level).
    """
    state, u = next_uniform(state)
    t = -math.expm1(math.log1p(-u) / n)
    level = tail_search(arrays.tail, t)
    lo = arrays.start[level]
    hi = arrays.stop[level]
    if hi - lo == 1:
        return state, lo, level
    state, u = next_uniform(state)
    return state, search_cumulative(arrays.within_cum, arrays.probs, lo, hi, u), level


@jit
def draw_direct(state, n, arrays):
    """Preconditions: n >= 1, arrays a SamplerArrays. One best-of-n draw, literally.

    n reference draws by inverse CDF; the highest reward is kept, ties broken
    uniformly among the tied draws (reservoir: the k-th tied draw replaces the
    pick with probability 1/k). O(n log K). Returns (state, sorted index).
    """
    size = arrays.cum.shape[0]
    best = -math.inf
    pick = 0
    ties = 0
    for _ in range(n):
        state, u = next_uniform(state)
        i = search_cumulative(arrays.cum, arrays.probs, 0, size, u)
        reward = arrays.rewards[i]
        if reward > best:
            best = reward
            pick = i
            ties = 1
        elif reward == best:
            ties += 1
            state, u = next_uniform(state)
            if u * ties < 1.0:
                pick = i
    return state, pick


@jit_parallel
def sample_chunks(seeds, chunk_len, out, n, direct, arrays):
    """Preconditions: len(seeds) = ceil(len(out) / chunk_len), n >= 1.

    Fills ``out`` with best-of-n draws (caller's indices); chunk c covers
    ``out[c*chunk_len : (c+1)*chunk_len]`` from seed c, whatever the thread.
    """
    size = out.shape[0]
    for c in prange(seeds.shape[0]):
        state = seeds[c]
        for i in range(c * chunk_len, min((c + 1) * chunk_len, size)):
            if direct:
                state, j = draw_direct(state, n, arrays)
            else:
                state, j, _ = draw_inverse(state, n, arrays)
            out[i] = arrays.index_map[j]


@jit_parallel
def simulate_chunks(seeds, chunk_len, size, n, direct, arrays, level_kl, outcome_estimate, shift):
    """Preconditions: len(seeds) = ceil(size / chunk_len), n >= 1, shift of length 4.

    Per chunk, sums of ``x - shift`` and ``(x - shift)**2`` over its draws of
    x = (log pi_n/pi of the draw's level, win against an independent
    reference draw with ties 1/2, reward, estimator value of the outcome).
    Returns an array (chunks, 8): the 4 sums then the 4 sums of squares.
    """
    sums = np.zeros((seeds.shape[0], 8))
    for c in prange(seeds.shape[0]):
        state = seeds[c]
        for _ in range(c * chunk_len, min((c + 1) * chunk_len, size)):
            if direct:
                state, j = draw_direct(state, n, arrays)
                level = arrays.level_of[j]
            else:
                state, j, level = draw_inverse(state, n, arrays)
            state, u = next_uniform(state)
            other = tail_search(arrays.tail, u)  # level of one reference draw: lowest S <= u
            win = 1.0 if level > other else (0.5 if level == other else 0.0)
            x0 = level_kl[level] - shift[0]
            x1 = win - shift[1]
            x2 = arrays.rewards[j] - shift[2]
            x3 = outcome_estimate[j] - shift[3]
            sums[c, 0] += x0
            sums[c, 1] += x1
            sums[c, 2] += x2
            sums[c, 3] += x3
            sums[c, 4] += x0 * x0
            sums[c, 5] += x1 * x1
            sums[c, 6] += x2 * x2
            sums[c, 7] += x3 * x3
    return sums
