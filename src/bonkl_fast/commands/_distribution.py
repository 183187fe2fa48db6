"""Reading a reference distribution for the ``bonkl`` subcommands (``kl``, ``simulate``).

A distribution is given inline (``--probs 0.5,0.3,0.2 --rewards 1,2,3``) or
as a file (``--file PATH``) with one row per outcome and a probability and a
reward column (names set by ``--prob-col``/``--reward-col``, default
``prob``/``reward``; other columns are ignored). File formats, by suffix:

* ``.json``: a list of objects (``[{"prob": 0.5, "reward": 1}, ...]``) or
  an object of columns (``{"prob": [...], "reward": [...]}``);
* ``.jsonl``/``.ndjson``: one JSON object per line;
* anything else: CSV with a header row (``.tsv``: tab-separated).

Every problem becomes a one-line :class:`CliError` naming the file, the row
(1-based, the header is not counted; for CSV the file line too) and the column.

Use in a subcommand::

    add_distribution_flags(parser)          # in register()
    probs, rewards = distribution_from_args(args)   # in run()
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path

import numpy as np

from ._common import CliError, parse_float_list

__all__ = ["add_distribution_flags", "distribution_from_args", "read_distribution"]


def add_distribution_flags(parser: argparse.ArgumentParser) -> None:
    """Add ``--probs``, ``--rewards``, ``--file``, ``--prob-col`` and ``--reward-col``."""
    group = parser.add_argument_group("reference distribution (inline, or --file)")
    group.add_argument("--probs", metavar="P1,P2,...", help="comma-separated probabilities")
    group.add_argument(
        "--rewards", metavar="R1,R2,...", help="comma-separated rewards, one per probability"
    )
    group.add_argument(
        "--file", metavar="PATH", help="CSV or JSON file with a probability and a reward column"
    )
    group.add_argument(
        "--prob-col", default="prob", help="probability column of --file (default: prob)"
    )
    group.add_argument(
        "--reward-col", default="reward", help="reward column of --file (default: reward)"
    )


def distribution_from_args(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    """``(probs, rewards)`` as float64 arrays from the flags of :func:`add_distribution_flags`.

    Raises :class:`CliError` unless exactly one of ``--file`` or the pair
    ``--probs``/``--rewards`` is given. Values are parsed, not validated as a
    distribution: the library does that (sum to 1, lengths, ...).
    """
    inline = args.probs is not None or args.rewards is not None
    if args.file is not None and inline:
        raise CliError("give either --file or --probs/--rewards, not both")
    if args.file is not None:
        return read_distribution(args.file, args.prob_col, args.reward_col)
    if args.probs is None or args.rewards is None:
        if inline:
            missing = "--rewards" if args.rewards is None else "--probs"
            raise CliError(f"{missing} is missing: give --probs and --rewards together")
        raise CliError(
            "no distribution given: use --probs P1,P2,... --rewards R1,R2,... or --file PATH"
        )
    return parse_float_list(args.probs, "--probs"), parse_float_list(args.rewards, "--rewards")


def read_distribution(path, prob_col: str = "prob", reward_col: str = "reward"):
    """Read ``(probs, rewards)`` float64 arrays from a CSV or JSON file.

    Checks that both columns exist, every value is a finite number and no
    probability is negative; anything else raises a one-line :class:`CliError`
    such as ``"dist.csv: row 3 (line 4), column 'prob': 'abc' is not a number"``.
    """
    path = Path(path)
    if not path.exists():
        raise CliError(f"{path}: no such file")
    if path.is_dir():
        raise CliError(f"{path}: is a directory, expected a CSV or JSON file")
    suffix = path.suffix.lower()
    if suffix == ".json":
        rows = _json_rows(path)
    elif suffix in (".jsonl", ".ndjson"):
        rows = _jsonl_rows(path)
    else:
        rows = _csv_rows(path, "\t" if suffix == ".tsv" else ",")
    if not rows:
        raise CliError(f"{path}: no data rows")
    columns = ", ".join(map(str, rows[0][1].keys()))
    probs = np.empty(len(rows))
    rewards = np.empty(len(rows))
    for i, (where, record) in enumerate(rows):
        for col, out, flag in (
            (prob_col, probs, "--prob-col"),
            (reward_col, rewards, "--reward-col"),
        ):
            if col not in record:
                if i == 0:
                    raise CliError(
                        f"{path}: no column {col!r} (columns: {columns}); name it with {flag}"
                    )
                raise CliError(f"{path}: {where}: no field {col!r}")
            out[i] = _number(record[col], path, where, col)
        if probs[i] < 0:
            raise CliError(
                f"{path}: {where}, column {prob_col!r}: probability {probs[i]:g} is negative"
            )
    return probs, rewards


def _number(value, path: Path, where: str, col: str) -> float:
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise CliError(f"{path}: {where}, column {col!r}: missing value")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise CliError(f"{path}: {where}, column {col!r}: {value!r} is not a number") from None
    if not math.isfinite(x):
        raise CliError(f"{path}: {where}, column {col!r}: {value!r} is not a finite number")
    return x


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CliError(f"{path}: not a text file ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise CliError(f"{path}: cannot read ({exc.strerror})") from None


def _csv_rows(path: Path, delimiter: str) -> list:
    lines = _read_text(path).splitlines()
    reader = csv.reader(lines, delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise CliError(f"{path}: empty file, expected a header row naming the columns")
    header = [h.strip() for h in header]
    rows = []
    for record in reader:
        if not any(field.strip() for field in record):
            continue  # blank line
        where = f"row {len(rows) + 1} (line {reader.line_num})"
        if len(record) > len(header):
            raise CliError(
                f"{path}: {where}: {len(record)} fields but the header has {len(header)}"
            )
        record = record + [""] * (len(header) - len(record))  # short row: missing values
        rows.append((where, dict(zip(header, record, strict=True))))
    return rows


def _json_rows(path: Path) -> list:
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise CliError(
            f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    if isinstance(data, dict):
        lengths = {len(v) for v in data.values() if isinstance(v, list)}
        if len(lengths) != 1 or not all(isinstance(v, list) for v in data.values()):
            raise CliError(
                f"{path}: a JSON object must map each column name to a list of equal length"
            )
        size = lengths.pop()
        return [(f"row {i + 1}", {k: v[i] for k, v in data.items()}) for i in range(size)]
    if isinstance(data, list):
        for i, record in enumerate(data):
            if not isinstance(record, dict):
                raise CliError(f"{path}: row {i + 1}: expected an object with named fields")
        return [(f"row {i + 1}", record) for i, record in enumerate(data)]
    raise CliError(f"{path}: expected a JSON list of rows or an object of columns")


def _jsonl_rows(path: Path) -> list:
    rows = []
    for line_no, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"row {len(rows) + 1} (line {line_no})"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CliError(f"{path}: {where}: invalid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise CliError(f"{path}: {where}: expected an object with named fields")
        rows.append((where, record))
    return rows
