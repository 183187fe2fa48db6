"""Fused input checks: one pass over memory per vector, no temporaries (Numba kernels).

:func:`probs_summary` validates a probability vector in one pass: blocks of
:data:`BLOCK` entries, each summed in four interleaved compensated (TwoSum)
lanes; blocks are merged in order, so the result does not depend on
the thread count and the serial and parallel drivers agree bit for bit. A
block is scanned a second time only when it holds a bad entry (to name it).
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit, jit_parallel, prange
from ._kernels_exact import neumaier_add

# entries per block (fixed: results do not depend on the thread count)
BLOCK = 1 << 16
# below this many entries the serial drivers run (no thread launch, one small kernel)
PARALLEL_MIN = 1 << 17


# four compensated lanes (t0, c0, t1, c1, t2, c2, t3, c3), all zero
NO_LANES = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


@jit
def lanes_sum(values, lo, hi):
    """Preconditions: 0 <= lo <= hi <= len(values). Neumaier sum of values[lo:hi] and
    its minimum, in four independent lanes (no loop-carried dependence between lanes)."""
    lanes = NO_LANES
    low = math.inf
    i = lo
    while i + 4 <= hi:
        x0, x1, x2, x3 = values[i], values[i + 1], values[i + 2], values[i + 3]
        low = min(low, min(min(x0, x1), min(x2, x3)))
        lanes = add_four(lanes, x0, x1, x2, x3)
        i += 4
    while i < hi:
        low = min(low, values[i])
        lanes = add_first(lanes, values[i])
        i += 1
    total, comp = combine_lanes(lanes)
    return total, comp, low


@jit(inline="always")
def add_four(lanes, x0, x1, x2, x3):
    """Add x0, x1, x2, x3 to the four compensated lanes, one value each."""
    t0, c0, t1, c1, t2, c2, t3, c3 = lanes
    t0, c0 = two_sum_add(t0, c0, x0)
    t1, c1 = two_sum_add(t1, c1, x1)
    t2, c2 = two_sum_add(t2, c2, x2)
    t3, c3 = two_sum_add(t3, c3, x3)
    return t0, c0, t1, c1, t2, c2, t3, c3


@jit(inline="always")
def add_first(lanes, x):
    """Add x to the first of the four compensated lanes (the entries left over)."""
    t0, c0, t1, c1, t2, c2, t3, c3 = lanes
    t0, c0 = two_sum_add(t0, c0, x)
    return t0, c0, t1, c1, t2, c2, t3, c3


@jit
def combine_lanes(lanes):
    """The compensated sum (total, comp) of four compensated lanes, in lane order."""
    t0, c0, t1, c1, t2, c2, t3, c3 = lanes
    total, comp = neumaier_pair(t0, c0, t1, c1)
    total, comp = neumaier_pair(total, comp, t2, c2)
    return neumaier_pair(total, comp, t3, c3)


@jit
def two_sum_add(total, comp, x):
    """Compensated step by Knuth's TwoSum (exact rounding error, no branch or select)."""
    t = total + x
    back = t - total
    comp += (total - (t - back)) + (x - back)
    return t, comp


@jit
def _probs_block(values, block, parts, bad):
    """Sum block ``block`` of values into parts[block]; record its first NaN/inf and
    first negative entry in bad[block] (-1 if none; rescanned only when needed)."""
    lo = block * BLOCK
    hi = min(lo + BLOCK, values.shape[0])
    total, comp, low = lanes_sum(values, lo, hi)
    parts[block, 0], parts[block, 1] = total, comp
    bad[block, 0], bad[block, 1] = -1, -1
    if math.isfinite(total) and low >= 0.0:
        return
    for i in range(lo, hi):
        if bad[block, 0] < 0 and not math.isfinite(values[i]):
            bad[block, 0] = i
        if bad[block, 1] < 0 and values[i] < 0.0:
            bad[block, 1] = i


@jit
def _merge_blocks(parts, bad):
    """(first non-finite index, first negative index, compensated total) over the blocks."""
    total, comp = 0.0, 0.0
    nonfinite, negative = -1, -1
    for block in range(parts.shape[0]):
        total, comp = neumaier_pair(total, comp, parts[block, 0], parts[block, 1])
        if nonfinite < 0:
            nonfinite = bad[block, 0]
        if negative < 0:
            negative = bad[block, 1]
    return nonfinite, negative, total + comp


@jit
def neumaier_pair(total, comp, x, x_comp):
    """Add the compensated pair (x, x_comp) to (total, comp)."""
    total, comp = neumaier_add(total, comp, x)
    return total, comp + x_comp


@jit_parallel
def probs_summary_parallel(values):
    """Preconditions: values 1-D float64. ``(first non-finite index, first negative
    index, compensated sum)`` in one pass; indices -1 when there is none."""
    blocks = (values.shape[0] + BLOCK - 1) // BLOCK
    parts = np.empty((blocks, 2))
    bad = np.empty((blocks, 2), dtype=np.int64)
    for block in prange(blocks):
        _probs_block(values, block, parts, bad)
    return _merge_blocks(parts, bad)


def probs_summary_serial(values: np.ndarray):
    """:func:`probs_summary_parallel` run serially (its twin: the same bits, no thread launch)."""
    return probs_summary_parallel.serial(values)


def probs_summary(values: np.ndarray):
    """``(first non-finite index, first negative index, compensated sum)`` of a float64
    vector, one pass over memory (serial below PARALLEL_MIN entries)."""
    if values.shape[0] < PARALLEL_MIN:
        return probs_summary_serial(values)
    return probs_summary_parallel(values)
