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
def nan_column_means(values):
    """Preconditions: values 2-D. Mean of each column over its non-NaN entries (NaN if none)."""
    rows, cols = values.shape
    total = np.zeros(cols)
    comp = np.zeros(cols)
    count = np.zeros(cols, dtype=np.int64)
    for i in range(rows):
        for j in range(cols):
            x = values[i, j]
            if x == x:
                total[j], comp[j] = neumaier_add(total[j], comp[j], x)
                count[j] += 1
    out = np.full(cols, np.nan)
    for j in range(cols):
        if count[j] > 0:
            out[j] = (total[j] + comp[j]) / count[j]
    return out


@jit
def nan_column_sems(values, means):
    """Preconditions: values 2-D, ``means`` from :func:`nan_column_means`.

    Standard error of each column's mean: sample std (ddof 1) over its non-NaN
    entries divided by the square root of their count; NaN with fewer than 2.
    """
    rows, cols = values.shape
    total = np.zeros(cols)
    comp = np.zeros(cols)
    count = np.zeros(cols, dtype=np.int64)
    for i in range(rows):
        for j in range(cols):
            x = values[i, j]
            if x == x:
                d = x - means[j]
                total[j], comp[j] = neumaier_add(total[j], comp[j], d * d)
                count[j] += 1
    out = np.full(cols, np.nan)
    for j in range(cols):
        if count[j] > 1:
            out[j] = math.sqrt((total[j] + comp[j]) / (count[j] - 1) / count[j])
    return out
