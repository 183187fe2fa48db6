"""Reading banks of scored samples from CSV, JSON Lines and Parquet files.

Each row is one sample: a reward, optionally its sequence log-probability,
optionally the id of its group (prompt). Errors name the file, the column and,
for bad values, the row (1-based, counting data rows; for CSV and JSON Lines
also the line of the file).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Bank", "read_bank"]

FORMATS = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


@dataclass(frozen=True)
class Bank:
    """Flat per-sample arrays read from a file; pass them to :func:`bonkl_fast.bank_curves`.

    ``groups`` is None when no group column was read; ``logprobs`` is None when
    no log-probability column was read.
    """

    rewards: np.ndarray
    logprobs: np.ndarray | None
    groups: np.ndarray | None
    path: str

    def curves(self, ns=None):
        """``bank_curves(self.rewards, ns, logprobs=self.logprobs, groups=self.groups)``."""
        from .bank import bank_curves

        return bank_curves(self.rewards, ns, logprobs=self.logprobs, groups=self.groups)


def read_bank(
    path, reward: str = "reward", logprob: str | None = None, group: str | None = "prompt_id"
) -> Bank:
    """Read a bank of scored samples (one row per sample) from a file.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` file (header row), a JSON Lines file (``.jsonl``, ``.ndjson``,
        ``.json``: one JSON object per line) or a Parquet file (``.parquet``,
        ``.pq``; needs pyarrow: ``pip install bonkl_fast[parquet]``).
    reward : str
        Column holding the reward (finite numbers).
    logprob : str or None
        Column holding the sequence log-probability (natural log, finite,
        <= 0); None reads none (no KL estimate then).
    group : str or None
        Column holding the group (prompt) id; None puts every row in one group.
        CSV ids are read as strings; JSON Lines and Parquet keep their types.

    Returns
    -------
    Bank
        ``rewards`` and ``logprobs`` as float64 arrays, ``groups`` as an array of ids.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Unknown extension, malformed content, a missing column (the message
        lists the columns present), an empty file, or a bad value (the message
        names the row and column).
    ImportError
        A Parquet file without pyarrow installed.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "bank.csv"
    >>> _ = path.write_text("prompt_id,reward,logprob\\na,1.0,-2.5\\na,0.5,-1.0\\nb,2,-3\\n")
    >>> bank = read_bank(path, logprob="logprob")
    >>> bank.rewards, bank.groups
    (array([1. , 0.5, 2. ]), array(['a', 'a', 'b'], dtype='<U1'))
    >>> bank.curves().expected_reward
    array([[0.75],
           [2.  ]])
    """
    path = Path(path)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(
            f"{path}: unknown file type {path.suffix!r}; use one of " + ", ".join(sorted(FORMATS))
        )
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    wanted = {"reward": reward, "logprob": logprob, "group": group}
    names = [name for name in wanted.values() if name is not None]
    reader = {"csv": _read_csv, "jsonl": _read_jsonl, "parquet": _read_parquet}[kind]
    columns, lines = reader(path, names)
    if len(columns[reward]) == 0:
        raise ValueError(f"{path}: no data rows")
    rewards = _numbers(path, columns[reward], reward, lines, logprob=False)
    logprobs = (
        None if logprob is None else _numbers(path, columns[logprob], logprob, lines, logprob=True)
    )
    groups = None if group is None else _ids(path, columns[group], group, lines)
    return Bank(rewards, logprobs, groups, str(path))


def _missing(path: Path, name: str, present) -> ValueError:
    return ValueError(
        f"{path}: no column {name!r} (columns: {', '.join(map(str, present))}); "
        "choose the column with the matching option"
    )


def _where(path: Path, index: int, name: str, lines) -> str:
    line = f", line {lines[index]}" if lines is not None else ""
    return f"{path}: row {index + 1}{line}, column {name!r}"


def _read_csv(path: Path, names):
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{path}: empty file (expected a header row)")
        header = [h.strip() for h in header]
        for name in names:
            if name not in header:
                raise _missing(path, name, header)
        where = {name: header.index(name) for name in names}
        columns: dict[str, list] = {name: [] for name in names}
        lines = []
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if len(row) != len(header):
                raise ValueError(
                    f"{path}: row {len(lines) + 1}, line {reader.line_num}: "
                    f"{len(row)} fields, expected {len(header)} as in the header"
                )
            for name, k in where.items():
                columns[name].append(row[k])
            lines.append(reader.line_num)
    return columns, lines


def _read_jsonl(path: Path, names):
    columns: dict[str, list] = {name: [] for name in names}
    lines = []
    with open(path, encoding="utf-8-sig") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: line {number}: not valid JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise ValueError(f"{path}: line {number}: expected a JSON object, one per line")
            for name in names:
                if name not in record:
                    raise ValueError(
                        f"{path}: row {len(lines) + 1}, line {number}: no column {name!r} "
                        f"(keys: {', '.join(record)}); choose the column with the matching option"
                    )
                columns[name].append(record[name])
            lines.append(number)
    return columns, lines


def _read_parquet(path: Path, names):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(
            f"{path}: reading Parquet needs pyarrow; pip install bonkl_fast[parquet]"
        ) from None
    try:
        schema = pq.read_schema(path)
        for name in names:
            if name not in schema.names:
                raise _missing(path, name, schema.names)
        table = pq.read_table(path, columns=list(dict.fromkeys(names)))
    except (OSError, ValueError) as exc:
        if isinstance(exc, ValueError) and str(exc).startswith(str(path)):
            raise
        raise ValueError(f"{path}: not a readable Parquet file ({exc})") from None
    columns = {}
    for name in names:
        column = table.column(name)
        if column.null_count:
            first = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
            raise ValueError(f"{_where(path, first, name, None)}: missing value")
        columns[name] = column.to_numpy(zero_copy_only=False)
    return columns, None


def _numbers(path: Path, values, name: str, lines, *, logprob: bool) -> np.ndarray:
    """Convert a column to float64, naming the first bad row on failure."""
    is_bool = (
        values.dtype.kind == "b"
        if isinstance(values, np.ndarray)
        else [isinstance(v, bool) for v in values]
    )
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        arr = np.array([_to_float(v) for v in values])
    bad = ~np.isfinite(arr) | np.asarray(is_bool, dtype=bool)
    if logprob:
        bad |= arr > 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        need = "a finite log-probability <= 0" if logprob else "a finite number"
        raise ValueError(f"{_where(path, i, name, lines)}: {values[i]!r} is not {need}")
    return arr


def _to_float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _ids(path: Path, values, name: str, lines) -> np.ndarray:
    """Group ids as an array; missing ids (empty, null, NaN) are errors naming the row."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf":
        if values.dtype.kind == "f" and np.isnan(values).any():
            i = int(np.flatnonzero(np.isnan(values))[0])
            raise ValueError(f"{_where(path, i, name, lines)}: missing group id")
        return values
    for i, value in enumerate(values):
        if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
            raise ValueError(f"{_where(path, i, name, lines)}: missing group id")
        if isinstance(value, (list, dict)):
            raise ValueError(f"{_where(path, i, name, lines)}: group id {value!r} is not hashable")
    if isinstance(values, np.ndarray):
        return values
    kinds = {type(v) for v in values}
    if kinds <= {int} or kinds <= {str}:
        return np.asarray(values)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out
