"""Row bookkeeping for banks: group codes and per-column summaries over groups (Numba kernels)."""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit
from ._kernels_exact import neumaier_add


@jit
def first_appearance_codes(ids, low, span):
    """Preconditions: low <= ids < low + span. Codes 0.. in order of first appearance, and
    the row of each group's first appearance."""
    lookup = np.full(span, -1, dtype=np.int64)
    codes = np.empty(ids.shape[0], dtype=np.int64)
    first = np.empty(ids.shape[0], dtype=np.int64)
    count = 0
    for i in range(ids.shape[0]):
        slot = ids[i] - low
        if lookup[slot] < 0:
            lookup[slot] = count
            first[count] = i
            count += 1
        codes[i] = lookup[slot]
    return codes, first[:count]


@jit
def column_scales(values):
    """Preconditions: values 2-D. Per column the power of two in (m/2, m], m its largest
    |non-NaN entry| (1 for a column of zeros or NaN): dividing by it is exact and keeps
    sums and squares from overflowing."""
    rows, cols = values.shape
    largest = np.zeros(cols)
    for i in range(rows):
        for j in range(cols):
            x = abs(values[i, j])
            if x > largest[j]:  # False for NaN
                largest[j] = x
    out = np.ones(cols)
    for j in range(cols):
        if largest[j] > 0.0:
            out[j] = math.ldexp(1.0, math.frexp(largest[j])[1] - 1)
    return out


@jit
def _scaled_column_sums(values, scale, centres, square):
    """Preconditions: values 2-D, scale and centres per column. Per column, over the
    non-NaN entries x: the compensated sum of ``d = x / s - c / s`` (or of ``d * d``
    with ``square``) and the count of entries."""
    rows, cols = values.shape
    total = np.zeros(cols)
    comp = np.zeros(cols)
    count = np.zeros(cols, dtype=np.int64)
    for i in range(rows):
        for j in range(cols):
            x = values[i, j]
            if x == x:
                d = x / scale[j] - centres[j] / scale[j]
                total[j], comp[j] = neumaier_add(total[j], comp[j], d * d if square else d)
                count[j] += 1
    return total + comp, count


@jit
def nan_column_means(values):
    """Preconditions: values 2-D. Mean of each column over its non-NaN entries (NaN if none).

    Summed as ``x / s`` with ``s`` from :func:`column_scales`: the same bits where
    nothing overflows, and a finite mean of values near the float64 maximum."""
    scale = column_scales(values)
    sums, count = _scaled_column_sums(values, scale, np.zeros(values.shape[1]), False)
    out = np.full(values.shape[1], np.nan)
    for j in range(values.shape[1]):
        if count[j] > 0:
            out[j] = sums[j] / count[j] * scale[j]
    return out


@jit
def nan_column_sems(values, means):
    """Preconditions: values 2-D, ``means`` from :func:`nan_column_means`.

    Standard error of each column's mean: sample std (ddof 1) over its non-NaN
    entries divided by the square root of their count; NaN with fewer than 2.
    Deviations are scaled by :func:`column_scales` (exact) so their squares
    neither overflow nor, for tiny values, underflow.
    """
    scale = column_scales(values)
    sums, count = _scaled_column_sums(values, scale, means, True)
    out = np.full(values.shape[1], np.nan)
    for j in range(values.shape[1]):
        if count[j] > 1:
            out[j] = math.sqrt(sums[j] / (count[j] - 1) / count[j]) * scale[j]
    return out
