"""Tilt sums over merged reward levels (Numba kernels, MATH §8).

The tilts of :mod:`bonkl_fast.policies` give all outcomes of a level the same
ratio ``policy / pi``, so their KL, win rate and expected reward are sums over
the levels of :class:`bonkl_fast._levels.Levels` (``mass`` q > 0, ascending in
reward). Each tilt uses a normalised score ``d`` per level: ascending,
``d <= 0`` with ``d[-1] == 0`` (the top level), so ``gamma * d`` never
overflows ``exp``. :func:`tilt_moments_many` sums all gammas in one pass
(fixed chunks in parallel, merged in chunk order); :func:`tilt_precise` is the
two-pass form without cancellation for tiny KL.
"""

from __future__ import annotations

import math

import numpy as np

from .._jit import jit, jit_parallel, prange
from .._kernels_exact import excess, neumaier_add
from .._kernels_kl import SCATTER

BLOCK = 256  # levels per register-accumulated block (block_log_max has one entry per block)
TILT_CHUNK = 32 * BLOCK  # levels per parallel chunk: fixed, so results ignore the thread count


# Within a block whose tilt exponents span at most TAYLOR_SPAN, exp(u) = exp(u_top) *
# exp(u - u_top) with the Taylor polynomial of degree 8 (truncation below
# 0.05^9 / 9! = 5e-18 relative): one exp per block, and a loop that vectorises.
TAYLOR_SPAN = 0.05


@jit
def block_weights(d, mass, first, last, gamma, out):
    """Preconditions: d ascending. ``out[i] = q exp(gamma d)`` for levels first .. last - 1."""
    d_block = d[first:last]  # views indexed from 0 by the loop variable: the loops vectorise
    q_block = mass[first:last]
    d_top = d_block[-1]
    top = gamma * d_top
    if top > -700.0 and gamma * (d_top - d_block[0]) <= TAYLOR_SPAN:
        base = math.exp(top)
        for i in range(d_block.shape[0]):
            x = gamma * (d_block[i] - d_top)  # in [-TAYLOR_SPAN, 0]
            p = 1.0 / 40320 + x * (1.0 / 362880)
            p = 1.0 / 720 + x * (1.0 / 5040 + x * p)
            p = 1.0 / 24 + x * (1.0 / 120 + x * p)
            p = 1.0 + x * (1.0 + x * (0.5 + x * (1.0 / 6 + x * p)))
            out[i] = q_block[i] * (base * p)
    else:
        for i in range(d_block.shape[0]):
            out[i] = q_block[i] * math.exp(gamma * d_block[i])


@jit(inline="always")
def add_level(lanes, lane, e, dev, win, reward):
    """Adds one level (weight ``e``, centred exponent ``dev``) into lane ``lane``."""
    e_dev = e * dev
    e_dev2 = e_dev * dev
    lanes[0, lane] += e
    lanes[1, lane] += e_dev
    lanes[2, lane] += e_dev2
    lanes[3, lane] += e * win
    lanes[4, lane] += e * reward
    lanes[5, lane] += e_dev2 * dev


@jit
def block_moments(weights, d, win, reward, gamma, center, lanes):
    """Preconditions: views of one block's levels, indexed from 0 (so the loops vectorise).

    Sums ``e, e dev, e dev^2, e win, e reward, e dev^3`` (``dev = gamma d - center``)
    in 4 interleaved lanes: full groups of 4 (fixed trip count), then the tail.
    """
    lanes[:] = 0.0
    count = d.shape[0]
    full = count // 4 * 4
    for group in range(0, full, 4):
        for lane in range(4):
            i = group + lane
            add_level(lanes, lane, weights[i], gamma * d[i] - center, win[i], reward[i])
    for i in range(full, count):
        add_level(lanes, i - full, weights[i], gamma * d[i] - center, win[i], reward[i])


