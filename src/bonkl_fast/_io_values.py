"""Turning the columns of a file into arrays: the rules every reader of :mod:`bonkl_fast.io` shares.

A column has a role: ``reward``, ``number`` (an extra score), ``logprob``,
``prob`` or ``id``. Numbers must be plain numbers: in CSV a decimal or
exponent literal (no ``1_000``, hex or words), in JSON a number (not a
boolean, not a string ``"1.5"``); all finite; log-probs <= 0; probabilities
>= 0. Values are float64, except rewards: a column of integers reaching 2**53
is kept as int64 (float64 would merge distinct values), and Parquet integer
columns keep their dtype. Group ids are strings (CSV) or strings and integers
(JSON, Parquet); booleans and floats are refused in every format (in JSON
``true`` and ``1`` would be one group).
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["first_bad", "names_shown", "raw_ids", "raw_numbers", "reason", "shown"]

NUMBER = re.compile(r"\s*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)\s*", re.I)
INTEGER = re.compile(r"\s*[+-]?\d+\s*")
EXACT = 2.0**53  # float64 holds every integer up to here


SHOWN = 60  # characters of a value quoted in a message; longer values are cut


def shown(value, quote: bool = True) -> str:
    """``repr(value)`` (or ``str`` with ``quote=False``) cut to about 60 characters for messages.

    >>> shown("9" * 1000)
    "'99999999999999999999999999999999999999999999999999...' (1000 characters)"
    """
    text = str(value)
    if len(text) <= SHOWN:
        return repr(value) if quote else text
    cut = repr(text[: SHOWN - 10] + "...") if quote else text[: SHOWN - 10] + "..."
    return f"{cut} ({len(text)} characters)"


def names_shown(names, limit: int = 20) -> str:
    """Column names for a message: each cut by :func:`shown`, at most ``limit`` of them."""
    names = list(names)
    listed = ", ".join(shown(name, quote=False) for name in names[:limit])
    return listed + (f", ... ({len(names)} columns)" if len(names) > limit else "")


class BadValue(ValueError):
    """A value that cannot be read: ``index`` is its row (0-based), ``reason`` says why.

    ``column`` names the column where the raiser knows it (Parquet), else "".
    """

    def __init__(self, index: int, reason: str, column: str = ""):
        super().__init__(reason)
        self.index = index
        self.reason = reason
        self.column = column


def first_bad(role: str, arr: np.ndarray) -> int | None:
    """Index of the first value ``role`` refuses (non-finite, log-prob > 0, prob < 0), or None."""
    if arr.dtype.kind in "iu":
        bad = np.zeros(arr.shape, bool)
    else:
        bad = ~np.isfinite(arr)
    if role == "logprob":
        bad |= arr > 0
    elif role == "prob":
        bad |= arr < 0
    hits = np.flatnonzero(bad)
    return int(hits[0]) if hits.size else None


def reason(role: str, raw) -> str:
    """Why ``role`` refuses the number ``raw`` (one that :func:`first_bad` found)."""
    value = float(raw)
    if not np.isfinite(value):
        return f"{shown(raw)} is not a finite number (NaN, infinite, or beyond the float64 range)"
    if role == "logprob":
        return f"{shown(raw)} is not a finite log-probability <= 0"
    return f"probability {shown(str(raw).strip(), quote=False)} is negative"


def _parse(value, text: bool):
    """A Python int or float for one raw value; raises ValueError with the reason."""
    if text:
        if not value.strip():
            raise ValueError("missing value (empty field)")
        if not NUMBER.fullmatch(value):
            raise ValueError(f"{shown(value)} is not a number")
        if INTEGER.fullmatch(value) and len(value) < 400:  # longer: inf, refused as such
            return int(value)
        return float(value)
    if isinstance(value, bool):
        raise ValueError(f"{str(value).lower()} is a boolean, not a number")
    if value is None:
        raise ValueError("missing value (null)")
    if isinstance(value, str):
        raise ValueError(f"{shown(value)} is a string, not a number; write numbers without quotes")
    if not isinstance(value, (int, float)):
        raise ValueError(f"{shown(value)} is not a number")
    return value


def raw_numbers(role: str, values: list, text: bool) -> np.ndarray:
    """The raw values of a text or JSON column as an array; raises :class:`BadValue`."""
    parsed = []
    for i, value in enumerate(values):
        try:
            parsed.append(_parse(value, text))
        except ValueError as exc:
            raise BadValue(i, str(exc)) from None
    try:
        arr = np.array(parsed, dtype=np.float64)
    except OverflowError:
        i = next(i for i, v in enumerate(parsed) if isinstance(v, int) and abs(v) > 1e308)
        raise BadValue(i, f"{shown(values[i])} is beyond the float64 range") from None
    bad = first_bad(role, arr)
    if bad is not None:
        raise BadValue(bad, reason(role, values[bad]))
    if role == "reward" and arr.size and np.abs(arr).max() >= EXACT:
        return _exact_rewards(values, parsed)
    return arr


def _exact_rewards(values, parsed) -> np.ndarray:
    """Rewards reaching 2**53: int64 when all are integers, else refuse where float64 rounds one."""
    if all(isinstance(v, int) for v in parsed):
        try:
            return np.array(parsed, dtype=np.int64)
        except OverflowError:
            i = next(i for i, v in enumerate(parsed) if not -(2**63) <= v < 2**63)
            raise BadValue(
                i,
                f"integer {shown(values[i])} does not fit in int64; subtract an offset or rescale",
            ) from None
    for i, v in enumerate(parsed):
        if isinstance(v, int) and float(v) != v:
            raise BadValue(
                i,
                f"integer {shown(values[i])} is not exact in float64 and the column also holds "
                "non-integers; distinct rewards would merge: subtract an offset or rescale",
            )
    return np.array(parsed, dtype=np.float64)


def raw_ids(values: list, text: bool) -> np.ndarray:
    """Group ids as an array (str, int64, or object for mixed types); raises :class:`BadValue`."""
    kinds = set()
    for i, value in enumerate(values):
        if value is None or value == "":
            raise BadValue(i, "missing group id")
        if not text and not isinstance(value, str):
            if isinstance(value, bool) or not isinstance(value, int):
                raise BadValue(i, f"group id {json_text(value)} is not a string or an integer")
        kinds.add(type(value))
    if len(kinds) == 1:
        return np.asarray(values)  # str or int64 (object beyond int64)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def json_text(value) -> str:
    """``value`` as JSON wrote it (``true``, ``1.5``, ``[1]``), for messages."""
    import json

    try:
        return shown(json.dumps(value), quote=False)
    except (TypeError, ValueError):
        return shown(value)
