"""Group ids of a bank's samples: integer codes in order of first appearance, or a clear error."""

from __future__ import annotations

import numpy as np

from ._kernels_bank_rows import first_appearance_codes
from ._kernels_sort import stable_argsort

__all__ = ["factorize"]


def _fits_int64(ids: np.ndarray) -> bool:
    if ids.dtype.kind != "u":
        return True
    return int(ids.max()) < 2**62


def _is_missing(group) -> bool:
    """None, a float NaN, NumPy's or pandas' NaT, or pandas' NA (without importing pandas)."""
    if group is None:
        return True
    if isinstance(group, (float, np.floating)):
        return group != group
    if isinstance(group, (np.datetime64, np.timedelta64)):
        return bool(np.isnat(group))
    return type(group).__name__ in ("NAType", "NaTType")


def _is_bool(group) -> bool:
    return isinstance(group, (bool, np.bool_))


def _as_id_array(groups, size: int) -> np.ndarray:
    """The ids as a 1-D array that keeps distinct ids distinct (object dtype where needed)."""
    if isinstance(groups, (str, bytes)):
        raise TypeError(
            f"groups must hold one id per sample, got the single string {groups!r}; "
            "pass a list or array of ids (e.g. [prompt_id] * n_samples)"
        )
    try:
        ids = np.asarray(groups)
    except ValueError:  # ids of different lengths (tuples (1, 2) and (3,)): kept as objects
        ids = np.empty(len(groups), dtype=object)
    from_list = not isinstance(groups, np.ndarray) and ids.ndim >= 1 and len(groups) == size
    if from_list and (
        ids.dtype.kind in "USO"  # np.asarray turns [1, "1"] into equal strings, NaN into "nan"
        or ids.ndim > 1  # tuples as ids
        or (ids.dtype.kind in "iuf" and any(_is_bool(g) for g in groups))  # [True, 1] -> [1, 1]
    ):
        ids = np.empty(size, dtype=object)
        ids[:] = list(groups)
        if all(isinstance(g, str) for g in ids):
            ids = ids.astype(str)  # all strings: nothing to keep apart, plain str dtype
    return ids


def _check_missing(ids: np.ndarray) -> None:
    bad = None
    if ids.dtype == object:
        bad = next((i for i, g in enumerate(ids) if _is_missing(g)), None)
    elif ids.dtype.kind == "f" and np.isnan(ids).any():
        bad = int(np.flatnonzero(np.isnan(ids))[0])
    elif ids.dtype.kind in "mM" and np.isnat(ids).any():
        bad = int(np.flatnonzero(np.isnat(ids))[0])
    if bad is not None:
        raise ValueError(
            f"groups has a missing id ({ids[bad]!r}) at index {bad}; give every sample a group"
        )


def _hash_codes(ids: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes by hashing; booleans keyed apart from the numbers they equal (True != 1 here)."""
    lookup: dict = {}
    keys = ((type(g) is bool or isinstance(g, np.bool_), g) for g in ids)
    try:
        codes = np.fromiter((lookup.setdefault(k, len(lookup)) for k in keys), np.int64, size)
    except TypeError:  # unhashable ids (sets, dicts): name the first one
        bad = next(i for i, g in enumerate(ids) if getattr(g, "__hash__", None) is None)
        raise TypeError(
            f"groups must hold hashable ids (strings, integers, tuples), got "
            f"{type(ids[bad]).__name__} at index {bad}"
        ) from None
    distinct = np.empty(len(lookup), dtype=object)
    distinct[:] = [g for _, g in lookup]
    return codes, distinct


def factorize(groups, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (0..G-1 in order of first appearance) and the distinct ids."""
    if groups is None:
        return np.zeros(size, dtype=np.int64), np.zeros(1, dtype=np.int64)
    ids = _as_id_array(groups, size)
    if ids.ndim != 1 or ids.shape[0] != size:
        raise ValueError(
            f"groups must be 1-D with one id per sample ({size}), got shape {ids.shape}"
        )
    _check_missing(ids)
    if ids.dtype == object and any(_is_bool(g) for g in ids):
        return _hash_codes(ids, size)  # sorting or np.unique would merge True with 1
    if ids.dtype.kind in "iub" and size and _fits_int64(ids):
        as_int = ids.astype(np.int64)
        low, high = int(as_int.min()), int(as_int.max())
        if high - low < 4 * size + 1024:  # compact ids: one pass with a lookup table
            codes, first = first_appearance_codes(as_int, low, high - low + 1)
            return codes, ids[first]
    if ids.dtype.kind in "iub" and np.abs(ids.astype(np.float64)).max() < 2.0**53:
        perm = stable_argsort(ids.astype(np.float64))  # radix sort: stable, exact below 2**53
        sorted_ids = ids[perm]
        new_run = np.empty(size, dtype=bool)
        new_run[0] = True
        np.not_equal(sorted_ids[1:], sorted_ids[:-1], out=new_run[1:])
        run = np.empty(size, dtype=np.int64)
        run[perm] = np.cumsum(new_run) - 1
        first = perm[new_run]  # stable sort: the first row of each run is its first appearance
    else:
        try:
            _, first, run = np.unique(ids, return_index=True, return_inverse=True)
        except TypeError:  # ids of mutually unorderable types: hash them instead
            return _hash_codes(ids, size)
        run = run.ravel()
    rank = np.empty(first.shape[0], dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.shape[0])
    return rank[run], ids[np.sort(first)]
