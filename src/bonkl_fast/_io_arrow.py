"""pyarrow readers for :mod:`bonkl_fast.io`: fast path for text tables, only path for Parquet.

For CSV and JSON Lines, :func:`fast_text_columns` returns the same arrays as
the standard-library reader (:mod:`bonkl_fast._io_text` with
:mod:`bonkl_fast._io_values`) or None, never anything else: on any doubt (a
parse error, a missing or bad value, a type the rules of ``_io_values`` do
not spell out, rewards reaching 2**53) it gives up and the standard library
reads the file and names the bad row.
"""

from __future__ import annotations

import mmap
from pathlib import Path

import numpy as np

from ._io_values import EXACT, BadValue, first_bad, reason

__all__ = ["fast_text_columns", "parquet_columns", "parquet_names"]


def _arrow():
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        return None
    return pa, pc


def fast_text_columns(path: Path, kind: str, plan: dict, header=None, sep=","):
    """``{name: array}`` for ``plan`` (name -> role) read by pyarrow, or None.

    ``kind`` is ``"csv"`` (then ``header`` and ``sep`` as found by
    :func:`bonkl_fast._io_text.csv_header`, and every planned name in it) or
    ``"lines"`` (JSON Lines; names absent from the file are left out).
    """
    modules = _arrow()
    if modules is None:
        return None
    pa, _ = modules
    try:
        if kind == "csv":
            columns = _csv_table(path, plan, header, sep)
        else:
            columns = _jsonl_table(path, plan)
    except (pa.ArrowException, OSError, ValueError, ImportError):
        return None  # the standard library reads the file and names what is wrong
    if columns is None:
        return None
    out = {}
    for name, column in columns.items():
        arr = _fast_array(plan[name], column, modules)
        if arr is None:
            return None
        out[name] = arr
    return out


