"""Turning user input into canonical float64 arrays, or a clear error.

Every public function of the package goes through these helpers, so the
rules are the same everywhere:

* arrays must be 1-D, non-empty, real numeric (bool, complex, object and
  string input are refused with a ``TypeError``), and finite;
* float32 (and integer) input is accepted and computed in float64;
* probabilities must be non-negative and sum to 1 within
  ``sqrt(finfo(dtype).eps)`` of their own dtype (the rule of
  ``numpy.random.Generator.choice``); within that tolerance they are divided
  by their sum (pure rounding), beyond it a ``ValueError`` says by how much,
  unless ``normalize=True`` asks for the division explicitly;
* ``n`` must be finite and >= 1 (and integral where the caller needs it).
"""

from __future__ import annotations

import numbers

import numpy as np

from ._kernels_levels import compensated_sum, first_negative, first_nonfinite, has_negative_zero

__all__ = [
    "as_vector",
    "as_probs",
    "as_rewards",
    "as_n",
    "as_integer_n",
    "as_probs_rewards",
]


def _check_real_dtype(arr: np.ndarray, name: str) -> None:
    kind = arr.dtype.kind
    if kind == "b":
        raise TypeError(f"{name} must be numeric, got booleans; convert with .astype(float)")
    if kind not in "iuf":
        raise TypeError(
            f"{name} must be an array of real numbers, got dtype {arr.dtype}; "
            "pass a list or NumPy array of floats"
        )


def _to_array(x, name: str) -> np.ndarray:
    if x is None:
        raise TypeError(f"{name} must be an array of real numbers, got None")
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of real numbers ({exc})") from None
    if arr.dtype == object:
        for i, value in enumerate(arr.flat):
            if value is None:  # astype(float) would quietly turn None into NaN
                raise TypeError(f"{name} must be an array of real numbers, got None at index {i}")
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must be an array of real numbers, got objects of type "
                f"{type(arr.flat[0]).__name__ if arr.size else 'object'}"
            ) from None
    _check_real_dtype(arr, name)
    return arr


def as_vector(x, name: str) -> np.ndarray:
    """Return ``x`` as a 1-D, non-empty, finite, C-contiguous float64 array."""
    arr = _to_array(x, name)
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D, got an array of shape {arr.shape}; "
            "pass one distribution at a time (flatten or loop over rows)"
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty; pass at least one outcome")
    out = np.ascontiguousarray(arr, dtype=np.float64)
    bad = first_nonfinite(out) if arr.dtype.kind == "f" else -1
    if bad >= 0:
        raise ValueError(
            f"{name} must be finite, found {out[bad]} at index {bad}; remove or replace it"
        )
    return out


def _sum_tolerance(dtype: np.dtype) -> float:
    if dtype.kind == "f":
        return float(np.sqrt(np.finfo(dtype).eps))
    return float(np.sqrt(np.finfo(np.float64).eps))


def as_probs(probs, *, normalize: bool = False, name: str = "probs") -> np.ndarray:
    """Validate a probability vector; return float64 summing to 1.

    Raises ``ValueError`` for negative entries, a zero sum, or (unless
    ``normalize=True``) a sum further from 1 than the dtype tolerance.
    """
    raw = _to_array(probs, name)
    p = as_vector(raw, name)
    bad = first_negative(p)
    if bad >= 0:
        raise ValueError(f"{name} must be non-negative, found {p[bad]} at index {bad}")
    # compensated: the same total whatever the order of p (assume_sorted == unsorted path)
    total = float(compensated_sum(p))
    if not np.isfinite(total):
        raise ValueError(f"{name} sum overflows float64; rescale them")
    if not total > 0:
        raise ValueError(f"{name} sum to 0; at least one outcome needs positive probability")
    if not normalize:
        tol = _sum_tolerance(raw.dtype)
        if abs(total - 1.0) > tol:
            raise ValueError(
                f"{name} sum to {total:.10g}, not 1 (off by {total - 1.0:+.3g}, "
                f"tolerance {tol:.2g}); pass normalize=True or divide by the sum"
            )
    if total != 1.0:
        p = p / total
    return p


def as_rewards(rewards, size: int, *, name: str = "rewards") -> np.ndarray:
    """Validate rewards: 1-D finite reals of length ``size``; -0.0 becomes 0.0."""
    r = as_vector(rewards, name)
    if r.shape[0] != size:
        raise ValueError(
            f"{name} has {r.shape[0]} entries but probs has {size}; pass one reward per outcome"
        )
    # -0.0 + 0.0 == +0.0: ties by exact equality, sign-free (copy only when needed)
    return r + 0.0 if has_negative_zero(r) else r


def as_probs_rewards(probs, rewards, *, normalize: bool = False):
    """Validate a reference distribution: ``(probs, rewards)`` as float64."""
    p = as_probs(probs, normalize=normalize)
    r = as_rewards(rewards, p.shape[0])
    return p, r


def _n_array(n, name: str) -> np.ndarray:
    if isinstance(n, (bool, np.bool_)):
        raise TypeError(f"{name} must be a number >= 1, got a boolean")
    arr = _to_array(n, name)
    out = np.asarray(arr, dtype=np.float64)
    if not np.isfinite(out).all():
        raise ValueError(f"{name} must be finite, got {out[~np.isfinite(out)].flat[0]}")
    if (out < 1).any():
        raise ValueError(f"{name} must be >= 1 (the number of draws), got {out[out < 1].flat[0]:g}")
    return out


def as_n(n, name: str = "n"):
    """Validate a real ``n >= 1``, scalar or array.

    Returns ``(values, shape, is_scalar)`` where ``values`` is a flat float64
    array and ``shape`` the shape to give the result.
    """
    out = _n_array(n, name)
    return out.ravel(), out.shape, out.ndim == 0


def as_integer_n(n, name: str = "n") -> int:
    """Validate a scalar integer ``n >= 1`` (floats with integral values accepted)."""
    if isinstance(n, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer >= 1, got a boolean")
    if not isinstance(n, (numbers.Real, np.ndarray)) or np.ndim(n) != 0:
        raise TypeError(f"{name} must be a single integer >= 1, got {type(n).__name__}")
    if isinstance(n, (numbers.Integral, np.integer)) and int(n) > 2**53:
        raise ValueError(f"{name} must be at most 2**53 so it is exact in float64, got {int(n)}")
    value = _n_array(n, name)[()]
    if value != np.floor(value):
        raise ValueError(f"{name} must be an integer here, got {value:g}; round it")
    if value > 2.0**53:
        raise ValueError(f"{name} must be at most 2**53 so it is exact in float64, got {value:g}")
    return int(value)
