"""The built-in references and curves that ``bonkl reproduce`` reports.

Pure computations (no files, no plotting), so the CLI, the figures
(:mod:`bonkl_fast.cli.plotting`) and the tests all use the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import reference as library
from ..exact import kl_bound, win_rate_bound


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


def describe(ref: Reference) -> str:
    """``"probs 0.35, 0.25, ...; rewards 0, 1, ..."``: the reference in full, for captions."""
    return (
        f"probs {', '.join(f'{p:g}' for p in ref.probs)}; "
        f"rewards {', '.join(f'{r:g}' for r in ref.rewards)}"
    )


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
    exact = library.Reference(ref.probs, ref.rewards, assume_sorted=True)  # validated once
    kl, win = exact.kl_and_win_rate(ns)
    return Curves(
        ref, ns, kl, kl_bound(ns), exact.kl_estimate_expected(ns), win, win_rate_bound(ns)
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
    """Rows of the summary table: one per (reference, n), columns ``TABLE_COLUMNS``.

    ``n`` is a Python ``int`` where it is integral (so tables print ``1000``, not ``1000.0``).
    """
    rows = []
    for ref in refs:
        c = curves(ref, ns)
        for i, n in enumerate(c.ns):
            rows.append(
                (
                    ref.name,
                    int(n) if float(n).is_integer() else float(n),
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
    """Integers (and integral floats up to 2**53) with thousands separators, else 6 digits."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)) or (
        isinstance(value, (float, np.floating)) and float(value).is_integer() and abs(value) < 2**53
    ):
        return f"{int(value):,}"
    return f"{value:.6g}"


# ----------------------------------------------------- frontier and Monte Carlo panels

FRONTIER_NS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128, 256, 512, 1024, 4096, 10_000)
MC_NS = (1, 2, 4, 8, 16, 32, 64, 128, 1024)
MC_COLUMNS = (
    "reference",
    "n",
    "draws",
    "seed",
    "kl_mc",
    "kl_se",
    "kl_exact",
    "kl_se_exact",
    "win_rate_mc",
    "win_rate_se",
    "win_rate_exact",
    "win_rate_se_exact",
)


def frontier_table(ref: Reference, ns=FRONTIER_NS):
    """:func:`bonkl_fast.frontier` of ``ref`` at ``ns`` (the table ``frontier.csv`` holds)."""
    from ..policies import frontier

    return frontier(ref.probs, ref.rewards, np.asarray(ns, dtype=float))


def monte_carlo_rows(ref: Reference, size: int, seed: int, ns=MC_NS) -> list[tuple]:
    """Simulated KL and win rate with standard errors next to the exact values.

    One row per n, columns ``MC_COLUMNS``; the draws for all n come from one
    generator seeded with ``seed``. ``*_se`` is the sample standard error the
    simulation reports, ``*_se_exact`` the true one (unlike the sample one, right
    where best-of-n rarely leaves the top level), both from
    :class:`bonkl_fast.SimulationResult`.
    """
    from ..simulation import simulate_best_of_n

    rng = np.random.default_rng(seed)
    rows = []
    for n in ns:
        res = simulate_best_of_n(ref.probs, ref.rewards, n, size, rng=rng)
        rows.append(
            (ref.name, int(n), int(size), int(seed))
            + (res.kl, res.kl_se, res.kl_exact, res.kl_se_exact)
            + (res.win_rate, res.win_rate_se, res.win_rate_exact, res.win_rate_se_exact)
        )
    return rows


@dataclass(frozen=True)
class Panels:
    """Every number behind the figures and tables of ``bonkl reproduce``."""

    references: list[Reference]
    curves: list[Curves]  # each reference over n_grid()
    frontier_reference: Reference
    frontier: object  # bonkl_fast.Frontier at FRONTIER_NS (frontier.csv)
    frontier_dense: object  # bonkl_fast.Frontier over a dense n grid (the curves of fig 4)
    monte_carlo: list[tuple]  # monte_carlo_rows (monte_carlo.csv)
    monte_carlo_exact: Curves  # the frontier reference over a dense grid up to max(MC_NS)


def panels(size: int, seed: int, report=None) -> Panels:
    """Compute :class:`Panels`; ``report(stage)`` is called before each stage if given."""
    report = report or (lambda stage: None)
    report("exact curves of the built-in references")
    refs = default_references()
    grid = n_grid()
    all_curves = [curves(ref, grid) for ref in refs]
    report("win-rate/KL frontier")
    ref = few_answers()
    table = frontier_table(ref)
    dense = frontier_table(ref, n_grid(600, 1e4))
    report(f"Monte Carlo panel ({size:,} draws per n)")
    mc = monte_carlo_rows(ref, size, seed)
    mc_exact = curves(ref, n_grid(80, max(MC_NS)))
    return Panels(refs, all_curves, ref, table, dense, mc, mc_exact)
