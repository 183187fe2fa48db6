"""Exact best-of-n KL and win rate over chunks of levels in parallel (Numba, MATH §2, §10).

:func:`kl_win_above` splits the sorted outcomes into chunks of about
:data:`bonkl_fast._kernels_kl.CHUNK` outcomes (whole levels), sums each chunk's
mass in one pass, and bounds the KL from below at every chunk boundary
(:func:`bonkl_fast._kernels_cut.partition_kl`). From that bound each n gets a
cut (:func:`bonkl_fast._kernels_cut.log_cut`): chunks wholly below every cut
are never read again, the others run :func:`bonkl_fast._kernels_kl.chunk_terms`.
Chunks are merged serially in chunk order (deterministic whatever the thread
count).
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit, jit_parallel, prange
from ._kernels_check import neumaier_pair
from ._kernels_cut import cuts_for, partition_kl
from ._kernels_exact import kl_bound_many, lane_sum, log_cdf
from ._kernels_kl import CHUNK, SCATTER, chunk_levels, chunk_terms, dropped_for_all, finish

# chunks summed in the first round from the top before the cut is tested, doubling
# per round (fixed: deterministic)
TOP_DOWN_BATCH = 8
# outcomes above which the chunks left after the cut are summed in parallel
PARALLEL_WORK = 1 << 19
LOG_2 = math.log(2.0)


@jit
def chunk_bounds(rewards_sorted, chunks):
    """Preconditions: rewards ascending. Chunk starts near multiples of CHUNK, moved up
    so that no level (run of equal rewards) straddles two chunks."""
    size = rewards_sorted.shape[0]
    bounds = np.empty(chunks + 1, dtype=np.int64)
    bounds[0] = 0
    bounds[chunks] = size
    for chunk in range(1, chunks):
        b = max(chunk * CHUNK, bounds[chunk - 1])
        while 0 < b < size and rewards_sorted[b] == rewards_sorted[b - 1]:
            b += 1
        bounds[chunk] = b
    return bounds


@jit
def chunk_offsets(masses, below, below_comp):
    """Preconditions: masses (chunks, 2) compensated chunk sums, (below, below_comp) the
    mass under the first chunk. Compensated mass under each chunk and over it."""
    chunks = masses.shape[0]
    under = np.zeros((chunks + 1, 2))
    over = np.zeros((chunks, 2))
    total, comp = below, below_comp
    for chunk in range(chunks + 1):
        under[chunk, 0], under[chunk, 1] = total, comp
        if chunk < chunks:
            total, comp = neumaier_pair(total, comp, masses[chunk, 0], masses[chunk, 1])
    total, comp = 0.0, 0.0
    for chunk in range(chunks - 1, -1, -1):
        over[chunk, 0], over[chunk, 1] = total, comp
        total, comp = neumaier_pair(total, comp, masses[chunk, 0], masses[chunk, 1])
    return under, over


@jit
def boundary_log_cdf(under, over, chunk):
    """log F at the top of ``chunk`` (-inf when the chunk and all below it are empty)."""
    cum = under[chunk + 1, 0] + under[chunk + 1, 1]
    return log_cdf(cum, over[chunk, 0] + over[chunk, 1]) if cum > 0.0 else -math.inf


@jit
def lower_bounds(masses, under, over, ns):
    """Per n, the largest partition_kl over the chunk boundaries (and the bottom one,
    if there is mass below the first chunk): a lower bound of the KL."""
    chunks = over.shape[0]
    lower = np.zeros(ns.shape[0])
    for chunk in range(-1, chunks - 1):
        if chunk >= 0:
            log_f = boundary_log_cdf(under, over, chunk)
            tail = over[chunk, 0] + over[chunk, 1]
        else:
            below = under[0, 0] + under[0, 1]
            tail = (masses[0, 0] + masses[0, 1]) + (over[0, 0] + over[0, 1])
            log_f = log_cdf(below, tail) if below > 0.0 else -math.inf
        for j in range(ns.shape[0]):
            lower[j] = max(lower[j], partition_kl(log_f, tail, ns[j]))
    return lower


@jit
def drop_chunk(ns, mass, mass_comp, cum_low, cum_high, out):
    """A chunk dropped for every n: the n < 2 forms add q to the KL and
    ``-q (G + q/2)``, summed over the chunk ``-(F_high^2 - F_low^2)/2``, to W - 1/2."""
    for j in range(ns.shape[0]):
        if ns[j] < 2.0:
            out[0, j] += mass
            out[1, j] += mass_comp
            out[2, j] -= (mass + mass_comp) * (0.5 * (cum_low + cum_high))


@jit
def masses_from_top(probs_sorted, bounds, ns):
    """Preconditions: as kl_win_above with nothing below. Compensated chunk masses, summed
    serially from the top in rounds (TOP_DOWN_BATCH chunks, doubling) until a boundary with
    F >= 1/2 lies below the cut of every n (MATH §10; the boundaries above it bound the
    KL from below). Preconditions: cut_possible(ns).

    Returns ``(masses, first, S, S_comp)``: chunks below ``first`` were not read (their
    mass is ``1 - S``, S the compensated mass from ``first`` up, accurate as ``S <= 1/2``).
    """
    chunks = bounds.shape[0] - 1
    masses = np.zeros((chunks, 2))
    lower = np.zeros(ns.shape[0])
    tail, tail_comp = 0.0, 0.0
    first = chunks
    batch = TOP_DOWN_BATCH
    while first > 0:
        lo = max(0, first - batch)
        batch *= 2  # a number of rounds (parallel launches) logarithmic in the chunks
        for chunk in range(lo, first):  # serial: a vectorised pass bound by memory
            total, comp, _ = lane_sum(probs_sorted, bounds[chunk], bounds[chunk + 1])
            masses[chunk, 0], masses[chunk, 1] = total, comp
        for chunk in range(first - 1, lo - 1, -1):
            tail, tail_comp = neumaier_pair(tail, tail_comp, masses[chunk, 0], masses[chunk, 1])
            above = tail + tail_comp
            if chunk > 0 and above <= 0.5:  # the boundary under this chunk
                for j in range(ns.shape[0]):
                    lower[j] = max(lower[j], partition_kl(math.log1p(-above), above, ns[j]))
        first = lo
        above = tail + tail_comp
        if first == 0 or above > 0.5:
            continue
        if dropped_for_all(math.log1p(-above), ns, cuts_for(ns, lower)):
            break
    return masses, first, tail, tail_comp


@jit
def cut_possible(ns):
    """True if kl_bound(n), an upper bound of the KL, puts a cut above F = 1/2 for every
    n: only then can masses_from_top stop before the bottom chunk."""
    return dropped_for_all(-LOG_2, ns, cuts_for(ns, kl_bound_many(ns)))


@jit_parallel
def chunk_masses(probs_sorted, bounds):
    """Compensated mass of every chunk, in parallel (a pass bound by memory)."""
    chunks = bounds.shape[0] - 1
    masses = np.empty((chunks, 2))
    for chunk in prange(chunks):
        total, comp, _ = lane_sum(probs_sorted, bounds[chunk], bounds[chunk + 1])
        masses[chunk, 0], masses[chunk, 1] = total, comp
    return masses


@jit
def one_minus(tail, tail_comp):
    """The compensated pair ``1 - (tail + tail_comp)`` (TwoSum of 1 and -tail)."""
    total = 1.0 - tail
    back = total - 1.0
    comp = (1.0 - (total - back)) + (-tail - back)
    return total, comp - tail_comp


@jit_parallel
def kl_win_chunks(rewards_sorted, probs_sorted, ns, bounds, masses, below, below_comp):
    """Preconditions: as kl_win_above; bounds from chunk_bounds, masses their compensated
    sums, (below, below_comp) the mass under the first chunk, dropped for every n.

    Per-chunk (KL, W) partial sums (chunks + 1, 4, m), the last row for the mass below.
    """
    chunks = bounds.shape[0] - 1
    under, over = chunk_offsets(masses, below, below_comp)
    log_cuts = cuts_for(ns, lower_bounds(masses, under, over, ns))
    parts = np.zeros((chunks + 1, 4, ns.shape[0]))
    drop_chunk(ns, below, below_comp, 0.0, below + below_comp, parts[chunks])
    stride = SCATTER if chunks % SCATTER else 1
    for i in prange(chunks):
        # prange hands each thread a contiguous block of i; visiting the chunks in a
        # scattered order balances the threads when whole runs of low chunks are dropped
        chunk = (i * stride) % chunks
        low = under[chunk, 0] + under[chunk, 1]
        top = boundary_log_cdf(under, over, chunk)
        if chunk < chunks - 1 and dropped_for_all(top, ns, log_cuts):
            high = under[chunk + 1, 0] + under[chunk + 1, 1]
            drop_chunk(ns, masses[chunk, 0], masses[chunk, 1], low, high, parts[chunk])
            continue
        mass, cum, tail = chunk_levels(
            rewards_sorted,
            probs_sorted,
            bounds[chunk],
            bounds[chunk + 1],
            under[chunk, 0],
            under[chunk, 1],
            over[chunk, 0],
            over[chunk, 1],
        )
        if mass.shape[0] == 0:
            continue
        if low > 0.0:
            rest = masses[chunk, 0] + (masses[chunk, 1] + over[chunk, 0] + over[chunk, 1])
            log_g = log_cdf(low, rest)
        else:
            log_g = -math.inf
        chunk_terms(mass, cum, tail, low, log_g, ns, log_cuts, parts[chunk])
    return parts


@jit
def merge_parts(parts):
    """Preconditions: parts (chunks, 4, m) from kl_win_chunks. Rows summed in chunk order."""
    chunks, rows, m = parts.shape
    sums = np.zeros((4, m))
    for j in range(m):
        for row in (0, 2):
            total, comp = 0.0, 0.0
            for chunk in range(chunks):
                part, part_comp = parts[chunk, row, j], parts[chunk, row + 1, j]
                total, comp = neumaier_pair(total, comp, part, part_comp)
            sums[row, j], sums[row + 1, j] = total, comp
    return sums


@jit
def kl_win_plan(rewards_sorted, probs_sorted, ns, below, below_comp):
    """Preconditions: as kl_win_above. ``(bounds, masses, below, below_comp)`` of the chunks
    not below every cut: chunk bounds, their compensated masses, and the mass under them."""
    chunks = max(1, (rewards_sorted.shape[0] + CHUNK - 1) // CHUNK)
    bounds = chunk_bounds(rewards_sorted, chunks)
    if below > 0.0 or not cut_possible(ns):  # after selection, or no cut: sum every chunk
        return bounds, chunk_masses(probs_sorted, bounds), below, below_comp
    masses, first, above, above_comp = masses_from_top(probs_sorted, bounds, ns)
    if first > 0:
        below, below_comp = one_minus(above, above_comp)
    return bounds[first:], masses[first:], below, below_comp


@jit
def kl_win_merge(parts, ns):
    """(KL, W) per n from kl_win_chunks' partial sums."""
    return finish(merge_parts(parts), ns)


def kl_win_above(rewards_sorted, probs_sorted, ns, below, below_comp):
    """Preconditions: rewards ascending, probs >= 0, ns ascending > 1, (below, below_comp)
    the compensated mass of the outcomes left out under these (dropped for every n,
    MATH §10), below + sum(probs) = 1. (KL, W) per n: the chunks not below every cut
    in parallel when they hold more than PARALLEL_WORK outcomes, else serially (a
    parallel launch costs more than it saves there, much more on a busy machine)."""
    bounds, masses, below, below_comp = kl_win_plan(
        rewards_sorted, probs_sorted, ns, below, below_comp
    )
    parallel = bounds[-1] - bounds[0] > PARALLEL_WORK
    kernel = kl_win_chunks if parallel else kl_win_chunks.serial
    parts = kernel(rewards_sorted, probs_sorted, ns, bounds, masses, below, below_comp)
    return kl_win_merge(parts, ns)


def kl_win_parallel(rewards_sorted, probs_sorted, ns):
    """Preconditions: as kl_win_serial. (KL, W) per n over chunks of CHUNK outcomes,
    in parallel where there is enough work (:func:`kl_win_above`)."""
    return kl_win_above(rewards_sorted, probs_sorted, ns, 0.0, 0.0)
