"""Reading banks of scored samples and reference distributions from files.

One reader serves every function and command: CSV (``.csv``; ``.tsv`` for
tabs; comma, semicolon or tab found from the header), JSON (``.json``: a list
of records, an object of columns, or JSON Lines, told apart by the content),
JSON Lines (``.jsonl``, ``.ndjson``) and Parquet (``.parquet``, ``.pq``).
pyarrow parses the file when installed (``pip install bonkl_fast[parquet]``;
every extra that brings pandas brings pyarrow too, and pandas' own CSV parser
is not used: it takes ``true`` for 1.0 and pads short rows); without pyarrow
the standard library reads text files, slower, to the same arrays.
The standard library also finds the bad row for every error message, which
names the file, the row (1-based, counting data rows), the line of the file
(CSV and JSON Lines) and the column.

What a column may hold (plain numbers, finite; ids that are strings or
integers) is spelled out in :mod:`bonkl_fast._io_values`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._io_arrow import fast_text_columns, parquet_columns, parquet_names
from ._io_text import SEPARATORS, csv_header, json_layout, text_columns
from ._io_values import BadValue, names_shown, raw_ids, raw_numbers

__all__ = ["Bank", "read_bank", "read_reference"]

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


class _IfPresent(str):
    """A default column name that is read when the file has it and skipped otherwise."""


LOGPROB = _IfPresent("logprob")


@dataclass(frozen=True)
class Bank:
    """Flat per-sample arrays read from a file; pass them to :func:`bonkl_fast.bank_curves`.

    ``groups`` is None when no group column was read; ``logprobs`` is None when
    no log-probability column was read; ``evaluate`` maps each extra score
    column read to its float64 values (empty when none).
    """

    rewards: np.ndarray
    logprobs: np.ndarray | None
    groups: np.ndarray | None
    path: str
    evaluate: dict = field(default_factory=dict)

    def curves(self, ns=None):
        """``bank_curves(self.rewards, ns, logprobs=..., groups=..., evaluate=...)``."""
        from .bank import bank_curves

        extra = {"evaluate": self.evaluate} if self.evaluate else {}
        return bank_curves(self.rewards, ns, logprobs=self.logprobs, groups=self.groups, **extra)


def read_bank(
    path,
    reward: str = "reward",
    logprob: str | None = LOGPROB,
    group: str | None = "prompt_id",
    *,
    evaluate: str | Sequence[str] = (),
    sep: str | None = None,
) -> Bank:
    """Read a bank of scored samples (one row per sample) from a file.

    Parameters
    ----------
    path : str or Path
        A CSV/TSV file with a header row, a JSON or JSON Lines file, or a
        Parquet file (see :mod:`bonkl_fast.io`; Parquet needs pyarrow).
    reward : str
        Column holding the reward (plain finite numbers).
    logprob : str or None
        Column holding the sequence log-probability (natural log, finite,
        <= 0). The default ``"logprob"`` is read when the file has that column
        and skipped otherwise; any other name must exist; None reads none.
    group : str or None
        Column holding the group (prompt) id; None puts every row in one group.
        CSV ids are strings; JSON and Parquet ids are strings or integers
        (``1`` and ``"1"`` are different groups; booleans and floats are
        refused in every format).
    evaluate : sequence of str
        Extra score columns (e.g. a gold reward) to average over best-of-n
        selections by ``reward``; read as float64.
    sep : str, optional
        CSV separator; by default the one of comma, semicolon and tab under
        which the header has the named columns.

    Returns
    -------
    Bank
        ``rewards`` (float64, except integer rewards that float64 cannot hold
        exactly: int64 for text files, Parquet integer columns as stored),
        ``logprobs`` (float64), ``groups`` (array of ids) and ``evaluate``.

    Raises
    ------
    FileNotFoundError, IsADirectoryError
        No such file, or a directory.
    ValueError
        Unknown extension, malformed content, a missing or repeated column
        (the message lists the columns present), no data rows, a file that
        is not UTF-8, or a bad value (the message names the row and column).
    ImportError
        A Parquet file without pyarrow installed.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "bank.csv"
    >>> _ = path.write_text("prompt_id,reward,logprob\\na,1.0,-2.5\\na,0.5,-1.0\\nb,2,-3\\n")
    >>> bank = read_bank(path)
    >>> bank.rewards, bank.logprobs, bank.groups
    (array([1. , 0.5, 2. ]), array([-2.5, -1. , -3. ]), array(['a', 'a', 'b'], dtype='<U1'))
    >>> bank.curves().expected_reward
    array([[0.75],
           [2.  ]])
    """
    names = [evaluate] if isinstance(evaluate, str) else list(evaluate)
    plan = [(reward, "reward"), (logprob, "logprob"), (group, "id")]
    plan += [(name, "number") for name in names]
    columns = _read(
        path, plan, optional={logprob} if isinstance(logprob, _IfPresent) else set(), sep=sep
    )
    return Bank(
        columns[reward],
        columns.get(logprob),
        columns.get(group),
        str(path),
        {name: columns[name] for name in names},
    )


def read_reference(
    path, prob: str = "prob", reward: str = "reward", *, sep: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Read a reference distribution (one row per outcome) from a file.

    Parameters
    ----------
    path : str or Path
        A CSV/TSV, JSON, JSON Lines or Parquet file, as for :func:`read_bank`.
    prob, reward : str
        Columns holding the probability (finite, >= 0) and the reward.
    sep : str, optional
        CSV separator (default: found from the header, as for :func:`read_bank`).

    Returns
    -------
    probs, rewards : ndarray
        float64 probabilities as stored (the functions that use them check
        the sum); rewards as :func:`read_bank` reads them.

    Raises
    ------
    Like :func:`read_bank`; a negative probability names its row.

    Examples
    --------
    >>> import json, tempfile
    >>> path = Path(tempfile.mkdtemp()) / "answers.json"
    >>> _ = path.write_text(json.dumps({"prob": [0.5, 0.3, 0.2], "reward": [1, 2, 3]}))
    >>> read_reference(path)
    (array([0.5, 0.3, 0.2]), array([1., 2., 3.]))
    """
    columns = _read(path, [(prob, "prob"), (reward, "reward")], optional=set(), sep=sep)
    return columns[prob], columns[reward]


