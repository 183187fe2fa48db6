"""``bonkl reproduce``: the paper-style tables and figures on built-in references."""

from __future__ import annotations

import csv
import io
import sys
import time
from pathlib import Path

import numpy as np

from .. import reference_suite as suite
from ..exact import kl_and_win_rate, kl_bound, kl_divergence, win_rate_vs_reference
from ._common import (
    CliError,
    Stages,
    add_output_flags,
    check_writable,
    new_command,
    record_output,
    say,
    write_text,
)

EXAMPLES = """\
  bonkl reproduce                      # tables and figures in ./bonkl-out
  bonkl reproduce --out figs --force   # another folder; overwrite files there
  bonkl reproduce --no-figures         # just print the summary table
"""

FIGURES = (
    "fig1_uniform_kl.png",
    "fig2_rare_top_kl.png",
    "fig3_win_rate.png",
    "fig4_frontier.png",
    "fig5_monte_carlo.png",
)
TABLES = ("summary.csv", "summary.md", "frontier.csv", "monte_carlo.csv")
FRONTIER_REFERENCE = suite.few_answers()


def register(subparsers) -> None:
    parser = new_command(
        subparsers,
        "reproduce",
        "Print the exact-vs-folklore KL table and write the figures and tables.",
        EXAMPLES,
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("bonkl-out"),
        help="folder for figures and tables (default: ./bonkl-out)",
    )
    parser.add_argument(
        "--no-figures", action="store_true", help="print the table only; write nothing"
    )
    parser.add_argument(
        "--size",
        type=float,
        default=200_000,
        help="Monte Carlo draws per n for figure 5 (default: 2e5)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="seed of the Monte Carlo panel")
    add_output_flags(parser)
    parser.set_defaults(func=run)


MAX_SIZE = 10**9  # Monte Carlo draws per n; more needs more memory than the machine has


def run(args) -> int:
    if not args.no_figures:
        _check_figure_args(args)  # every refusal before any output
    refs = suite.default_references()
    rows = suite.summary_rows(refs)
    print(suite.format_table(rows))
    if args.no_figures:
        return 0
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    write_text(out / "summary.csv", _csv(suite.TABLE_COLUMNS, rows), args.force)
    write_text(out / "summary.md", suite.format_table(rows, markdown=True) + "\n", args.force)
    _write_figures(args, refs, out)
    files = len(FIGURES) + len(TABLES)
    say(args, f"wrote {files} files to {out} in {time.perf_counter() - started:.1f} s")
    print(f"\nwrote {len(FIGURES)} figures and {len(TABLES)} tables to {out}/", file=sys.stderr)
    return 0


def _check_figure_args(args) -> None:
    """Refuse bad --size, a missing matplotlib and files bonkl may not overwrite."""
    if not 1 <= args.size <= MAX_SIZE or args.size != int(args.size):
        raise ValueError(f"--size must be an integer from 1 to {MAX_SIZE:.0e}, got {args.size:g}")
    from ..plotting import pyplot

    try:
        pyplot()
    except ImportError:
        raise CliError(
            "the figures need matplotlib: pip install 'bonkl_fast[plot]' (or pass --no-figures)"
        ) from None
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} exists and is not a folder; choose another path")
    for name in FIGURES + TABLES:
        check_writable(out / name, args.force)


def _write_figures(args, refs, out: Path) -> None:
    from .. import plotting

    report = Stages(args, 3 + len(FIGURES))
    report("exact curves of the built-in references")
    grid = suite.n_grid()
    colour_of = {ref.name: plotting.colour(i) for i, ref in enumerate(refs)}
    curves = {ref.name: suite.curves(ref, grid) for ref in refs}

    def by_family(*families):
        return [c for c in curves.values() if c.reference.family in families]

    figs = {
        "fig1_uniform_kl.png": plotting.figure_kl_curves(
            by_family("uniform"),
            "Uniform references: exact KL saturates at log L",
            lambda ref: colour_of[ref.name],
        ),
        "fig2_rare_top_kl.png": plotting.figure_kl_curves(
            by_family("binary", "staircase"),
            "Rare top outcome: exact KL vs the folklore formula",
            lambda ref: colour_of[ref.name],
        ),
        "fig3_win_rate.png": plotting.figure_win_rate(
            list(curves.values()), lambda ref: colour_of[ref.name]
        ),
    }
    report("win-rate/KL frontier")
    frontier = frontier_data(FRONTIER_REFERENCE)
    figs["fig4_frontier.png"] = plotting.figure_frontier(frontier, FRONTIER_REFERENCE.name)
    write_text(out / "frontier.csv", _frontier_csv(frontier), args.force)
    report(f"Monte Carlo panel ({int(args.size):,} draws per n)")
    mc = monte_carlo_data(FRONTIER_REFERENCE, int(args.size), args.seed)
    figs["fig5_monte_carlo.png"] = plotting.figure_monte_carlo(mc, FRONTIER_REFERENCE.name)
    write_text(out / "monte_carlo.csv", _monte_carlo_csv(mc), args.force)
    for name, fig in figs.items():
        report(f"writing {name}")
        plotting.save(fig, out / name)
        record_output(out / name)


