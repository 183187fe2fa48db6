"""Reading a reference distribution for the ``bonkl`` subcommands (``kl``, ``simulate``).

A distribution is given inline (``--probs 0.5,0.3,0.2 --rewards 1,2,3``) or
as a file (``--file PATH``) with one row per outcome and a probability and a
reward column (names set by ``--prob-col``/``--reward-col``, default
``prob``/``reward``; other columns are ignored; ``--sep`` forces the CSV
separator). Files are read by
:func:`bonkl_fast.io.read_reference`, the reader of every command: CSV/TSV,
JSON (records, columns, or JSON Lines), JSON Lines and Parquet.

Every problem becomes a one-line :class:`CliError` naming the file, the row
(1-based, the header is not counted; for CSV and JSON Lines the file line too)
and the column.

Use in a subcommand::

    add_distribution_flags(parser)          # in register()
    probs, rewards = distribution_from_args(args)   # in run()
"""

from __future__ import annotations

import argparse

import numpy as np

from ._common import CliError, parse_float_list, reading_error

__all__ = ["add_distribution_flags", "distribution_from_args", "read_distribution"]


def add_distribution_flags(parser: argparse.ArgumentParser) -> None:
    """Add ``--probs``, ``--rewards``, ``--file``, ``--prob-col``, ``--reward-col``, ``--sep``,
    ``--normalize``."""
    group = parser.add_argument_group("reference distribution (inline, or --file)")
    group.add_argument("--probs", metavar="P1,P2,...", help="comma-separated probabilities")
    group.add_argument(
        "--rewards", metavar="R1,R2,...", help="comma-separated rewards, one per probability"
    )
    group.add_argument(
        "--file",
        metavar="PATH",
        help="CSV, TSV, JSON, JSON Lines or Parquet file with a probability and a reward column",
    )
    group.add_argument(
        "--prob-col", default="prob", help="probability column of --file (default: prob)"
    )
    group.add_argument(
        "--reward-col", default="reward", help="reward column of --file (default: reward)"
    )
    group.add_argument(
        "--sep",
        metavar="CHAR",
        help="CSV separator of --file: one character, or tab (default: comma, semicolon or tab, "
        "found from the header)",
    )
    group.add_argument("--normalize", action="store_true", help="divide probabilities by their sum")


def distribution_from_args(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    """``(probs, rewards)`` arrays from the flags of :func:`add_distribution_flags`.

    Raises :class:`CliError` unless exactly one of ``--file`` or the pair
    ``--probs``/``--rewards`` is given. Values are parsed, not validated as a
    distribution: the library does that (sum to 1, lengths, ...).
    """
    inline = args.probs is not None or args.rewards is not None
    if args.file is not None and inline:
        raise CliError("give either --file or --probs/--rewards, not both")
    if args.file is not None:
        return read_distribution(args.file, args.prob_col, args.reward_col, sep=args.sep)
    if args.probs is None or args.rewards is None:
        if inline:
            missing = "--rewards" if args.rewards is None else "--probs"
            raise CliError(f"{missing} is missing: give --probs and --rewards together")
        raise CliError(
            "no distribution given: use --probs P1,P2,... --rewards R1,R2,... or --file PATH"
        )
    return parse_float_list(args.probs, "--probs"), parse_float_list(args.rewards, "--rewards")


def read_distribution(
    path, prob_col: str = "prob", reward_col: str = "reward", *, sep: str | None = None
):
    """``(probs, rewards)`` from a file, read by :func:`bonkl_fast.io.read_reference`.

    Every problem is a one-line :class:`CliError` naming the file, the row and
    the column, such as ``"dist.csv: row 2, line 3, column 'prob': 'abc' is not
    a number"``; a missing column names the option that chooses it.
    """
    from ..io import read_reference

    try:
        sep = "\t" if sep in ("tab", "\\t") else sep
        return read_reference(path, prob=prob_col, reward=reward_col, sep=sep)
    except (ImportError, OSError, ValueError) as exc:
        flags = {prob_col: "--prob-col", reward_col: "--reward-col"}
        raise reading_error(exc, flags) from None
