"""Random numbers and chunked work: ``rng`` arguments, per-chunk seeds, batches, progress.

Public functions take ``rng: numpy.random.Generator | int | None`` (QuantEcon's
``check_random_state`` idiom). Kernels never touch NumPy's or Numba's global
random state: the wrapper draws one 64-bit seed per fixed-size chunk of work
from the user's generator, and each chunk runs its own small generator
(SplitMix64, see :mod:`bonkl_fast._kernels_sampling`) from that seed. Chunks
are fixed by the problem size, not by the number of threads, so a seed gives
the same draws bit for bit with any number of threads. Long runs go in
batches of whole chunks, one kernel call each (:func:`batches`): between calls
Python handles Ctrl-C and reports progress, and the draws do not change.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import sys
import time

import numba
import numpy as np

__all__ = [
    "check_random_state",
    "chunk_seeds",
    "chunk_count",
    "chunk_len",
    "threads_for",
    "batches",
    "Progress",
]

CHUNK_LEN = 1 << 16  # draws per seeded chunk (method="inverse")
BATCH_WORK = 1 << 22  # reference draws per kernel call: tens of ms between signal checks


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


def chunk_count(total: int, chunk_len: int) -> int:
    """Number of chunks of ``chunk_len`` items (the last one possibly short)."""
    return -(-total // chunk_len)


def chunk_seeds(rng: np.random.Generator, count: int) -> np.ndarray:
    """Draw ``count`` independent 64-bit seeds (uint64) from ``rng``, one per chunk."""
    return rng.integers(0, np.iinfo(np.uint64).max, size=count, dtype=np.uint64, endpoint=True)


def chunk_len(n: int, direct: bool) -> int:
    """Draws per chunk: fixed by n and the method only, never by the thread count."""
    return min(CHUNK_LEN, max(1, CHUNK_LEN // n)) if direct else CHUNK_LEN


@contextlib.contextmanager
def threads_for(chunks: int):
    """Use no more Numba threads than chunks: a one-chunk call then starts no worker.

    Waking an idle worker costs microseconds on a quiet machine but up to a
    scheduler slice (several ms) on a busy one. Results do not depend on it.
    """
    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(before, chunks)))
    try:
        yield
    finally:
        numba.set_num_threads(before)


class Progress:
    """Progress on stderr once a run has lasted ``delay`` seconds; silent before."""

    def __init__(self, total: int, label: str, delay: float = 1.0, stream=None):
        self.total, self.label, self.delay = total, label, delay
        self.stream = sys.stderr if stream is None else stream
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.perf_counter()
        self.last = -math.inf
        self.shown = False

    def update(self, done: int) -> None:
        now = time.perf_counter()
        elapsed = now - self.start
        if elapsed < self.delay or (
            now - self.last < (0.2 if self.tty else 5.0) and done < self.total
        ):
            return
        self.last, self.shown = now, True
        frac = done / self.total if self.total else 1.0
        eta = elapsed * (1 - frac) / frac if frac > 0 else float("nan")
        bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
        text = f"{self.label} [{bar}] {100 * frac:5.1f}%  {done:,}/{self.total:,}  "
        text += f"{elapsed:.0f}s elapsed, {eta:.0f}s left"
        self.stream.write(("\r" + text) if self.tty else (text + "\n"))
        self.stream.flush()

    def close(self) -> None:
        if self.shown and self.tty:
            self.stream.write("\n")
            self.stream.flush()


def batches(seeds: np.ndarray, chunk_len: int, total: int, work_per_draw: int, progress=False):
    """Yield ``(seeds, first_draw, draws)`` batches of whole chunks, about BATCH_WORK each.

    One kernel call per batch keeps Python's signal handling (Ctrl-C) within
    tens of milliseconds, or one chunk, whatever the run's length; ``progress``
    reports on stderr between batches. The draws do not depend on the batches.
    """
    per_batch = max(numba.get_num_threads(), BATCH_WORK // (chunk_len * work_per_draw), 1)
    bar = Progress(total, "best-of-n draws") if progress else None
    try:
        for first in range(0, seeds.shape[0], per_batch):
            begin = first * chunk_len
            count = min(total, (first + per_batch) * chunk_len) - begin
            yield seeds[first : first + per_batch], begin, count
            if bar is not None:
                bar.update(begin + count)
    finally:
        if bar is not None:
            bar.close()
