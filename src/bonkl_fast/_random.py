"""Random numbers: ``rng`` arguments and per-chunk seeds.

Public functions take ``rng: numpy.random.Generator | int | None`` (QuantEcon's
``check_random_state`` idiom). Kernels never touch NumPy's or Numba's global
random state: the wrapper draws one 64-bit seed per fixed-size chunk of work
(:mod:`bonkl_fast._chunks`) from the user's generator, and each chunk runs its
own small generator (SplitMix64, see :mod:`bonkl_fast._kernels_sampling`) from
that seed, so a seed gives the same draws bit for bit with any number of threads.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_random_state", "chunk_seeds"]


def check_random_state(rng=None) -> np.random.Generator:
    """Turn ``rng`` into a :class:`numpy.random.Generator`.

    Parameters
    ----------
    rng : numpy.random.Generator, int or None
        A generator is returned as is (and advanced by the caller); an int
        seeds a new ``default_rng``; None gives fresh OS entropy.

    Raises
    ------
    TypeError
        For anything else (including ``numpy.random.RandomState``, floats and booleans).

    Examples
    --------
    >>> check_random_state(42).integers(10, size=3)
    array([0, 7, 6])
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, (numbers.Integral, np.integer)) and not isinstance(rng, (bool, np.bool_)):
        if rng < 0:
            raise ValueError(f"rng seed must be non-negative, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}; "
        "for a legacy RandomState use numpy.random.default_rng(seed) instead"
    )


def chunk_seeds(rng: np.random.Generator, count: int) -> np.ndarray:
    """Draw ``count`` independent 64-bit seeds (uint64) from ``rng``, one per chunk."""
    return rng.integers(0, np.iinfo(np.uint64).max, size=count, dtype=np.uint64, endpoint=True)
