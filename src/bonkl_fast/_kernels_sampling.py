"""Best-of-n sampling kernels (Numba, MATH §6).

Random numbers come from SplitMix64 (Steele, Lea & Flood 2014): a 64-bit
state advanced by a Weyl increment and hashed by a bijective mixer; it passes
BigCrush and costs a few integer operations. Each chunk of draws starts from
its own 64-bit seed, drawn in NumPy by :func:`bonkl_fast._random.chunk_seeds`,
so results do not depend on the number of threads. Uniforms are the top 53
bits: ``u = k * 2**-53`` with ``k`` uniform on ``0 .. 2**53 - 1``.

The sampler arrays travel as one :class:`SamplerArrays` named tuple, in the
sorted-by-reward order of :class:`bonkl_fast._levels.Levels`; fields a
kernel call does not use may be empty arrays. They are built by
:mod:`bonkl_fast._kernels_sampler_tables`.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from ._jit import jit, jit_parallel, prange

SamplerArrays = namedtuple(
    "SamplerArrays",
    [
        "bon_tail",  # per level: 1 - F**n, best-of-n mass strictly above; decreasing, last 0
        "bon_guide",  # guide table of bon_tail (see build_guide)
        "ref_tail",  # per level: S = 1 - F, reference mass strictly above; last 0
        "ref_guide",  # guide table of ref_tail
        "pick",  # per level: index_map[i] of its only outcome i with p > 0, -1 if several
        "start",  # per level: first sorted outcome
        "stop",  # per level: one past the last sorted outcome
        "within_cum",  # per sorted outcome: inclusive sum of probs from its level's start
        "outcome_tail",  # per sorted outcome: reference mass strictly above it; last 0
        "outcome_guide",  # guide table of outcome_tail
        "probs",  # per sorted outcome: probability
        "rewards",  # per sorted outcome: reward (method "direct")
        "level_reward",  # per level: reward
        "level_of",  # per sorted outcome: level, -1 for zero-mass levels
        "index_map",  # per sorted outcome: the index a draw returns (caller's order or sorted)
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
def tail_search(tails, guide, u):
    """Preconditions: tails, guide as in build_guide, 0 <= u < 1. Lowest level with tails <= u.

    The guide narrows the range to one bucket, then a binary search.
    """
    buckets = guide.shape[0] - 1
    b = int(u * buckets)
    lo = guide[b + 1]
    hi = guide[b]
    while lo < hi:
        mid = (lo + hi) >> 1
        if tails[mid] <= u:
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
def draw_level(state, tails, guide):
    """Preconditions: tails, guide as in build_guide. (state, lowest level with tails <= u).

    One uniform u per call; level l comes out with probability
    ``tails[l-1] - tails[l]``. With the best-of-n tails ``1 - F**n`` this is
    MATH §6: there ``t = -expm1(log(U) / n)`` with U uniform and the level is
    the lowest with ``S <= t``; since ``t >= S`` iff ``u = 1 - U >= 1 - F**n``,
    the monotone map is applied once to the L thresholds instead of to every
    uniform. With the reference tails S it is one reference draw.
    """
    state, u = next_uniform(state)
    return state, tail_search(tails, guide, u)


@jit
def pick_within_level(state, lo, hi, within_cum, probs):
    """Preconditions: within_cum[lo:hi] inclusive sums of probs[lo:hi], total > 0.

    A second uniform picks an outcome of the level in proportion to probs
    (never one of probability 0). Returns (state, sorted index).
    """
    state, u = next_uniform(state)
    return state, search_cumulative(within_cum, probs, lo, hi, u)


@jit
def draw_direct(state, n, outcome_tail, outcome_guide, rewards):
    """Preconditions: n >= 1, outcome_tail/guide as in build_guide. One best-of-n draw, literally.

    n reference draws, each by inverse CDF in tail space (the lowest outcome
    whose mass above is <= u: outcome i with probability p_i, never one of
    probability 0); the highest reward is kept, ties broken uniformly among
    the tied draws (reservoir: the k-th tied draw replaces the pick with
    probability 1/k). O(n) expected, O(n log K) at worst. Returns (state, sorted index).
    """
    best = -math.inf
    pick = 0
    ties = 0
    for _ in range(n):
        state, i = draw_level(state, outcome_tail, outcome_guide)
        if rewards[i] > best:
            best = rewards[i]
            pick = i
            ties = 1
        elif rewards[i] == best:
            ties += 1
            state, u = next_uniform(state)
            if u * ties < 1.0:
                pick = i
    return state, pick


@jit_parallel
def sample_chunks(seeds, chunk_len, out, n, direct, a):
    """Preconditions: a a SamplerArrays for this n, len(seeds) = ceil(len(out) / chunk_len).

    Fills ``out`` with best-of-n draws (``a.index_map`` of the outcomes);
    chunk c covers ``out[c*chunk_len : (c+1)*chunk_len]`` from seed c,
    whatever the thread. Per-draw helpers get at most three arrays: a helper
    taking nine (or the whole named tuple) was not inlined here and cost
    about 20 ns a draw in call overhead and reference counting. The draw step
    is written out again in :func:`simulate_chunks`: one ``inline="always"``
    helper for both left reference counting in the loop of the serial twin
    (17 -> 120 ns a draw; the parallel version was unchanged).
    """
    bon_tail, bon_guide, pick, start, stop = a.bon_tail, a.bon_guide, a.pick, a.start, a.stop
    within_cum, probs, rewards, index_map = a.within_cum, a.probs, a.rewards, a.index_map
    outcome_tail, outcome_guide = a.outcome_tail, a.outcome_guide
    size = out.shape[0]
    for c in prange(seeds.shape[0]):
        state = seeds[c]
        for i in range(c * chunk_len, min((c + 1) * chunk_len, size)):
            if direct:
                state, j = draw_direct(state, n, outcome_tail, outcome_guide, rewards)
                out[i] = index_map[j]
            else:
                state, level = draw_level(state, bon_tail, bon_guide)
                index = pick[level]
                if index < 0:  # several outcomes in the level
                    state, j = pick_within_level(
                        state, start[level], stop[level], within_cum, probs
                    )
                    index = index_map[j]
                out[i] = index


@jit
def add_centred(sums, x, shift):
    """Preconditions: sums of length 2 * len(x). Adds x - shift and its square."""
    m = x.shape[0]
    for k in range(m):
        d = x[k] - shift[k]
        sums[k] += d
        sums[m + k] += d * d


@jit_parallel
def simulate_chunks(seeds, chunk_len, size, n, direct, a, level_kl, outcome_estimate, shift):
    """Preconditions: as sample_chunks with pick in sorted indices, len(shift) = 4.

    Per chunk, sums of ``x - shift`` and ``(x - shift)**2`` over its draws of
    x = (log pi_n/pi of the draw's level, win against one independent
    reference draw with ties 1/2, reward, estimator value of the outcome).
    Returns an array (chunks, 8): the 4 sums then the 4 sums of squares.
    """
    bon_tail, bon_guide, pick, start, stop = a.bon_tail, a.bon_guide, a.pick, a.start, a.stop
    within_cum, probs, rewards, level_of = a.within_cum, a.probs, a.rewards, a.level_of
    outcome_tail, outcome_guide = a.outcome_tail, a.outcome_guide
    ref_tail, ref_guide, level_reward = a.ref_tail, a.ref_guide, a.level_reward
    sums = np.zeros((seeds.shape[0], 8))
    for c in prange(seeds.shape[0]):
        state = seeds[c]
        x = np.empty(4)
        for _ in range(c * chunk_len, min((c + 1) * chunk_len, size)):
            if direct:
                state, j = draw_direct(state, n, outcome_tail, outcome_guide, rewards)
                level = level_of[j]
            else:
                state, level = draw_level(state, bon_tail, bon_guide)
                j = pick[level]
                if j < 0:  # several outcomes in the level
                    state, j = pick_within_level(
                        state, start[level], stop[level], within_cum, probs
                    )
            state, other = draw_level(state, ref_tail, ref_guide)  # one reference draw
            x[0] = level_kl[level]
            x[1] = 1.0 if level > other else (0.5 if level == other else 0.0)
            x[2] = level_reward[level]  # the reward of outcome j, equal throughout its level
            x[3] = outcome_estimate[j]
            add_centred(sums[c], x, shift)
    return sums
