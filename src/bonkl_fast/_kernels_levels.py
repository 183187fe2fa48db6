"""Merging sorted outcomes into reward levels (Numba kernels)."""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit


@jit
def merge_levels(rewards_sorted, probs_sorted):
    """Preconditions: rewards ascending, probs >= 0 summing to 1, same length.

    Outcomes with equal reward form one level; levels of zero mass are dropped.
    Returns ``(reward, mass, cum, tail, start, stop, level_of)`` where ``cum``
    is the inclusive forward sum and ``tail`` the mass strictly above (both
    Neumaier-compensated), ``start:stop`` the outcomes of each level and
    ``level_of`` the level of each sorted outcome (-1 for zero-mass levels).
    """
    size = rewards_sorted.shape[0]
    reward = np.empty(size)
    mass = np.empty(size)
    start = np.empty(size, dtype=np.int64)
    stop = np.empty(size, dtype=np.int64)
    level_of = np.full(size, -1, dtype=np.int64)
    count = 0
    i = 0
    while i < size:
        j = i
        total = 0.0
        comp = 0.0
        while j < size and rewards_sorted[j] == rewards_sorted[i]:
            x = probs_sorted[j]
            t = total + x
            comp += (total - t) + x if abs(total) >= abs(x) else (x - t) + total
            total = t
            j += 1
        total += comp
        if total > 0.0:
            reward[count] = rewards_sorted[i]
            mass[count] = total
            start[count] = i
            stop[count] = j
            level_of[i:j] = count
            count += 1
        i = j
    mass = mass[:count]
    cum = _compensated_cumsum(mass, False)
    tail = _compensated_cumsum(mass, True)
    return reward[:count], mass, cum, tail, start[:count], stop[:count], level_of


@jit
def _compensated_cumsum(values, reverse):
    """Preconditions: values 1-D. Inclusive forward sums, or exclusive sums from the top."""
    size = values.shape[0]
    out = np.empty(size)
    total = 0.0
    comp = 0.0
    for step in range(size):
        i = size - 1 - step if reverse else step
        if reverse:
            out[i] = total + comp
        x = values[i]
        t = total + x
        comp += (total - t) + x if abs(total) >= abs(x) else (x - t) + total
        total = t
        if not reverse:
            out[i] = total + comp
    return out


@jit
def compensated_sum(values):
    """Preconditions: values 1-D finite. Neumaier sum: the correctly rounded sum in all
    but astronomically rare cases, hence independent of the order of ``values``."""
    total = 0.0
    comp = 0.0
    for i in range(values.shape[0]):
        x = values[i]
        t = total + x
        comp += (total - t) + x if abs(total) >= abs(x) else (x - t) + total
        total = t
    return total + comp


@jit
def first_nonfinite(values):
    """Preconditions: values 1-D float64. Index of the first NaN or +-inf, or -1.

    A branch-free count of all-ones exponents (NaN and +-inf) that LLVM
    vectorises; the index is searched only when there is one.
    """
    bits = values.view(np.uint64)
    exponent = np.uint64(0x7FF) << np.uint64(52)
    found = 0
    for i in range(bits.shape[0]):
        found += (bits[i] & exponent) == exponent
    if found == 0:
        return -1
    for i in range(values.shape[0]):
        if not math.isfinite(values[i]):
            return i
    return -1


@jit
def first_negative(values):
    """Preconditions: values 1-D float64. Index of the first entry < 0, or -1."""
    for i in range(values.shape[0]):
        if values[i] < 0.0:
            return i
    return -1


@jit
def first_descent(values):
    """Preconditions: values 1-D float64. First i with values[i] > values[i+1], or -1.

    Counts descents branch-free first (vectorised), then locates the first one."""
    descents = 0
    for i in range(values.shape[0] - 1):
        descents += values[i + 1] < values[i]
    if descents == 0:
        return -1
    for i in range(values.shape[0] - 1):
        if values[i + 1] < values[i]:
            return i
    return -1


@jit
def has_negative_zero(values):
    """Preconditions: values 1-D float64. True if some entry is -0.0 (bit test, vectorised)."""
    bits = values.view(np.uint64)
    sign_only = np.uint64(1) << np.uint64(63)
    found = 0
    for i in range(bits.shape[0]):
        found += bits[i] == sign_only
    return found > 0
