"""Monte Carlo best-of-n: draws in O(log K) whatever n is (MATH §6).

:func:`sample_best_of_n` draws best-of-n outcomes with one uniform per draw in
tail space (:mod:`bonkl_fast.simulation` turns draws into estimates with
standard errors next to the exact values). ``method="direct"`` runs the
literal procedure (n reference draws per selection, best kept, ties broken
uniformly at random): the test oracle, O(n) per draw.

Draws are split into fixed chunks, each seeded from ``rng``: the same seed
gives the same draws bit for bit with any number of Numba threads, with or
without ``progress``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from . import _kernels_sampler_tables as tables
from . import _kernels_sampling as ks
from ._chunks import batches, chunk_count, chunk_len, threads_for
from ._kernels_levels import compensated_cumsum
from ._levels import Levels, prepare_levels
from ._random import check_random_state, chunk_seeds
from ._validate import as_integer_n

__all__ = ["sample_best_of_n"]

_METHODS = ("inverse", "direct")

# draws per call at most: one 64-bit seed per 65,536 draws stays below 1 GB of seeds
MAX_DRAWS = 2**43


def _as_size(size) -> tuple[int, ...]:
    """Validate ``size`` (non-negative int or tuple of them) into a shape tuple."""
    items = size if isinstance(size, tuple) else (size,)
    for item in items:
        if isinstance(item, (bool, np.bool_)) or not isinstance(
            item, (numbers.Integral, np.integer)
        ):
            raise TypeError(
                f"size must be a non-negative int or a tuple of them, got {size!r}; "
                "write 10**6 rather than 1e6"
            )
        if item < 0:
            raise ValueError(f"size must be non-negative, got {size!r}")
    shape = tuple(int(item) for item in items)
    if math.prod(shape) > MAX_DRAWS:
        digits = len(str(math.prod(shape)))
        raise ValueError(
            f"size asks for a {digits}-digit number of draws, more than 2**43 = {MAX_DRAWS:,}; "
            "split the run into several calls with independent seeds"
        )
    return shape


def _check_method(method) -> bool:
    if method not in _METHODS:
        raise ValueError(f"method must be 'inverse' or 'direct', got {method!r}")
    return method == "direct"


def _guide_buckets(levels: int) -> int:
    """Guide-table size: a power of 2, about 8 buckets per level, at most 2**16 (512 kB).

    With several buckets per level most draws land in a bucket holding no
    threshold and need no comparison at all (no mispredicted branch); the cap
    keeps the table in the L2 cache when there are many levels.
    """
    return 1 << min(max(levels - 1, 1).bit_length() + 3, 16)


_NO_FLOATS = np.empty(0)
_NO_INTS = np.empty(0, dtype=np.int64)
MAX_DIRECT_DRAWS = 1 << 28  # n * size reference draws of method="direct": seconds, not hours


def _sampler_arrays(levels: Levels, n: int, direct: bool, simulate: bool) -> ks.SamplerArrays:
    """The arrays the kernels need (others left empty): O(K), no K-sized temporaries.

    Draws return the caller's indices for sampling, sorted indices for simulation.
    For the method "inverse" the per-level tables are written over ``levels.cum``
    and ``levels.mass`` (1 - F**n over F, the picks over q), which the draws do not
    read: ``levels`` is spent afterwards (its caller made it and drops it).
    """
    probs, order, bounds = levels.probs_sorted, levels.order, levels.bounds
    arrays: dict[str, np.ndarray] = dict.fromkeys(ks.SamplerArrays._fields, _NO_FLOATS)
    arrays.update(probs=probs, level_reward=levels.reward, pick=_NO_INTS, bon_guide=_NO_INTS)
    arrays.update(ref_guide=_NO_INTS, outcome_guide=_NO_INTS, index_map=_NO_INTS)
    arrays.update(level_of=_NO_INTS, start=_NO_INTS, stop=_NO_INTS)
    if bounds is not None:
        arrays.update(start=bounds[0], stop=bounds[1])
    if not simulate:  # draws are returned in the caller's order
        index_map = np.arange(probs.shape[0]) if order is None else order
        arrays["index_map"] = index_map.astype(np.int64, copy=False)
    buckets = _guide_buckets(levels.mass.shape[0])
    if direct:
        outcome_tail = compensated_cumsum(probs, True)  # mass strictly above each outcome
        guide = tables.build_guide(outcome_tail, _guide_buckets(probs.shape[0]))
        arrays.update(outcome_tail=outcome_tail, outcome_guide=guide)
        arrays["rewards"] = levels.rewards if order is None else levels.rewards[order]
        if simulate:
            arrays["level_of"] = levels.level_of
    else:
        bon_tail = tables.best_of_n_tails(levels.cum, levels.tail, float(n), levels.cum)
        pick = levels.mass.view(np.int64)
        if bounds is None:  # one outcome per level: level l is sorted outcome l
            arrays["probs"] = _NO_FLOATS  # probs_sorted is mass: now the picks
            if simulate:
                tables.fill_identity(pick)
            else:
                pick = arrays["index_map"]
        else:
            tables.single_outcomes(probs, *bounds, pick)
            if (pick < 0).any():  # some level holds several outcomes of positive probability
                arrays["within_cum"] = tables.level_cumsums(probs, *bounds)
            if not simulate:
                tables.map_indices(pick, arrays["index_map"])
        arrays.update(bon_tail=bon_tail, bon_guide=tables.build_guide(bon_tail, buckets), pick=pick)
    if simulate:
        arrays.update(ref_tail=levels.tail, ref_guide=tables.build_guide(levels.tail, buckets))
    return ks.SamplerArrays(**arrays)


def _prepare(probs, rewards, n, size, method, rng, normalize, simulate=False):
    """Validate everything, then draw one seed per chunk (a simulation uses the reward
    values and, for the method "inverse", sorted indices only: see prepare_levels)."""
    keep_order = not simulate or method == "direct"
    levels = prepare_levels(
        probs, rewards, normalize=normalize, order_only=not simulate, keep_order=keep_order
    )
    n = as_integer_n(n)
    shape = _as_size(size)
    direct = _check_method(method)
    total = math.prod(shape)
    if direct and n * total > MAX_DIRECT_DRAWS:
        raise ValueError(
            f"method='direct' would make n x size = {n * total:.3g} reference draws, more than "
            f"its limit {MAX_DIRECT_DRAWS:.3g} (seconds of work); use method='inverse' (the same "
            "distribution, O(log K) per draw whatever n is) or fewer draws"
        )
    rng = check_random_state(rng)
    chunk_size = chunk_len(n, direct)
    seeds = chunk_seeds(rng, chunk_count(total, chunk_size))
    return levels, n, shape, direct, total, chunk_size, seeds


def sample_best_of_n(probs, rewards, n, size, *, rng=None, method="inverse", normalize=False):
    """Draw best-of-n outcomes from a discrete reference.

    Parameters
    ----------
    probs : array_like, shape (K,)
        Reference probabilities (validated as in :func:`bonkl_fast.bon_pmf`).
    rewards : array_like, shape (K,)
        Finite rewards; equal rewards are ties (MATH §1).
    n : int
        Number of reference draws best-of-n chooses from, integer ``1 <= n <= 2**53``.
    size : int or tuple of int
        Shape of the output.
    rng : numpy.random.Generator, int or None
        Source of randomness; an int is a seed.
    method : {"inverse", "direct"}
        ``"inverse"`` (default): MATH §6, O(log K) per draw for every n.
        ``"direct"``: the literal procedure, n reference draws by inverse CDF,
        best reward kept, ties broken uniformly among tied draws; O(n) per draw.
    normalize : bool
        Divide ``probs`` by their sum instead of requiring it to be 1.

    Returns
    -------
    ndarray of int64, shape ``size``
        Indices into ``probs``, distributed as :func:`bonkl_fast.bon_pmf`.

    Raises
    ------
    ValueError, TypeError
        Invalid reference, ``n`` not an integer >= 1, negative or non-integer
        ``size``, unknown ``method``, ``n * size`` over the cap of ``"direct"``,
        or ``rng`` of the wrong type.

    Notes
    -----
    MATH §6: with ``U`` uniform, ``t = -expm1(log(U) / n)`` is the reference
    mass above the maximum of n uniforms and the draw's level is the lowest
    with tail ``S <= t``, so ``P(level <= l) = F_l**n``. The kernel applies
    the monotone map to the L thresholds once instead of to every uniform:
    with ``u = 1 - U``, ``t >= S_l`` iff ``u >= 1 - F_l**n``, and the
    best-of-n tails ``1 - F_l**n = -expm1(n log F_l)`` keep full relative
    precision at any n. One uniform per draw then finds the level by a guide
    table and a binary search (O(1) expected, O(log K) at worst, independent
    of n); a level holding several outcomes of positive probability takes a
    second uniform to pick one in proportion to ``probs``. Uniforms have 53
    bits, so outcomes of best-of-n probability below about 1e-16 are not
    resolved. Chunks of 65536 draws run in parallel, each from its own seed:
    results do not depend on the number of threads. Long runs go in batches of
    chunks, one kernel call each, so Ctrl-C interrupts them within a fraction
    of a second. Setup costs O(K log K) (sorting) per call; ``"direct"`` costs
    O(n) per draw (O(n log K) at worst) and is capped at ``n * size <= 2**28``.

    Examples
    --------
    >>> sample_best_of_n([0.5, 0.3, 0.2], [1.0, 2.0, 3.0], n=4, size=8, rng=0)
    array([1, 1, 1, 2, 1, 2, 1, 1])
    >>> draws = sample_best_of_n([0.5, 0.3, 0.2], [1.0, 2.0, 3.0], n=4, size=10**6, rng=0)
    >>> (np.bincount(draws) / draws.size).round(3)  # bon_pmf: 0.0625, 0.3471, 0.5904
    array([0.063, 0.347, 0.59 ])
    >>> draws = sample_best_of_n([0.5, 0.5], [0.0, 1.0], n=10**12, size=(2, 3), rng=1)
    >>> draws.tolist()  # outcome 1 wins unless all 10**12 draws are outcome 0
    [[1, 1, 1], [1, 1, 1]]
    """
    levels, n, shape, direct, total, chunk_size, seeds = _prepare(
        probs, rewards, n, size, method, rng, normalize
    )
    out = np.empty(total, dtype=np.int64)
    if total:
        arrays = _sampler_arrays(levels, n, direct, False)
        for part, first, count in batches(seeds, chunk_size, total, n if direct else 1):
            with threads_for(part.shape[0]):
                ks.sample_chunks(part, chunk_size, out[first : first + count], n, direct, arrays)
    return out.reshape(shape)
