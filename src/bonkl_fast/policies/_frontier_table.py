"""The table :func:`bonkl_fast.frontier` returns: one column per meaning (MATH §8)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from .. import _table

__all__ = ["Frontier", "format_n"]


def format_n(n: float, digits: int = 6) -> str:
    """``n`` for a table: integers as integers with thousands separators (1,000,000),
    other values with ``digits`` significant digits."""
    if n == math.floor(n) and n <= 2.0**53:
        return f"{int(n):,}"
    return f"{n:.{digits}g}"


@dataclass(frozen=True)
class Frontier:
    """Best-of-n against the comparison policies, one entry per n (MATH §8).

    One attribute per column, the same columns in :meth:`to_dict`, :meth:`to_csv`
    and :meth:`to_markdown` (arrays of shape ``(len(ns),)``; only ``kl_saturation``
    is a scalar, not a column).

    Attributes
    ----------
    n : draws of best-of-n.
    kl_bound : folklore ``log n - (n - 1) / n``.
    bon_kl, bon_win_rate, bon_reward : exact best-of-n KL, win rate, expected reward.
    rr_cost_kl, rr_cost_win_rate, rr_cost_reward : rewind-and-repeat at
        ``alpha = 1 / n`` (same expected number of draws).
    rr_alpha, rr_win_rate, rr_reward : rewind-and-repeat at best-of-n's KL.
    win_tilt_beta, win_tilt_win_rate, win_tilt_reward : win-rate tilt at best-of-n's KL.
    reward_tilt_beta, reward_tilt_win_rate, reward_tilt_reward : reward tilt at
        best-of-n's KL.
    win_rate_shortfall : ``win_tilt_win_rate - bon_win_rate`` (>= 0).
    reward_shortfall : ``reward_tilt_reward - bon_reward`` (>= 0).
    kl_saturation : float, ``log(1 / p_top)``.

    Notes
    -----
    A tilt's beta is inf where best-of-n's KL is the saturation value to
    rounding (the tilt is then its limit, all mass on the top level) or where
    beta overflows float64 (a reward span below ~1e-300). Where the reward tilt
    cannot reach that KL at all in float64 (rewards whose gaps near the top are
    below ~1e-300 of their span), its three columns are NaN.

    Examples
    --------
    >>> from bonkl_fast import frontier
    >>> f = frontier([0.5, 0.5], [0.0, 1.0], [1, 4])
    >>> print(f.to_csv().splitlines()[0][:40])
    n,kl_bound,bon_kl,bon_win_rate,bon_rewar
    >>> print(f.to_csv().splitlines()[2][:30])
    4,0.6362943611198906,0.4593555
    >>> print(f.to_markdown(3).splitlines()[3][:42])
    | 4 | 0.636 | 0.459 | 0.719 | 0.938 | 0.69
    >>> list(f.to_dict()) == f.columns()
    True
    """

    n: np.ndarray
    kl_bound: np.ndarray
    bon_kl: np.ndarray
    bon_win_rate: np.ndarray
    bon_reward: np.ndarray
    rr_cost_kl: np.ndarray
    rr_cost_win_rate: np.ndarray
    rr_cost_reward: np.ndarray
    rr_alpha: np.ndarray
    rr_win_rate: np.ndarray
    rr_reward: np.ndarray
    win_tilt_beta: np.ndarray
    win_tilt_win_rate: np.ndarray
    win_tilt_reward: np.ndarray
    reward_tilt_beta: np.ndarray
    reward_tilt_win_rate: np.ndarray
    reward_tilt_reward: np.ndarray
    win_rate_shortfall: np.ndarray
    reward_shortfall: np.ndarray
    kl_saturation: float

    def columns(self) -> list[str]:
        """Names of the per-n columns, in table order."""
        return [f.name for f in fields(self) if f.name != "kl_saturation"]

    def to_dict(self) -> dict[str, np.ndarray]:
        """The columns by name, in table order (e.g. for ``pandas.DataFrame``)."""
        return {name: getattr(self, name) for name in self.columns()}

    def to_markdown(self, digits: int = 6) -> str:
        """A markdown table, one row per n (``digits`` significant digits; integer n as
        integers with thousands separators)."""
        cols = self.columns()
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for i in range(self.n.size):
            cells = [format_n(float(self.n[i]), digits)]
            cells += [f"{getattr(self, c)[i]:.{digits}g}" for c in cols[1:]]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def to_csv(self) -> str:
        """CSV text with a header row: integer n as integers, everything else at full
        float64 precision (``repr``: reads back bit for bit)."""
        return _table.csv_text(self._typed_columns())

    def to_pandas(self):
        """The table as a ``pandas.DataFrame``, one row per n (integer n as int64)."""
        return _table.data_frame(self._typed_columns())

    def _repr_html_(self) -> str:
        caption = f"best-of-n and the comparison policies (saturation {self.kl_saturation:.6g})"
        return _table.html_table(self._typed_columns(), caption=caption)

    def __repr__(self) -> str:
        ns = ", ".join(format_n(float(n)) for n in self.n[:6]) + (
            ", ..." if self.n.size > 6 else ""
        )
        columns = len(self.columns())
        return f"Frontier(n=[{ns}], {columns} columns, kl_saturation={self.kl_saturation:.6g})"

    def _typed_columns(self) -> dict:
        columns: dict = self.to_dict()
        columns["n"] = _table.integers_where_integral(self.n)
        return columns
