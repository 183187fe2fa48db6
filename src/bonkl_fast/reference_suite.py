"""The built-in references and curves that ``bonkl reproduce`` reports.

Pure computations (no files, no plotting), so the CLI, the figures and the
tests all use the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .exact import kl_and_win_rate, kl_bound, kl_estimate_expected, win_rate_bound


@dataclass(frozen=True)
class Reference:
    """A named discrete reference: ``probs`` over outcomes with ``rewards``."""

    name: str
    family: str  # "uniform", "binary" or "staircase"
    probs: np.ndarray
    rewards: np.ndarray


def uniform(size: int) -> Reference:
    """Uniform over ``size`` outcomes with distinct rewards."""
    return Reference(
        f"uniform L={size:g}", "uniform", np.full(size, 1.0 / size), np.arange(size, dtype=float)
    )


def binary(top: float) -> Reference:
    """Two outcomes; the better one has mass ``top``."""
    return Reference(
        f"binary top={top:g}", "binary", np.array([1.0 - top, top]), np.array([0.0, 1.0])
    )


def staircase(steps: int = 6) -> Reference:
    """``p_k ∝ 10^-k`` for reward k = 0..steps-1: each better outcome ten times rarer."""
    p = 10.0 ** -np.arange(steps, dtype=float)
    return Reference(
        f"staircase 10^-k, K={steps}", "staircase", p / p.sum(), np.arange(steps, dtype=float)
    )


def few_answers() -> Reference:
    """Six answers, a few likely, with ties in the reward (top level mass 0.15)."""
    probs = np.array([0.35, 0.25, 0.15, 0.10, 0.10, 0.05])
    rewards = np.array([0.0, 1.0, 1.0, 2.0, 3.0, 3.0])
    return Reference("six answers with ties", "few", probs, rewards)


def default_references() -> list[Reference]:
    """Uniform L in {10, 1e2, 1e3, 1e4}, binary top in {1e-1..1e-4}, a staircase."""
    refs = [uniform(size) for size in (10, 100, 1000, 10000)]
    refs += [binary(top) for top in (1e-1, 1e-2, 1e-3, 1e-4)]
    refs.append(staircase())
    return refs


@dataclass(frozen=True)
class Curves:
    """Exact best-of-n curves of one reference over a grid of n."""

    reference: Reference
    ns: np.ndarray
    kl: np.ndarray
    kl_bound: np.ndarray
    kl_estimate: np.ndarray
    win_rate: np.ndarray
    win_rate_bound: np.ndarray


def curves(ref: Reference, ns) -> Curves:
    """Exact KL, folklore bound, expected estimator and win rates for ``ref`` over ``ns``."""
    ns = np.asarray(ns, dtype=float)
    kl, win = kl_and_win_rate(ref.probs, ref.rewards, ns, assume_sorted=True)
    return Curves(
        ref,
        ns,
        kl,
        kl_bound(ns),
        kl_estimate_expected(ref.probs, ref.rewards, ns, assume_sorted=True),
        win,
        win_rate_bound(ns),
    )


def n_grid(points: int = 121, n_max: float = 1e6) -> np.ndarray:
    """Log-spaced n from 1 to ``n_max`` (real n: the formulas hold for any n >= 1)."""
    return np.logspace(0.0, np.log10(n_max), points)


TABLE_NS = np.array([1, 2, 4, 10, 100, 1e3, 1e4, 1e5, 1e6])
TABLE_COLUMNS = (
    "reference",
    "n",
    "kl_exact",
    "kl_bound",
    "kl_estimate",
    "win_rate",
    "win_rate_bound",
)


def summary_rows(refs: list[Reference], ns=TABLE_NS) -> list[tuple]:
    """Rows of the summary table: one per (reference, n), columns ``TABLE_COLUMNS``."""
    rows = []
    for ref in refs:
        c = curves(ref, ns)
        for i, n in enumerate(c.ns):
            rows.append(
                (
                    ref.name,
                    n,
                    c.kl[i],
                    c.kl_bound[i],
                    c.kl_estimate[i],
                    c.win_rate[i],
                    c.win_rate_bound[i],
                )
            )
    return rows


def format_table(rows: list[tuple], columns=TABLE_COLUMNS, markdown: bool = False) -> str:
    """Fixed-width text (or markdown) table of ``rows``; floats with 6 significant digits."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(columns)]

    def line(items):
        parts = [
            s.ljust(w) if i == 0 else s.rjust(w)
            for i, (s, w) in enumerate(zip(items, widths, strict=True))
        ]
        return ("| " + " | ".join(parts) + " |") if markdown else "  ".join(parts)

    out = [line(columns)]
    out.append(
        "|" + "|".join("-" * (w + 2) for w in widths) + "|"
        if markdown
        else "  ".join("-" * w for w in widths)
    )
    out += [line(r) for r in cells]
    return "\n".join(out)


def _cell(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)) or (
        isinstance(value, float) and value.is_integer() and abs(value) < 1e7
    ):
        return f"{value:g}" if abs(value) < 1e5 else f"{value:.0e}"
    return f"{value:.6g}"
