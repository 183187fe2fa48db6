"""``bonkl reproduce``: the paper-style tables and figures on built-in references."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ._common import (
    add_output_flags,
    new_command,
    parse_count,
    require_matplotlib,
    say,
    stages,
)
from ._output import OwnedFolder

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
MAX_SIZE = 10**9  # Monte Carlo draws per n; more needs more memory than the machine has
MAX_SEED = 2**128 - 1  # numpy's SeedSequence takes any non-negative int; keep it printable


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
        default="200000",
        help="Monte Carlo draws per n for figure 5, 1 to 1e9 (default: 2e5)",
    )
    parser.add_argument(
        "--seed", default="2026", help="seed of the Monte Carlo panel, an integer >= 0"
    )
    add_output_flags(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    # every refusal before any output
    size = parse_count(args.size, "--size", 1, MAX_SIZE, f"{MAX_SIZE:.0e} draws per n")
    seed = parse_count(args.seed, "--seed", 0, MAX_SEED, "2**128 - 1")
    folder = None if args.no_figures else _check_outputs(args)
    from . import reference_suite as suite

    rows = suite.summary_rows(suite.default_references())
    print(suite.format_table(rows))
    if folder is None:
        return 0
    started = time.perf_counter()
    _write_all(args, folder, rows, size, seed)
    say(args, f"wrote {len(FIGURES) + len(TABLES)} files in {time.perf_counter() - started:.1f} s")
    print(
        f"\nwrote {len(FIGURES)} figures and {len(TABLES)} tables to {folder.folder}/",
        file=sys.stderr,
    )
    return 0


def _check_outputs(args) -> OwnedFolder:
    """Refuse a missing matplotlib and files bonkl may not (or cannot) write."""
    require_matplotlib("the figures", " (or pass --no-figures)")
    folder = OwnedFolder(args.out)
    folder.check(FIGURES + TABLES, args.force)
    return folder


def _write_all(args, folder: OwnedFolder, rows, size: int, seed: int) -> None:
    from . import plotting
    from . import reference_suite as suite

    report = stages(args, 4 + len(FIGURES))
    data = suite.panels(size, seed, report)
    report("writing the tables")
    folder.claim(FIGURES + TABLES)
    folder.write_text("summary.csv", _csv(suite.TABLE_COLUMNS, rows))
    folder.write_text("summary.md", suite.format_table(rows, markdown=True) + "\n")
    folder.write_text("frontier.csv", _frontier_csv(data))
    folder.write_text("monte_carlo.csv", _csv(suite.MC_COLUMNS, data.monte_carlo))
    for name, fig in plotting.reproduce_figures(data=data).items():
        report(f"writing {name}")
        folder.save_figure(name, fig)


def _csv(columns, rows) -> str:
    """CSV text; integers as integers, floats with repr so they read back bit for bit."""
    from .._table import csv_text

    return csv_text(dict(zip(columns, zip(*rows, strict=True), strict=True)))


def _frontier_csv(data) -> str:
    """The ``Frontier`` table of the frontier reference (its columns), the reference named."""
    from .._table import csv_text, integers_where_integral

    table = data.frontier
    columns = {"reference": [data.frontier_reference.name] * table.n.shape[0], **table.to_dict()}
    columns["n"] = integers_where_integral(columns["n"])
    return csv_text(columns)
