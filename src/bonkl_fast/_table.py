"""One way to turn a result's table into CSV, Markdown, HTML and pandas.

Every result object (:class:`~bonkl_fast.SimulationResult`,
:class:`~bonkl_fast.BankCurves`, :class:`~bonkl_fast.Frontier`) describes
itself as named columns of equal length; these helpers format them the same
way everywhere: integers as integers (``1000000``, never ``1e+06`` or
``1000000.0``), floats at full precision in CSV (``repr``: read back bit for
bit) and to ``digits`` significant digits in Markdown and HTML, NaN as ``nan``.
"""

from __future__ import annotations

import csv
import html
import io
import math

import numpy as np

__all__ = [
    "cell",
    "csv_text",
    "markdown_table",
    "html_table",
    "data_frame",
    "integers_where_integral",
]


def cell(value, *, digits: int | None = None) -> str:
    """One value as text: integers (and integral floats up to 2**53) as integers."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, str):
        return value
    number = float(value)
    if digits is None:
        return repr(number)
    return f"{number:.{digits}g}"


def _rows(columns: dict):
    length = len(next(iter(columns.values()))) if columns else 0
    return ([column[i] for column in columns.values()] for i in range(length))


def csv_text(columns: dict) -> str:
    """CSV with a header row; floats at full precision, integer columns as integers."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")  # quotes names holding commas
    writer.writerow(columns)
    for row in _rows(columns):
        writer.writerow(cell(value) for value in row)
    return out.getvalue()


def markdown_table(columns: dict, *, digits: int = 6) -> str:
    """A Markdown table, ``digits`` significant digits."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---:|" * len(columns)]
    for row in _rows(columns):
        lines.append("| " + " | ".join(cell(value, digits=digits) for value in row) + " |")
    return "\n".join(lines) + "\n"


def html_table(columns: dict, *, digits: int = 6, caption: str = "") -> str:
    """An HTML table for notebooks (``_repr_html_``), ``digits`` significant digits."""
    head = "".join(f"<th>{html.escape(str(name))}</th>" for name in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell(v, digits=digits))}</td>" for v in row) + "</tr>"
        for row in _rows(columns)
    )
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def data_frame(columns: dict):
    """A ``pandas.DataFrame`` of the columns (pandas is an optional dependency)."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "to_pandas() needs pandas; pip install pandas (or bonkl_fast[dask])"
        ) from None
    return pd.DataFrame({name: np.asarray(column) for name, column in columns.items()})


def integers_where_integral(values) -> list:
    """``values`` as a list with integral entries (up to 2**53) as ints, others as floats:
    an ``n`` column reads ``1000000`` and ``2.5``, never ``1e+06`` or ``1000000.0``."""
    out: list = []
    for value in np.asarray(values, dtype=np.float64).tolist():
        integral = math.isfinite(value) and value == math.floor(value) and abs(value) <= 2.0**53
        out.append(int(value) if integral else value)
    return out
