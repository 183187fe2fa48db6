"""The standard-library reader of text tables (CSV/TSV, JSON, JSON Lines).

It defines what :mod:`bonkl_fast.io` accepts: the pyarrow reader is only a
faster way to the same arrays, and when it fails this reader runs instead and
either names the bad row or reads the file. It returns the raw values of the
wanted columns (strings for CSV, JSON values for JSON) and the file line of
each row (None where lines are unknown: JSON documents).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ._io_values import names_shown

__all__ = ["csv_header", "json_layout", "text_columns"]

SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValueError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
            "save the file as UTF-8"
        ) from None


def _first_line(path: Path) -> str:
    """The header line; a lone carriage return ends it too, as it ends rows for the readers."""
    with open(path, "rb") as handle:
        first = handle.readline()
    return _decode(path, first.split(b"\r", 1)[0].rstrip(b"\n") if first else b"")


def csv_header(path: Path, sep: str | None, names, default: str) -> tuple[list[str], str]:
    """The header row (names stripped) and the separator.

    With ``sep`` None, the first of comma, semicolon and tab (``default``
    first) whose header holds every name in ``names``; when none does, the one
    splitting the header into the most columns (the caller reports the names
    missing from it).
    """
    if sep is not None and len(sep) != 1:
        raise ValueError(f"sep must be one character, got {sep!r}")
    line = _first_line(path)
    if not line.strip():
        raise ValueError(f"{path}: empty file (expected a header row naming the columns)")
    candidates = [sep] if sep is not None else [default] + [s for s in SEPARATORS if s != default]
    headers = {s: [h.strip() for h in next(csv.reader([line], delimiter=s))] for s in candidates}
    for s in candidates:
        if all(name in headers[s] for name in names):
            return headers[s], s
    best = max(candidates, key=lambda s: len(headers[s]))
    return headers[best], best


def json_layout(path: Path) -> str:
    """``"lines"`` when the file is JSON Lines, ``"document"`` for one JSON value.

    A file is JSON Lines when its first non-blank line is a whole JSON object
    and more text follows it; anything else is read as one document.
    """
    with open(path, "rb") as handle:
        first = b""
        while not first.strip():
            first = handle.readline()
            if not first:
                return "document"
        rest = handle.read(4096)
    try:
        value = json.loads(_decode(path, first))
    except (ValueError, RecursionError):
        return "document"
    return "lines" if isinstance(value, dict) and rest.strip() else "document"


class _Record(dict):
    """A JSON object with a key given twice (``duplicate`` names it)."""

    duplicate = ""


def _object(wanted):
    def hook(pairs):
        record = dict(pairs)
        if len(record) < len(pairs):
            seen = set()
            for key, _ in pairs:
                if key in seen and key in wanted:
                    record = _Record(record)
                    record.duplicate = key
                    break
                seen.add(key)
        return record

    return hook


def text_columns(path: Path, kind: str, names, optional, sep: str | None = ","):
    """``(columns, lines)``: the raw values of each wanted column, and each row's file line.

    ``kind`` is ``"csv"``, ``"lines"`` (JSON Lines) or ``"document"`` (JSON);
    ``optional`` names may be absent (then left out of ``columns``).
    """
    data = path.read_bytes()
    if kind == "csv":
        # bytes that are not UTF-8 matter only in the columns read (as for pyarrow)
        try:
            text, strict = data.decode("utf-8-sig"), True
        except UnicodeDecodeError:
            text, strict = data.decode("utf-8-sig", errors="surrogateescape"), False
        columns, lines = _csv_columns(path, text, names, sep or ",")
        if not strict:
            _check_utf8(path, columns, lines)
        return columns, lines
    text = _decode(path, data)
    hook = _object(set(names))
    if kind == "lines":
        records, lines = [], []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                records.append(_parse(path, line, hook, f"line {number}: "))
                lines.append(number)
    else:
        records, lines = _document(path, _parse(path, text, hook, "")), None
    return _record_columns(path, records, lines, names, optional), lines


def _check_utf8(path: Path, columns: dict, lines: list) -> None:
    """Refuse a value holding bytes that are not UTF-8 (decoded as lone surrogates)."""
    for name, values in columns.items():
        for i, value in enumerate(values):
            if not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError as exc:
                    byte = ord(value[exc.start]) - 0xDC00
                    raise ValueError(
                        f"{path}: row {i + 1}, line {lines[i]}, column {name!r}: "
                        f"not UTF-8 text (byte 0x{byte:02x}); save the file as UTF-8"
                    ) from None


def _parse(path: Path, text: str, hook, where: str):
    try:
        return json.loads(text, object_pairs_hook=hook)
    except json.JSONDecodeError as exc:
        at = f"line {exc.lineno} column {exc.colno}" if not where else f"column {exc.colno}"
        raise ValueError(f"{path}: {where}invalid JSON at {at} ({exc.msg})") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ValueError(f"{path}: {where}invalid JSON ({exc})") from None
    except RecursionError:
        raise ValueError(
            f"{path}: {where}JSON nested too deeply to read; flatten the records"
        ) from None


def _document(path: Path, data) -> list:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        if isinstance(data, _Record):
            raise ValueError(f"{path}: column {data.duplicate!r} appears twice; rename one")
        lists = {k: v for k, v in data.items() if isinstance(v, list)}
        if not lists:
            return [data]  # one record
        sizes = {len(v) for v in lists.values()}
        if len(sizes) > 1:
            raise ValueError(
                f"{path}: the columns have different lengths "
                f"({', '.join(f'{k}: {len(v)}' for k, v in lists.items())}); "
                "a JSON object of columns needs one list per column, all of one length"
            )
        size = sizes.pop()
        return [{k: v[i] for k, v in lists.items()} for i in range(size)]
    raise ValueError(
        f"{path}: expected a JSON list of records, an object of columns, or JSON Lines"
    )


def _record_columns(path: Path, records, lines, names, optional) -> dict:
    # an optional column is read when any record has it (then every record must)
    present = [n for n in names if n not in optional or any(_has(r, n) for r in records)]
    columns: dict[str, list] = {name: [] for name in present}
    for i, record in enumerate(records):
        where = f"{path}: row {i + 1}" + (f", line {lines[i]}" if lines is not None else "")
        if not isinstance(record, dict):
            raise ValueError(f"{where}: expected a JSON object with named fields")
        if isinstance(record, _Record):
            raise ValueError(f"{where}: key {record.duplicate!r} appears twice; rename one")
        for name in present:
            if name not in record:
                keys = names_shown(record)
                raise ValueError(
                    f"{where}: no column {name!r} (keys: {keys}); "
                    "choose the column with the matching option"
                )
            columns[name].append(record[name])
    return columns


def _has(record, name) -> bool:
    return isinstance(record, dict) and name in record


def _csv_columns(path: Path, text: str, names, sep: str):
    # the csv module refuses fields over field_size_limit() (131072 characters by
    # default), which long texts beside the scores reach: allow the whole file for
    # this read, then restore the limit
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))
    try:
        return _csv_rows(path, text, names, sep)
    finally:
        csv.field_size_limit(limit)


def _csv_rows(path: Path, text: str, names, sep: str):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header = [h.strip() for h in next(reader)]
    present = [n for n in names if n in header]
    where = {name: header.index(name) for name in present}
    columns: dict[str, list] = {name: [] for name in present}
    lines: list[int] = []
    try:
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
    except csv.Error as exc:
        raise ValueError(f"{path}: row {len(lines) + 1}, line {reader.line_num}: {exc}") from None
    return columns, lines
