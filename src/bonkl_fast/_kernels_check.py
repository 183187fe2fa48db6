"""Fused input checks: one pass over memory per vector, no temporaries (Numba kernels).

:func:`vector_summary` checks any float64 vector (finite, -0.0, ascending) in one
vectorised pass; :func:`probs_summary` validates a probability vector in one pass: blocks of
:data:`BLOCK` entries, each summed by :func:`bonkl_fast._kernels_exact.lane_sum`
(interleaved compensated lanes, vectorised); blocks are merged in order, so the
result does not depend on the thread count and the serial and parallel drivers agree bit for bit. A
block is scanned a second time only when it holds a bad entry (to name it).
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit, jit_parallel, prange
from ._kernels_exact import lane_sum, neumaier_add

# entries per block (fixed: results do not depend on the thread count)
BLOCK = 1 << 16
# below this many entries the serial drivers run (no thread launch, one small kernel)
PARALLEL_MIN = 1 << 17


@jit
def _probs_block(values, block, parts, bad):
    """Sum block ``block`` of values into parts[block]; record its first NaN/inf and
    first negative entry in bad[block] (-1 if none; rescanned only when needed)."""
    lo = block * BLOCK
    hi = min(lo + BLOCK, values.shape[0])
    total, comp, low = lane_sum(values, lo, hi)
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


@jit
def vector_summary(values):
    """Preconditions: values 1-D float64. ``(first non-finite index, has -0.0, first
    descent)`` in one pass: branch-free counts on the bit patterns and neighbours (a
    loop LLVM vectorises), then the indices located only where a count is positive.
    A descent is an ``i`` with ``values[i] > values[i + 1]``; indices -1 when none."""
    bits = values.view(np.uint64)
    exponent = np.uint64(0x7FF) << np.uint64(52)
    sign_only = np.uint64(1) << np.uint64(63)
    size = values.shape[0]
    nonfinite = 1 if size and (bits[size - 1] & exponent) == exponent else 0
    negative_zero = 1 if size and bits[size - 1] == sign_only else 0
    descents = 0
    head, after = bits[: max(size - 1, 0)], values[1:]
    for i in range(head.shape[0]):
        nonfinite += (head[i] & exponent) == exponent
        negative_zero += head[i] == sign_only
        descents += after[i] < values[i]
    first_bad, first_descent = -1, -1
    if nonfinite:
        first_bad = _first_index(values, True)
    if descents:
        first_descent = _first_index(values, False)
    return first_bad, negative_zero > 0, first_descent


@jit
def _first_index(values, nonfinite):
    """First non-finite entry (``nonfinite``) or first descent, -1 if none."""
    for i in range(values.shape[0]):
        if nonfinite and not math.isfinite(values[i]):
            return i
        if not nonfinite and i + 1 < values.shape[0] and values[i + 1] < values[i]:
            return i
    return -1
