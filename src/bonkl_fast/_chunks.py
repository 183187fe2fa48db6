"""Chunked work: fixed chunks, batches of them between Python calls, a thread cap.

Chunks are fixed by the problem size, not by the number of threads, so results
do not depend on the thread count. Long runs go in batches of whole chunks, one
kernel call each (:func:`batches`): between calls Python handles Ctrl-C and
reports progress, and the draws do not change.
"""

from __future__ import annotations

import contextlib

import numba
import numpy as np

from ._progress import Progress

__all__ = ["CHUNK_LEN", "BATCH_WORK", "chunk_count", "chunk_len", "threads_for", "batches"]

CHUNK_LEN = 1 << 16  # draws per seeded chunk (method="inverse")
BATCH_WORK = 1 << 22  # reference draws per kernel call: tens of ms between signal checks


def chunk_count(total: int, chunk_len: int) -> int:
    """Number of chunks of ``chunk_len`` items (the last one possibly short)."""
    return -(-total // chunk_len)


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