def _csv_table(path: Path, plan: dict, header, sep):
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = [f"c{k}" for k in range(len(header))]
    where = {name: names[header.index(name)] for name in plan}
    types = {
        where[name]: pa.string() if role == "id" else pa.float64() for name, role in plan.items()
    }
    with open(path, "rb") as handle:  # mapped, not copied: pyarrow reads it in place
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    table = pcsv.read_csv(
        pa.BufferReader(pa.py_buffer(data)),
        read_options=pcsv.ReadOptions(column_names=names, skip_rows=1),
        # values can hold newlines only when quoted; parsing is faster without
        parse_options=pcsv.ParseOptions(delimiter=sep, newlines_in_values=data.find(b'"') >= 0),
        convert_options=pcsv.ConvertOptions(
            include_columns=list(types),
            column_types=types,
            null_values=[],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return {name: table.column(where[name]) for name in plan}


def _jsonl_table(path: Path, plan: dict):
    import pyarrow as pa
    import pyarrow.json as pjson

    data = path.read_bytes()
    if not _shallow_objects_one_per_line(data):
        return None
    table = pjson.read_json(pa.BufferReader(data))
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    if table.num_rows != lines:  # two objects on a line: the standard library decides
        return None
    return {name: table.column(name) for name in plan if name in table.column_names}


def _shallow_objects_one_per_line(data: bytes, depth: int = 1000) -> bool:
    """Every line starts with ``{`` and ends with ``}`` and holds at most ``depth`` of ``[{``.

    Then no object spans two lines (``}`` and ``{`` cannot meet inside one JSON
    value), so no object nests deeper than ``depth``: pyarrow's JSON parser
    crashes the process on nesting of ~1e4 levels.
    """
    buf = np.frombuffer(data, np.uint8)
    if buf.size == 0:
        return False
    newlines = np.flatnonzero(buf == ord("\n"))
    starts = np.concatenate(([0], newlines + 1))
    starts = starts[starts < buf.size]
    ends = np.append(newlines, buf.size)[: starts.size]
    if (ends <= starts).any():
        return False  # a blank line
    last = ends - 1 - ((buf[ends - 1] == ord("\r")) & (ends - 1 > starts))
    if not ((buf[starts] == ord("{")).all() and (buf[last] == ord("}")).all()):
        return False
    openers = (buf == ord("{")) | (buf == ord("["))
    return int(np.add.reduceat(openers, starts, dtype=np.intp).max()) <= depth


def _fast_array(role: str, column, modules):
    """The column as the standard library would return it, or None (then it decides)."""
    pa, pc = modules
    if column.null_count:
        return None
    kind = column.type
    if role == "id":
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            ids, empty = _strings(column, pc)
            return None if empty is not None else ids
        return column.to_numpy() if pa.types.is_int64(kind) else None
    if not (pa.types.is_int64(kind) or pa.types.is_float64(kind)):
        return None  # booleans, strings, lists...: the standard library decides
    arr = column.to_numpy()
    big = role == "reward" and arr.size and (arr.max() >= EXACT or arr.min() <= -EXACT)
    if pa.types.is_int64(kind):
        if big:
            return arr  # the standard library keeps a column of integers this large as int64
        arr = arr.astype(np.float64)
    elif big:
        return None  # float rewards reaching 2**53: the standard library decides
    return None if first_bad(role, arr) is not None else arr


def _strings(column, pc):
    """``(ids as a str array, index of the first empty id or None)``.

    ASCII ids are copied byte by byte into the UCS-4 code points of a str array (no Python
    string per row); others go through a dictionary of the distinct ids.
    """
    arr = column.combine_chunks()
    wide = str(arr.type) == "large_string"
    offsets = np.frombuffer(arr.buffers()[1], np.int64 if wide else np.int32)
    offsets = offsets[arr.offset : arr.offset + len(arr) + 1]
    lengths = np.diff(offsets)
    empty = np.flatnonzero(lengths == 0)
    if empty.size:
        return None, int(empty[0])
    if lengths.size == 0:
        return np.array([], dtype=str), None
    chars = np.frombuffer(arr.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]
    width = int(lengths.max())
    if width > 256 or (chars >= 128).any() or (chars == 0).any():
        encoded = pc.dictionary_encode(arr)
        words = np.asarray(encoded.dictionary.to_pylist())
        return words[encoded.indices.to_numpy()], None
    codes = np.zeros((lengths.size, width), np.uint32)  # "U" is UCS-4: one uint32 per character
    codes[np.arange(width) < lengths[:, None]] = chars
    return codes.view(f"U{width}").ravel(), None


def _parquet():
    try:
        import pyarrow.parquet as pq
    except ImportError:
        return None
    return pq


def parquet_names(path: Path) -> list[str]:
    """Column names of a Parquet file; ImportError without pyarrow, ValueError if unreadable."""
    pq = _parquet()
    if pq is None:
        raise ImportError(f"{path}: reading Parquet needs pyarrow; pip install bonkl_fast[parquet]")
    try:
        return list(pq.read_schema(path).names)
    except (OSError, ValueError) as exc:  # ArrowInvalid is a ValueError
        raise ValueError(f"{path}: not a readable Parquet file ({exc})") from None


def parquet_columns(path: Path, plan: dict) -> dict:
    """``{name: array}`` for ``plan`` (name -> role); raises :class:`BadValue` (with ``column``).

    Integer reward columns keep their dtype; other numbers become float64;
    ids are strings (a str array) or integers (kept as stored); other id types are refused.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        table = _parquet().read_table(path, columns=list(plan))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable Parquet file ({exc})") from None
    out = {}
    for name, role in plan.items():
        column = table.column(name)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        try:
            out[name] = _parquet_array(path, name, role, column, pa, pc)
        except BadValue as exc:
            exc.column = name
            raise
    return out


def _parquet_ids(path, name, column, pa, pc):
    """Group ids: a str array for strings, integers as stored; other types refused."""
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        ids, empty = _strings(column, pc)
        if empty is not None:
            raise BadValue(empty, "missing group id")
        return ids
    if pa.types.is_floating(kind):  # NaN: a missing id, reported as such first
        nan = np.flatnonzero(np.isnan(column.to_numpy()))
        if nan.size:
            raise BadValue(int(nan[0]), "missing group id")
    if not pa.types.is_integer(kind):  # the rule of the JSON reader (CSV ids are all text)
        raise ValueError(
            f"{path}: column {name!r} holds group ids of type {kind}; group ids must be "
            "strings or integers in every format (booleans and floats are refused): "
            "store the column as strings or int64"
        )
    return column.to_numpy()


def _parquet_array(path, name, role, column, pa, pc):
    missing = "missing group id" if role == "id" else "missing value (null)"
    if column.null_count:
        raise BadValue(int(np.flatnonzero(column.is_null().to_numpy())[0]), missing)
    kind = column.type
    if role == "id":
        return _parquet_ids(path, name, column, pa, pc)
    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
        raise ValueError(
            f"{path}: column {name!r} has type {kind}, not numbers; "
            "store it as float64 (or integers)"
        )
    arr = column.to_numpy()
    if arr.dtype.kind == "f" or role != "reward":
        arr = arr.astype(np.float64)
    i = first_bad(role, arr)
    if i is not None:
        raise BadValue(i, reason(role, arr[i].item()))
    return arr
