"""Closed forms of MATH §3-5: the folklore KL bound, the win-rate bound, the KL estimator.

Re-exported by :mod:`bonkl_fast.exact`, their public home; none of them needs
a reference distribution.
"""

from __future__ import annotations

import numpy as np

from . import _kernels_exact as kern
from ._over_n import _shape_result
from ._validate import as_n, as_vector

__all__ = ["kl_bound", "win_rate_bound", "kl_estimate"]


def kl_bound(n):
    """Folklore best-of-n KL, ``log n - (n - 1) / n``: an upper bound (MATH §3).

    Elementwise over ``n >= 1``; accurate near ``n = 1`` (series, no cancellation).

    Examples
    --------
    >>> round(kl_bound(1000), 12)
    5.908755278982
    """
    flat, shape, is_scalar = as_n(n)
    values = kern.kl_bound_many(flat)
    return _shape_result(values, shape, is_scalar)


def win_rate_bound(n):
    """Continuous-reward best-of-n win rate ``n / (n + 1)``: an upper bound (MATH §5).

    Examples
    --------
    >>> win_rate_bound([1, 3])
    array([0.5 , 0.75])
    """
    flat, shape, is_scalar = as_n(n)
    return _shape_result(flat / (flat + 1.0), shape, is_scalar)


def kl_estimate(eps, n):
    """The KL estimator of MATH §4 for selected-outcome probability ``eps``.

    Parameters
    ----------
    eps : float or array_like
        Reference probability of the selected outcome, in (0, 1].
    n : float or array_like
        Number of draws, >= 1. Broadcast against ``eps``.

    Returns
    -------
    float or ndarray
        Exact KL of best-of-n for a continuous reference of mass ``1 - eps``
        plus a top atom of mass ``eps``; in ``[0, kl_bound(n)]``, ``0`` at
        ``n = 1`` or ``eps = 1``, ``-> kl_bound(n)`` as ``eps -> 0``.

    Examples
    --------
    >>> round(kl_estimate(0.5, 2), 12)
    0.179098831081
    >>> kl_estimate([1e-12, 1.0], 1000).round(6)
    array([5.908755, 0.      ])
    """
    eps_arr = np.asarray(eps)
    if eps_arr.dtype.kind not in "iuf":
        as_vector(np.atleast_1d(eps_arr), "eps")  # raises the TypeError
    eps_arr = eps_arr.astype(np.float64)
    if not np.isfinite(eps_arr).all() or ((eps_arr <= 0) | (eps_arr > 1)).any():
        bad = eps_arr[~((eps_arr > 0) & (eps_arr <= 1))].flat[0]
        raise ValueError(f"eps must be a probability in (0, 1], got {bad}")
    n_flat, n_shape, _ = as_n(n)
    try:
        e, nn = np.broadcast_arrays(eps_arr, n_flat.reshape(n_shape))
    except ValueError:
        raise ValueError(
            f"eps (shape {eps_arr.shape}) and n (shape {n_shape}) do not broadcast together; "
            "pass arrays of equal shape, or a scalar for one of them"
        ) from None
    values = kern.kl_estimate_many(
        np.ascontiguousarray(e).ravel(), np.ascontiguousarray(nn).ravel()
    )
    if e.ndim == 0:
        return float(values[0])
    return values.reshape(e.shape)
