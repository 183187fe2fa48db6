"""Checking what users pass to the bank functions: subset sizes, log-probs, scores."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._validate import as_rewards, as_vector, check_whole

__all__ = ["as_evaluate", "as_logprobs", "as_ns", "as_scores", "default_ns"]

# the default ns: every n up to ALL_UP_TO, then STEPS_PER_DOUBLING log-spaced values per doubling
ALL_UP_TO = 32
STEPS_PER_DOUBLING = 4


def default_ns(size: int) -> np.ndarray:
    """The default subset sizes for groups of at least ``size`` samples.

    Every n from 1 to 32, then four log-spaced values per doubling (ratio
    ``2 ** 0.25``, rounded) up to ``size`` itself: about ``32 + 4 log2(size / 32)``
    values, so the default costs O(N log N) per group, not O(N^2).

    Examples
    --------
    >>> default_ns(5)
    array([1, 2, 3, 4, 5])
    >>> default_ns(100)[30:]
    array([ 31,  32,  38,  45,  54,  64,  76,  91, 100])
    """
    head = np.arange(1, min(size, ALL_UP_TO) + 1, dtype=np.int64)
    if size <= ALL_UP_TO:
        return head
    doublings = np.log2(size / ALL_UP_TO)
    steps = np.arange(1, int(np.ceil(doublings * STEPS_PER_DOUBLING)) + 1)
    tail = np.round(ALL_UP_TO * 2.0 ** (steps / STEPS_PER_DOUBLING)).astype(np.int64)
    return np.unique(np.r_[head, tail[tail < size], size])


def as_logprobs(logprobs, size: int) -> np.ndarray:
    """Validate log-probabilities: finite, <= 0, one per sample."""
    lp = as_vector(logprobs, "logprobs")
    if lp.shape[0] != size:
        raise ValueError(
            f"logprobs has {lp.shape[0]} entries but rewards has {size}; "
            "pass one log-probability per sample"
        )
    if (lp > 0).any():
        bad = int(np.flatnonzero(lp > 0)[0])
        raise ValueError(
            f"logprobs must be <= 0 (natural-log probabilities), found {lp[bad]:g} at index "
            f"{bad}; pass log-probabilities, not probabilities or negated values"
        )
    return lp


def as_ns(ns, min_size: int) -> np.ndarray:
    """Validate subset sizes: integers >= 1; default :func:`default_ns` of min N."""
    if ns is None:
        return default_ns(min_size)
    if isinstance(ns, (bool, np.bool_)):
        raise TypeError("ns must be integers >= 1, got a boolean")
    values = as_vector(np.atleast_1d(ns), "ns")
    if (values < 1).any():
        raise ValueError(f"ns must be >= 1 (subset sizes), got {values[values < 1][0]:g}")
    check_whole(values, "ns")
    return values.astype(np.int64)


def as_scores(values, name: str, size: int | None = None) -> np.ndarray:
    """Finite float64 scores, one per sample; values that float64 would merge into ties
    (integers above 2**53, long doubles) raise a ``ValueError`` (the values are used)."""
    out = as_rewards(values, None, name=name, order_only=False)  # -0.0 made 0.0 there
    if size is not None and out.shape[0] != size:
        raise ValueError(
            f"{name} has {out.shape[0]} entries but rewards has {size}; pass one per sample"
        )
    return out


def as_evaluate(evaluate, size: int) -> dict[str, np.ndarray]:
    """``evaluate`` as a dict name -> validated float64 scores (a bare array: ``"evaluate"``)."""
    if evaluate is None:
        return {}
    if isinstance(evaluate, Mapping) or hasattr(evaluate, "columns"):
        items = list(evaluate.items())
    else:
        items = [("evaluate", evaluate)]
    out = {}
    for key, scores in items:
        if not isinstance(key, str):
            raise TypeError(f"evaluate maps names (str) to scores, got the key {key!r}")
        out[key] = as_scores(scores, f"evaluate[{key!r}]", size)
    return out