def frontier_data(ref: suite.Reference) -> dict:
    """Best-of-n, rewind-and-repeat and the win-rate tilt as (KL, win rate) curves."""
    from ..policies import rewind_and_repeat, win_rate_tilt

    p, r = ref.probs, ref.rewards
    ns = suite.n_grid(40, 1e4)
    alphas = np.logspace(0, np.log10(p[r == r.max()].sum()), 60)
    betas = np.concatenate([[0.0], np.logspace(-2, 3, 60)])
    rr = [rewind_and_repeat(p, r, a) for a in alphas]
    tilt = [win_rate_tilt(p, r, b) for b in betas]
    bon_kl, bon_win = kl_and_win_rate(p, r, ns)
    return {
        "ns": ns,
        "bon_kl": bon_kl,
        "bon_kl_bound": kl_bound(ns),
        "bon_win": bon_win,
        "alphas": alphas,
        "rr_kl": np.array([kl_divergence(pol, p) for pol in rr]),
        "rr_win": np.array([win_rate_vs_reference(pol, p, r) for pol in rr]),
        "betas": betas,
        "tilt_kl": np.array([kl_divergence(pol, p) for pol in tilt]),
        "tilt_win": np.array([win_rate_vs_reference(pol, p, r) for pol in tilt]),
    }


MC_NS = (1, 2, 4, 8, 16, 32, 64, 128, 1024)


def monte_carlo_data(ref: suite.Reference, size: int, seed: int) -> dict:
    """Simulated best-of-n KL and win rate with standard errors at a few n, and exact curves."""
    from ..simulation import simulate_best_of_n

    rng = np.random.default_rng(seed)
    results = [simulate_best_of_n(ref.probs, ref.rewards, n, size, rng=rng) for n in MC_NS]
    dense = suite.n_grid(80, max(MC_NS))
    kl_dense, win_dense = kl_and_win_rate(ref.probs, ref.rewards, dense)
    return {
        "size": size,
        "ns": np.array(MC_NS, dtype=float),
        "kl_mc": np.array([res.kl for res in results]),
        "kl_se": np.array([res.kl_se for res in results]),
        "win_mc": np.array([res.win_rate for res in results]),
        "win_se": np.array([res.win_rate_se for res in results]),
        "ns_dense": dense,
        "kl_exact": kl_dense,
        "kl_bound": kl_bound(dense),
        "win_exact": win_dense,
    }


def _csv(columns, rows) -> str:
    """CSV text; floats written with repr so they read back bit for bit."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([v if isinstance(v, str) else repr(float(v)) for v in row] for row in rows)
    return buffer.getvalue()


def _frontier_csv(data: dict) -> str:
    rows = [
        ("best_of_n", n, k, w)
        for n, k, w in zip(data["ns"], data["bon_kl"], data["bon_win"], strict=True)
    ]
    rows += [
        ("rewind_and_repeat", a, k, w)
        for a, k, w in zip(data["alphas"], data["rr_kl"], data["rr_win"], strict=True)
    ]
    rows += [
        ("win_rate_tilt", b, k, w)
        for b, k, w in zip(data["betas"], data["tilt_kl"], data["tilt_win"], strict=True)
    ]
    return _csv(("policy", "parameter", "kl", "win_rate"), rows)


def _monte_carlo_csv(data: dict) -> str:
    rows = list(
        zip(data["ns"], data["kl_mc"], data["kl_se"], data["win_mc"], data["win_se"], strict=True)
    )
    return _csv(("n", "kl_mc", "kl_se", "win_mc", "win_se"), rows)
