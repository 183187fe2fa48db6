"""Weighted selection before sorting (Numba kernels, MATH §10).

For unsorted input most outcomes can lie below every truncation cut; they need
not be sorted. :func:`reward_histogram` spreads the rewards over
:data:`BUCKETS` equal-width buckets (a monotone map, so ties share a bucket
and every bucket boundary is a level boundary) with the probability mass and
the count of each bucket per block; :func:`split_above` then moves the
outcomes of the buckets above a chosen boundary into new arrays (keeping their
order) and sums the mass left below. Blocks are fixed by the data, so results
do not depend on the thread count.
"""

from __future__ import annotations

import numpy as np

from ._jit import jit, jit_parallel, prange
from ._kernels_check import neumaier_pair
from ._kernels_cut import cuts_for, partition_kl
from ._kernels_exact import LANES, lane_sum, log_cdf

BUCKETS = 4096
BLOCKS = 16


@jit
def bucket_of(x, low, scale):
    """Preconditions: low <= x, scale * (x - low) finite. Bucket index, monotone in x."""
    return min(int((x - low) * scale), BUCKETS - 1)


@jit
def _block_range(size, block):
    step = (size + BLOCKS - 1) // BLOCKS
    return min(block * step, size), min((block + 1) * step, size)


@jit_parallel
def reward_histogram(rewards, probs, low, scale):
    """Preconditions: rewards finite >= low, probs >= 0. Per block and bucket: the
    mass (plain sums, for choosing a cut) and the count of outcomes."""
    mass = np.zeros((BLOCKS, BUCKETS))
    count = np.zeros((BLOCKS, BUCKETS), dtype=np.int64)
    for block in prange(BLOCKS):
        lo, hi = _block_range(rewards.shape[0], block)
        for i in range(lo, hi):
            b = bucket_of(rewards[i], low, scale)
            mass[block, b] += probs[i]
            count[block, b] += 1
    return mass, count


@jit
def bucket_start(low, scale, bucket):
    """The smallest float64 x with bucket_of(x, low, scale) >= bucket (bucket_of is
    monotone, so that bucket and all above it are exactly the rewards >= x)."""
    x = low + bucket / scale
    while bucket_of(x, low, scale) >= bucket:
        x = np.nextafter(x, -np.inf)
    while bucket_of(x, low, scale) < bucket:
        x = np.nextafter(x, np.inf)
    return x


@jit
def masked_sum(rewards, probs, lo, hi, threshold):
    """Compensated sum ``(total, comp)`` of probs[lo:hi] where rewards < threshold: the
    masked values of each piece of LANES * 64 entries copied to a buffer (a loop that
    vectorises) and summed by :func:`bonkl_fast._kernels_exact.lane_sum`."""
    buffer = np.empty(LANES * 64)
    total, comp = 0.0, 0.0
    for start in range(lo, hi, buffer.shape[0]):
        size = min(buffer.shape[0], hi - start)
        r, p = rewards[start : start + size], probs[start : start + size]
        for i in range(size):
            buffer[i] = p[i] if r[i] < threshold else 0.0
        part, part_comp, _ = lane_sum(buffer, 0, size)
        total, comp = neumaier_pair(total, comp, part, part_comp)
    return total, comp


@jit_parallel
def split_above(rewards, probs, low, scale, first_bucket, count):
    """Preconditions: as reward_histogram, count from it. Outcomes in buckets
    >= first_bucket, in their original order, and the compensated mass of the others."""
    keep = np.zeros(BLOCKS + 1, dtype=np.int64)
    for block in range(BLOCKS):
        keep[block + 1] = keep[block] + count[block, first_bucket:].sum()
    threshold = bucket_start(low, scale, first_bucket)
    kept_rewards = np.empty(keep[BLOCKS])
    kept_probs = np.empty(keep[BLOCKS])
    dropped = np.zeros((BLOCKS, 2))
    for block in prange(BLOCKS):
        lo, hi = _block_range(rewards.shape[0], block)
        at = keep[block]
        for i in range(lo, hi):
            if rewards[i] >= threshold:
                kept_rewards[at] = rewards[i]
                kept_probs[at] = probs[i]
                at += 1
        total, comp = masked_sum(rewards, probs, lo, hi, threshold)
        dropped[block, 0], dropped[block, 1] = total, comp
    total, comp = 0.0, 0.0
    for block in range(BLOCKS):
        total, comp = neumaier_pair(total, comp, dropped[block, 0], dropped[block, 1])
    return kept_rewards, kept_probs, total, comp


@jit
def first_kept_bucket(mass, ns):
    """Preconditions: mass (BUCKETS,) per bucket, summing to ~1; ns ascending > 1.

    The first bucket to keep: every bucket below it lies below the truncation cut
    of every n (MATH §10), with the KL bounded from below at the bucket boundaries
    (halved, and the cut moved down by 1e-6 relative, against the rounding of the
    plain bucket sums). 0 keeps everything.
    """
    size = mass.shape[0]
    cum = np.cumsum(mass)
    tail = np.zeros(size)
    for b in range(size - 2, -1, -1):
        tail[b] = tail[b + 1] + mass[b + 1]
    lower = np.zeros(ns.shape[0])
    for b in range(size - 1):
        if cum[b] > 0.0 and tail[b] > 0.0:
            log_f = log_cdf(cum[b], tail[b])
            for j in range(ns.shape[0]):
                lower[j] = max(lower[j], 0.5 * partition_kl(log_f, tail[b], ns[j]))
    cut = cuts_for(ns, lower).min()
    if cut == -np.inf:
        return 0
    limit = cut - 1e-6 * abs(cut)
    for b in range(size - 2, -1, -1):
        if cum[b] > 0.0 and log_cdf(cum[b], tail[b]) <= limit:
            return b + 1
    return 0
