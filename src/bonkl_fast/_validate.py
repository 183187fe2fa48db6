"""Turning user input into canonical float64 arrays, or a clear error.

Every public function of the package goes through these helpers, so the
rules are the same everywhere:

* arrays must be 1-D, non-empty, real numeric (bool, complex, object and
  string input are refused with a ``TypeError``), and finite;
* float32 (and integer) input is accepted and computed in float64;
* probabilities must be non-negative and sum to 1 within
  ``sqrt(finfo(dtype).eps)`` of their own dtype (the rule of
  ``numpy.random.Generator.choice``; float16 gets float32's 3.5e-4); within
  that tolerance they are divided by their sum (pure rounding; a sum within
  4 ulp of 1 is left as it is), beyond it a
  ``ValueError`` says by how much, unless ``normalize=True`` asks for the
  division explicitly;
* rewards are ordered and tied in the dtype given: where float64 would merge
  distinct values (int64 above 2**53, uint64, longdouble) their dense ranks are
  used, or a ``ValueError`` is raised where the values themselves matter;
* integers too large for float64 raise ``ValueError``, not ``OverflowError``;
* ``n`` must be finite and >= 1 (and integral where the caller needs it).
"""

from __future__ import annotations

import numbers

import numpy as np

from ._kernels_check import probs_summary, vector_summary

__all__ = [
    "as_vector",
    "as_probs",
    "as_rewards",
    "as_n",
    "as_integer_n",
    "check_whole",
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
    except OverflowError:
        raise ValueError(
            f"{name} holds an integer too large for float64 (above ~1.8e308); rescale it"
        ) from None
    if arr.dtype == object:
        arr = _objects_to_float(arr, name)
    _check_real_dtype(arr, name)
    return arr


def _objects_to_float(arr: np.ndarray, name: str) -> np.ndarray:
    for i, value in enumerate(arr.flat):
        if value is None:  # astype(float) would quietly turn None into NaN
            raise TypeError(f"{name} must be an array of real numbers, got None at index {i}")
        if isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be numeric, got a boolean at index {i}")
        if isinstance(value, (str, bytes)):  # astype(float) would parse "1.5" silently
            raise TypeError(
                f"{name} must be an array of real numbers, got the string {value!r:.40} at "
                f"index {i}; convert the column to numbers first"
            )
    try:
        return arr.astype(np.float64)
    except OverflowError:
        raise ValueError(
            f"{name} holds an integer too large for float64 (above ~1.8e308); rescale it"
        ) from None
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be an array of real numbers, got objects of type "
            f"{type(arr.flat[0]).__name__ if arr.size else 'object'}"
        ) from None


def as_vector(x, name: str) -> np.ndarray:
    """Return ``x`` as a 1-D, non-empty, finite, C-contiguous float64 array."""
    return _checked_vector(x, name)[0]


def _checked_vector(x, name: str):
    """``(as_vector(x), has -0.0, first descent)`` from one pass over the values."""
    arr = _to_array(x, name)
    out = _float_vector(arr, name)
    nonfinite, negative_zero, descent = vector_summary(out)
    _refuse_nonfinite(out, nonfinite, name)
    return out, negative_zero, descent


def _refuse_nonfinite(out: np.ndarray, bad: int, name: str) -> None:
    if bad >= 0:
        raise ValueError(
            f"{name} must be finite, found {out[bad]} at index {bad}; remove or replace it"
        )


def _float_vector(arr: np.ndarray, name: str) -> np.ndarray:
    """``arr`` as a 1-D, non-empty, C-contiguous float64 array (values not checked)."""
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D, got an array of shape {arr.shape}; "
            "pass one distribution at a time (flatten or loop over rows)"
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty; pass at least one outcome")
    return np.ascontiguousarray(arr, dtype=np.float64)


# a sum within 4 ulp of 1 is kept as it is: the division would only change the last
# bits of the entries (the KL is defined to ~1e-17 absolute there) and cost a full copy
_ROUNDING = 2.0**-50