@jit
def tilt_moments_chunk(d, mass, win, reward, gammas, centers, block_log_max, floors, lo, hi, out):
    """Preconditions: as tilt_moments_many; lo a multiple of BLOCK, out (2, 6, m) zeroed.

    Adds levels ``lo .. hi - 1`` into ``out`` (Neumaier sums and their compensations).
    Levels are taken in blocks of BLOCK (block_moments); a block whose largest possible weight
    ``max q * exp(gamma * d_last)`` is below ``exp(floors[j])`` is skipped (d
    ascending: so is every weight in it).
    """
    weights = np.empty(BLOCK)
    lanes = np.empty((6, 4))
    for first in range(lo, hi, BLOCK):
        last = min(first + BLOCK, hi)
        for j in range(gammas.shape[0]):
            gamma = gammas[j]
            if block_log_max[first // BLOCK] + gamma * d[last - 1] < floors[j]:
                continue
            block_weights(d, mass, first, last, gamma, weights)
            block_moments(
                weights[: last - first],
                d[first:last],
                win[first:last],
                reward[first:last],
                gamma,
                centers[j],
                lanes,
            )
            for row in range(6):
                block = (lanes[row, 0] + lanes[row, 1]) + (lanes[row, 2] + lanes[row, 3])
                out[0, row, j], out[1, row, j] = neumaier_add(out[0, row, j], out[1, row, j], block)


@jit_parallel
def tilt_moments_chunks(d, mass, win, reward, gammas, centers, block_log_max, floors):
    """Preconditions: as tilt_moments_many. Per-chunk sums (chunks, 2, 6, m), in parallel."""
    size = mass.shape[0]
    chunks = (size + TILT_CHUNK - 1) // TILT_CHUNK
    parts = np.zeros((chunks, 2, 6, gammas.shape[0]))
    stride = SCATTER if chunks % SCATTER else 1
    for i in prange(chunks):
        # scattered order: for large gamma whole runs of low chunks are skipped, and
        # prange hands each thread a contiguous block of i
        chunk = (i * stride) % chunks
        lo = chunk * TILT_CHUNK
        hi = min(lo + TILT_CHUNK, size)
        tilt_moments_chunk(
            d, mass, win, reward, gammas, centers, block_log_max, floors, lo, hi, parts[chunk]
        )
    return parts


@jit
def tilt_moments_many(d, mass, win, reward, gammas, centers, block_log_max, floors):
    """Preconditions: d ascending, d <= 0, d[-1] == 0; gammas >= 0; block_log_max[b]
    = max log q over levels BLOCK b .. BLOCK b + BLOCK - 1.

    One pass for all gammas, weights ``q exp(u)`` with ``u = gamma * d <= 0``.
    Returns rows ``(Z, sum q e^u (u - c), sum q e^u (u - c)^2, sum q e^u win,
    sum q e^u reward, sum q e^u (u - c)^3)`` per gamma, ``c`` the given centre.
    Fixed chunks of TILT_CHUNK levels are summed in parallel (blocks of BLOCK
    in 4 lanes of plain accumulators, rounding error at most BLOCK ulps of the
    block's absolute sum, about 1e-16 relative in practice; weights to a few
    ulps, see block_weights; block sums added with Neumaier), then merged
    serially in chunk order: the result does not depend on the thread count.
    Blocks whose weights are all below ``exp(floors[j])`` are skipped (the
    caller sets the floor so that all skipped terms together stay below 1e-20
    of the result).
    """
    m = gammas.shape[0]
    size = mass.shape[0]
    if size <= TILT_CHUNK:  # one chunk: a parallel launch costs more than it saves
        parts = np.zeros((1, 2, 6, m))
        tilt_moments_chunk(
            d, mass, win, reward, gammas, centers, block_log_max, floors, 0, size, parts[0]
        )
    else:
        parts = tilt_moments_chunks(d, mass, win, reward, gammas, centers, block_log_max, floors)
    acc = np.zeros((6, m))
    comp = np.zeros((6, m))
    for chunk in range(parts.shape[0]):
        for row in range(6):
            for j in range(m):
                acc[row, j], comp[row, j] = neumaier_add(
                    acc[row, j], comp[row, j], parts[chunk, 0, row, j]
                )
                acc[row, j], comp[row, j] = neumaier_add(
                    acc[row, j], comp[row, j], parts[chunk, 1, row, j]
                )
    return acc + comp


@jit
def tilt_precise(d, mass, win, reward, gamma, shift, total):
    """Preconditions: as tilt_moments_many; gamma * (d - shift) <= 700 everywhere.

    The reference is ``q / S`` with ``S = total`` (the caller's sum of q, or 1 when
    the caller set the top mass to 1 - G). Two passes:
    ``log Z = log1p(sum q expm1(u) / S)`` with ``u = gamma (d - shift)`` (``log(sum
    q e^u / S)`` where that sum is below 1/2: the caller caps the shift), then
    ``KL = sum q h(u - log Z) / S``, ``h(x) = x e^x - e^x + 1 >= 0`` (no
    cancellation even for tiny KL). Returns ``(KL, win rate, reward, var u)``.
    """
    zm1, zc = 0.0, 0.0
    for level in range(mass.shape[0]):
        zm1, zc = neumaier_add(zm1, zc, mass[level] * math.expm1(gamma * (d[level] - shift)))
    if (zm1 + zc) / total > -0.5:
        log_z = math.log1p((zm1 + zc) / total)
    else:  # Z e^(-gamma shift) < 1/2 (q_top < e^-700 caps the shift): Z itself, no cancelling
        zm1, zc = 0.0, 0.0
        for level in range(mass.shape[0]):
            zm1, zc = neumaier_add(zm1, zc, mass[level] * math.exp(gamma * (d[level] - shift)))
        log_z = math.log((zm1 + zc) / total)
    acc = np.zeros(5)
    comp = np.zeros(5)
    for level in range(mass.shape[0]):
        u = gamma * (d[level] - shift)
        x = u - log_z
        # q e^x is at most S, but e^x alone overflows past x = 709.78 (a subnormal q
        # tilted to a visible mass), and q x e^x in excess(x) past 703: both split
        if x <= 700.0:
            w = mass[level] * math.exp(x)
        else:  # q e^700 first (a subnormal q gains its digits back); x - 700 is exact
            w = mass[level] * math.exp(700.0) * math.exp(x - 700.0)
        term = mass[level] * excess(x) if x <= 1.0 else w * (x - 1.0) + mass[level]
        acc[0], comp[0] = neumaier_add(acc[0], comp[0], term)
        acc[1], comp[1] = neumaier_add(acc[1], comp[1], w * win[level])
        acc[2], comp[2] = neumaier_add(acc[2], comp[2], w * reward[level])
        acc[3], comp[3] = neumaier_add(acc[3], comp[3], w * u)
        acc[4], comp[4] = neumaier_add(acc[4], comp[4], w * u * u)
    sums = (acc + comp) / total
    mean_u = sums[3]
    return sums[0], sums[1], sums[2], max(sums[4] - mean_u * mean_u, 0.0)
