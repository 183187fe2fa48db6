"""The averaged curves of :class:`bonkl_fast.bank_result.BankCurves` as tables.

Bodies of ``BankCurves.to_dict``, ``to_pandas`` (one row per n and curve) and
``to_markdown``, built on the columns of ``BankCurves.table``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from . import _table

if TYPE_CHECKING:
    from .bank_result import BankCurves

__all__ = ["as_dict", "mean_frame", "markdown"]

_COUNTS = ("n", "groups_counted", "groups_counted_win_rate")


def as_dict(curves: BankCurves) -> dict:
    """Every averaged curve and its sem as JSON-ready lists (NaN as None), with the notes."""
    columns = curves.table(sem=True)
    out: dict = {name: [_plain(v) for v in column] for name, column in columns.items()}
    out["n_samples_min"] = int(curves.n_samples.min())
    out["n_samples_max"] = int(curves.n_samples.max())
    out["n_groups"] = int(curves.n_samples.shape[0])
    out["notes"] = curves.notes()
    return out


def mean_frame(curves: BankCurves):
    """A tidy ``pandas.DataFrame``: one row per n and curve (mean, sem, groups_counted)."""
    columns = curves.table(sem=True)
    names = [name for name in columns if name not in _COUNTS and not name.endswith("_sem")]
    m = curves.ns.shape[0]
    return _table.data_frame(
        {
            "n": np.tile(curves.ns, len(names)),
            "curve": np.repeat(names, m),
            "mean": np.concatenate([columns[c] for c in names]),
            "sem": np.concatenate([columns.get(f"{c}_sem", np.full(m, np.nan)) for c in names]),
            "groups_counted": np.concatenate([_counted(curves, c) for c in names]),
        }
    )


def _counted(curves: BankCurves, curve: str) -> np.ndarray:
    """Groups averaged into ``curve`` per n (the win rates need N > n)."""
    return curves.groups_counted_win_rate if "win_rate" in curve else curves.groups_counted


def markdown(curves: BankCurves) -> str:
    """The averaged curves as a Markdown table (6 digits, +- one sem), then the notes."""
    columns = curves.table(sem=True)
    shown = [name for name in columns if not name.endswith("_sem")]
    changes = curves.population_changes()
    lines = ["| " + " | ".join(shown) + " |", "|" + "---:|" * len(shown)]
    for i in range(curves.ns.shape[0]):
        cells = []
        for name in shown:
            cell = _table.cell(columns[name][i], digits=6)
            error = columns.get(f"{name}_sem")
            if error is not None and math.isfinite(error[i]):
                noise = error[i] <= 1e-12 * max(1.0, abs(columns[name][i]))  # rounding only
                cell += " ± 0" if noise else f" ± {error[i]:.2g}"
            if name == "groups_counted" and changes[i]:
                cell += "*"
            cells.append(cell)
        lines.append("| " + " | ".join(cells) + " |")
    notes = curves.notes()
    if notes:
        lines += ["", "± one standard error across groups; " + notes[0]] + notes[1:]
    return "\n".join(lines) + "\n"


def _plain(value):
    if isinstance(value, (int, np.integer)):
        return int(value)
    return float(value) if math.isfinite(value) else None