def _sum_tolerance(dtype: np.dtype) -> float:
    """``sqrt(eps)`` of the input dtype, but never looser than float32's (3.5e-4).

    float16's own rule would let a sum 3% off 1 pass as rounding; float16
    probabilities off by more than 3.5e-4 need ``normalize=True``.
    """
    if dtype.kind == "f" and dtype.itemsize >= 4:
        return float(np.sqrt(np.finfo(dtype).eps))
    if dtype.kind == "f":
        return float(np.sqrt(np.finfo(np.float32).eps))
    return float(np.sqrt(np.finfo(np.float64).eps))


def as_probs(probs, *, normalize: bool = False, name: str = "probs") -> np.ndarray:
    """Validate a probability vector; return float64 summing to 1.

    Raises ``ValueError`` for negative entries, a zero sum, or (unless
    ``normalize=True``) a sum further from 1 than the dtype tolerance.
    """
    raw = _to_array(probs, name)
    p = _float_vector(raw, name)
    # one fused pass: finite, non-negative and the compensated sum (the same total
    # whatever the order of p, so assume_sorted and the unsorted path agree)
    nonfinite, negative, total = probs_summary(p)
    _refuse_nonfinite(p, nonfinite, name)
    if negative >= 0:
        raise ValueError(f"{name} must be non-negative, found {p[negative]} at index {negative}")
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
    if abs(total - 1.0) > _ROUNDING:
        p = p / total
    return p


def as_rewards(
    rewards,
    size: int | None,
    *,
    name: str = "rewards",
    order_only: bool = True,
    ascending: bool = False,
) -> np.ndarray:
    """Validate rewards: 1-D finite reals (of length ``size`` unless None); -0.0 becomes 0.0.
    ``ascending=True`` (for ``assume_sorted=True``) also refuses a descent.

    Rewards are compared in the dtype given. Where converting them to float64
    would make distinct values equal (int64 or uint64 above 2**53, longdouble,
    Python ints), ``order_only=True`` returns their dense ranks instead (the same
    order and the same ties, which is all the best-of-n pmf, KL and win rate
    depend on); ``order_only=False`` (callers that use the reward values) raises
    a ``ValueError``. Ties are never merged silently.
    """
    given, raw = _original_values(rewards)
    r, negative_zero, descent = _checked_vector(given if raw is None else raw, name)
    if size is not None and r.shape[0] != size:
        raise ValueError(
            f"{name} has {r.shape[0]} entries but probs has {size}; pass one reward per outcome"
        )
    if raw is not None and _float64_merges_values(raw, r):
        if not order_only:
            raise ValueError(
                f"{name} has distinct values that are equal once converted to float64 "
                f"(dtype {raw.dtype}, e.g. integers above 2**53); subtract a common offset "
                "or rescale them so float64 tells them apart"
            )
        ranks = _dense_ranks(raw)
        _refuse_descent(ranks, vector_summary(ranks)[2] if ascending else -1)
        return ranks
    _refuse_descent(r, descent if ascending else -1)
    # -0.0 + 0.0 == +0.0: ties by exact equality, sign-free (copy only when needed)
    return r + 0.0 if negative_zero else r


def _refuse_descent(r: np.ndarray, i: int) -> None:
    if i >= 0:
        raise ValueError(
            f"assume_sorted=True but rewards are not ascending (rewards[{i}] = {r[i]:g} > "
            f"rewards[{i + 1}] = {r[i + 1]:g}); drop assume_sorted or sort first"
        )


