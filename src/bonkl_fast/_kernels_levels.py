"""Merging sorted outcomes into reward levels (Numba kernels)."""

from __future__ import annotations

import numpy as np

from ._jit import jit
from ._kernels_exact import neumaier_add, run_mass
from ._kernels_kl import chunk_levels


@jit
def single_outcome_levels(rewards_sorted, probs_sorted):
    """Preconditions: rewards ascending, same length as probs. True when every outcome is
    its own level of positive mass (no ties, no zero mass): the levels are the outcomes.

    Branch-free counts (vectorised), the common case of continuous rewards."""
    bad = 0
    for i in range(rewards_sorted.shape[0] - 1):
        bad += rewards_sorted[i + 1] == rewards_sorted[i]
    for i in range(probs_sorted.shape[0]):
        bad += not probs_sorted[i] > 0.0
    return bad == 0


@jit
def level_bounds(rewards_sorted, probs_sorted, count):
    """Preconditions: rewards ascending, probs >= 0, ``count`` levels of positive mass.

    Per level of positive mass (the mass test of ``chunk_levels``):
    ``(reward, start, stop)``, the sorted outcomes ``start:stop`` forming it.
    """
    size = rewards_sorted.shape[0]
    reward = np.empty(count)
    start = np.empty(count, dtype=np.int64)
    stop = np.empty(count, dtype=np.int64)
    level = 0
    i = 0
    while i < size:
        j = i + 1
        while j < size and rewards_sorted[j] == rewards_sorted[i]:
            j += 1
        if run_mass(probs_sorted, i, j) > 0.0:
            reward[level] = rewards_sorted[i]
            start[level] = i
            stop[level] = j
            level += 1
        i = j
    return reward, start, stop


@jit
def merge_levels(rewards_sorted, probs_sorted):
    """Preconditions: rewards ascending, probs >= 0 summing to 1, same length.

    Outcomes with equal reward form one level; levels of zero mass are dropped.
    Returns ``(reward, mass, cum, tail, start, stop)``: ``mass``, ``cum`` (the
    inclusive forward sum) and ``tail`` (the mass strictly above) from
    ``chunk_levels`` (Neumaier-compensated, the sums of the KL kernels) and
    ``start:stop`` the sorted outcomes of each level.
    """
    mass, cum, tail = chunk_levels(
        rewards_sorted, probs_sorted, 0, rewards_sorted.shape[0], 0.0, 0.0, 0.0, 0.0
    )
    reward, start, stop = level_bounds(rewards_sorted, probs_sorted, mass.shape[0])
    if 2 * mass.shape[0] <= rewards_sorted.shape[0]:
        mass = mass.copy()  # a view of an outcome-sized buffer: keep only the levels
    return reward, mass, cum, tail, start, stop


@jit
def level_span(start, stop, level):
    """Preconditions: start/stop level ranges, or both None (level l is sorted outcome l).

    ``(lo, hi)``: the sorted outcomes ``lo:hi`` of ``level`` (the None branch is
    pruned at compile time: kernels get one version per kind of levels)."""
    if start is None or stop is None:
        return level, level + 1
    return start[level], stop[level]


@jit
def outcome_levels(start, stop, size):
    """Preconditions: start/stop level ranges into ``size`` sorted outcomes.

    Level of each sorted outcome, -1 for outcomes of zero-mass levels."""
    out = np.full(size, -1, dtype=np.int64)
    for level in range(start.shape[0]):
        out[start[level] : stop[level]] = level
    return out


@jit
def compensated_cumsum(values, reverse):
    """Preconditions: values 1-D. Inclusive forward sums, or exclusive sums from the top."""
    size = values.shape[0]
    out = np.empty(size)
    total = 0.0
    comp = 0.0
    for step in range(size):
        i = size - 1 - step if reverse else step
        if reverse:
            out[i] = total + comp
        total, comp = neumaier_add(total, comp, values[i])
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
        total, comp = neumaier_add(total, comp, values[i])
    return total + comp
