"""Helpers shared by the ``bonkl`` subcommands: errors, output files, n lists."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

MARKER_NAME = ".bonkl-output"


class CliError(Exception):
    """An error the user can fix; printed as one line, exit status 2."""


def parse_float_list(text: str, what: str) -> np.ndarray:
    """Parse ``"1,4,16,1e6"`` into a float array, or raise CliError naming ``what``."""
    items = [s.strip() for s in text.split(",") if s.strip()]
    if not items:
        raise CliError(f"{what}: expected a comma-separated list of numbers, got {text!r}")
    try:
        return np.array([float(s) for s in items])
    except ValueError:
        bad = next(s for s in items if not _is_float(s))
        raise CliError(f"{what}: {bad!r} is not a number") from None


def _is_float(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def check_writable(path: Path, force: bool) -> None:
    """Refuse to overwrite a file that bonkl did not write, unless ``force``.

    A file counts as bonkl's when its directory holds the marker file that
    :func:`prepare_out_dir` creates and the file is listed in it.
    """
    if path.exists() and not force and not _written_by_bonkl(path):
        raise CliError(f"{path} exists and was not written by bonkl; pass --force to overwrite it")


def _written_by_bonkl(path: Path) -> bool:
    marker = path.parent / MARKER_NAME
    if not marker.is_file():
        return False
    return path.name in marker.read_text().split()


def record_output(path: Path) -> None:
    """Remember that bonkl wrote ``path`` (so a rerun may overwrite it)."""
    marker = path.parent / MARKER_NAME
    names = set(marker.read_text().split()) if marker.is_file() else set()
    if path.name not in names:
        names.add(path.name)
        marker.write_text("\n".join(sorted(names)) + "\n")


def write_text(path: Path, text: str, force: bool) -> None:
    """Write ``text`` to ``path`` after :func:`check_writable`, and record it."""
    check_writable(path, force)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    record_output(path)


def add_output_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help="overwrite files bonkl did not write")


def say(args: argparse.Namespace, message: str) -> None:
    """Print ``message`` to stderr when ``--verbose`` was given."""
    if getattr(args, "verbose", False):
        print(message, file=sys.stderr)


def new_command(subparsers, name: str, help_text: str, examples: str) -> argparse.ArgumentParser:
    """Add a subcommand parser with ``--debug``/``--verbose`` and an examples epilog."""
    parser = subparsers.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog="examples:\n" + examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors"
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="say more about what is done",
    )
    return parser


class Stages:
    """Progress of a multi-stage command on stderr: ``[k/N] what``.

    Shown when stderr is a terminal (one line, overwritten) or with ``--verbose``
    (one line per stage); silent otherwise, so pipes and logs stay clean.
    """

    def __init__(self, args: argparse.Namespace, total: int):
        self.total = total
        self.done = 0
        self.verbose = bool(getattr(args, "verbose", False))
        self.tty = sys.stderr.isatty()

    def __call__(self, what: str) -> None:
        self.done += 1
        line = f"[{self.done}/{self.total}] {what}"
        if self.verbose:
            print(line, file=sys.stderr)
        elif self.tty:
            end = "\n" if self.done == self.total else ""
            print(f"\r{line:<72}", end=end, file=sys.stderr, flush=True)