def _original_values(rewards):
    """``(given, raw)``: ``rewards`` converted once (or as given where conversion fails:
    as_vector then raises the error), and the same values in a dtype float64 may not hold
    exactly (None when float64 holds them)."""
    if isinstance(rewards, np.ndarray) and rewards.dtype.kind == "f" and rewards.itemsize <= 8:
        return rewards, None
    try:
        arr = np.asarray(rewards)
    except (TypeError, ValueError, OverflowError):
        return rewards, None
    lossy_kind = arr.dtype.kind in "iu" and arr.dtype.itemsize >= 8
    lossy_float = arr.dtype.kind == "f" and arr.dtype.itemsize > 8
    is_objects = arr.dtype == object and arr.ndim == 1
    if _mixes_large_ints(rewards, arr):  # [2**53 + 1, 2**53, 0.5] became float64 above
        return arr, np.array(list(rewards), dtype=object)
    return arr, (arr if lossy_kind or lossy_float or is_objects else None)


def _mixes_large_ints(rewards, arr: np.ndarray) -> bool:
    """True for a sequence of ints and floats that np.asarray made float64, ints beyond 2**53."""
    if isinstance(rewards, np.ndarray) or arr.dtype.kind != "f" or arr.ndim != 1 or not arr.size:
        return False
    if not np.abs(arr).max() >= 2.0**53:  # NaN or small: every int was exact
        return False
    return any(
        isinstance(v, (int, np.integer))
        and not isinstance(v, (bool, np.bool_))
        and abs(int(v)) > 2**53
        for v in rewards
    )


def _float64_merges_values(raw: np.ndarray, r: np.ndarray) -> bool:
    if raw.dtype.kind in "iu" and raw.size and max(abs(int(raw.min())), int(raw.max())) <= 2**53:
        return False
    if raw.dtype == object:
        return len(set(raw.tolist())) != np.unique(r).size
    if raw.dtype.kind == "f" and bool((r.astype(raw.dtype) == raw).all()):
        return False
    return np.unique(raw).size != np.unique(r).size


def _dense_ranks(raw: np.ndarray) -> np.ndarray:
    if raw.dtype == object:  # Python ints and floats compare exactly with each other
        rank = {value: i for i, value in enumerate(sorted(set(raw.tolist())))}
        return np.array([rank[value] for value in raw.tolist()], dtype=np.float64)
    return np.unique(raw, return_inverse=True)[1].astype(np.float64).reshape(-1)


def as_probs_rewards(
    probs,
    rewards,
    *,
    normalize: bool = False,
    order_only: bool = True,
    assume_sorted: bool = False,
):
    """Validate a reference: ``(probs, rewards)`` as float64 (see :func:`as_rewards`);
    with ``assume_sorted`` the rewards must be ascending (checked in the same pass)."""
    p = as_probs(probs, normalize=normalize)
    r = as_rewards(rewards, p.shape[0], order_only=order_only, ascending=assume_sorted)
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
    if not isinstance(n, (numbers.Real, np.ndarray)) or np.ndim(np.asarray(n)) != 0:
        raise TypeError(f"{name} must be a single integer >= 1, got {type(n).__name__}")
    if isinstance(n, (numbers.Integral, np.integer)) and int(n) > 2**53:
        raise ValueError(
            f"{name} must be at most 2**53 so it is exact in float64, got {_int_text(int(n))}"
        )
    value = _n_array(n, name)
    check_whole(value, name)
    return int(value[()])


def check_whole(values: np.ndarray, name: str) -> None:
    """Refuse float64 values that are not whole numbers, or above 2**53 (where float64
    stops telling consecutive integers apart)."""
    fraction = values != np.floor(values)
    if fraction.any():
        raise ValueError(f"{name} must be integers, got {values[fraction].flat[0]:g}; round it")
    if (values > 2.0**53).any():
        raise ValueError(
            f"{name} must be at most 2**53 so it is exact in float64, got {values.max():g}"
        )


def _int_text(value: int) -> str:
    """An integer for a message: in full up to 20 digits, else ``~1.0e+309``-style."""
    digits = str(abs(value))
    if len(digits) <= 20:
        return str(value)
    sign = "-" if value < 0 else ""
    return f"{sign}~{digits[0]}.{digits[1:4]}e+{len(digits) - 1}"
