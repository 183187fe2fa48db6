"""Statistics over the groups of a bank (MATH §7): means, standard errors, confidence intervals.

Used by :class:`bonkl_fast.bank_result.BankCurves`: :func:`mean_sem` gives the
mean over groups and its standard error per n; :func:`confidence_interval`
the normal or prompt-level bootstrap interval of a mean curve.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from . import _kernels_bank_rows as rows_kern
from ._random import check_random_state

__all__ = ["mean_sem", "confidence_interval", "bootstrap_means"]


def mean_sem(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over the groups where defined and its standard error, per n: two (m,) arrays."""
    values = np.ascontiguousarray(values)
    mean = rows_kern.nan_column_means(values)
    return mean, rows_kern.nan_column_sems(values, mean)


def confidence_interval(
    values: np.ndarray, mean: np.ndarray, level: float, method: str, resamples: int, rng
) -> tuple[np.ndarray, np.ndarray]:
    """``(low, high)`` of the mean over groups of ``values`` (G, m), shape (m,) each.

    As documented in :meth:`BankCurves.confidence_interval`, which checks ``level``.
    """
    if method == "normal":
        sem = rows_kern.nan_column_sems(np.ascontiguousarray(values), mean)
        half = NormalDist().inv_cdf((1.0 + level) / 2.0) * sem
        with np.errstate(over="ignore"):  # an end beyond float64 is +-inf, as it should be
            return mean - half, mean + half
    if method != "bootstrap":
        raise ValueError(f"method must be 'normal' or 'bootstrap', got {method!r}")
    if int(resamples) != resamples or resamples < 2:
        raise ValueError(f"resamples must be an integer >= 2, got {resamples!r}")
    means = bootstrap_means(values, int(resamples), check_random_state(rng))
    low = np.full(mean.shape, np.nan)
    high = np.full(mean.shape, np.nan)
    enough = (~np.isnan(values)).sum(axis=0) >= 2
    if enough.any():
        tails = [(1.0 - level) / 2.0, (1.0 + level) / 2.0]
        kept = means[:, enough]
        kept = np.where(np.isnan(kept), mean[enough], kept)  # a resample missing every group
        low[enough], high[enough] = np.quantile(kept, tails, axis=0)
    return low, high


def bootstrap_means(values: np.ndarray, resamples: int, rng) -> np.ndarray:
    """Means over groups of ``resamples`` resamples with replacement: (resamples, m)."""
    n_groups = values.shape[0]
    defined = (~np.isnan(values)).astype(np.float64)
    scale = rows_kern.column_scales(np.ascontiguousarray(values))  # powers of two: exact
    filled = np.where(np.isnan(values), 0.0, values / scale)
    out = np.empty((resamples, values.shape[1]))
    chunk = max(1, min(resamples, (1 << 24) // max(n_groups, 1)))
    for lo in range(0, resamples, chunk):
        hi = min(resamples, lo + chunk)
        counts = rng.multinomial(n_groups, np.full(n_groups, 1.0 / n_groups), size=hi - lo)
        counts = counts.astype(np.float64)
        total, count = counts @ filled, counts @ defined
        out[lo:hi] = np.divide(total, count, out=np.full_like(total, np.nan), where=count > 0)
    return out * scale