def _read(path, plan, *, optional: set, sep: str | None) -> dict:
    """``{name: array}`` for the ``(name, role)`` pairs of ``plan`` (None names skipped)."""
    path = Path(path)
    roles = {}
    for name, role in plan:
        if name is None:
            continue
        if name in roles:
            raise ValueError(f"column {name!r} is named for two uses; give each its own column")
        roles[name] = role
    kind = _kind(path)
    if kind == "parquet":
        roles = _present(path, roles, optional, parquet_names(path))
        try:
            columns = parquet_columns(path, roles)
        except BadValue as exc:
            raise ValueError(f"{_where(path, exc.index, exc.column, None)}: {exc.reason}") from None
    else:
        columns = _read_text(path, kind, roles, optional, sep)
    if next(iter(columns.values())).shape[0] == 0:
        raise ValueError(f"{path}: no data rows")
    return columns


def _kind(path: Path) -> str:
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, expected a data file")
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(
            f"{path}: unknown file type {path.suffix!r}; use one of " + ", ".join(sorted(FORMATS))
        )
    return kind


def _read_text(path: Path, kind: str, roles: dict, optional: set, sep: str | None) -> dict:
    required = [name for name in roles if name not in optional]
    header = None
    if kind in ("csv", "tsv"):
        header, sep = csv_header(path, sep, required, "\t" if kind == "tsv" else ",")
        roles = _present(path, roles, optional, header, sep)
        layout = "csv"
    else:
        layout = "lines" if kind == "jsonl" else json_layout(path)
    if layout != "document":
        fast = fast_text_columns(path, layout, roles, header, sep)
        if fast is not None and all(name in fast for name in required):
            return fast
    raw, lines = text_columns(path, layout, list(roles), optional, sep)
    columns = {}
    for name, values in raw.items():
        try:
            if roles[name] == "id":
                columns[name] = raw_ids(values, layout == "csv")
            else:
                columns[name] = raw_numbers(roles[name], values, layout == "csv")
        except BadValue as exc:
            raise ValueError(f"{_where(path, exc.index, name, lines)}: {exc.reason}") from None
    return columns


def _present(path: Path, roles: dict, optional: set, header, sep: str | None = None) -> dict:
    """The planned columns the header has; refuses repeated or missing (non-optional) ones."""
    for name in roles:
        if header.count(name) > 1:
            raise ValueError(
                f"{path}: column {name!r} appears {header.count(name)} times; rename all but one"
            )
    for name in roles:
        if name not in header and name not in optional:
            read_as = (
                ""
                if sep in (None, ",")
                else f", read as {SEPARATORS.get(sep, repr(sep))}-separated"
            )
            raise ValueError(
                f"{path}: no column {name!r} (columns: {names_shown(header)}{read_as}"
                f"{_separator_hint(header, [n for n in roles if n not in optional])}); "
                "choose the column with the matching option"
            )
    return {name: role for name, role in roles.items() if name in header}


def _separator_hint(header, required) -> str:
    """``; the header looks '|'-separated ...`` when splitting it at another character finds
    every required column (separators other than comma, semicolon and tab are not guessed)."""
    for other in "|: ":
        names = [part.strip() for field in header for part in str(field).split(other)]
        if len(names) > len(header) and all(name in names for name in required):
            return f"; the header looks {other!r}-separated: pass sep={other!r} (--sep {other!r})"
    return ""


def _where(path: Path, index: int, name: str, lines) -> str:
    line = f", line {lines[index]}" if lines is not None else ""
    return f"{path}: row {index + 1}{line}, column {name!r}"
