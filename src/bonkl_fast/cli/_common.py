"""Helpers shared by the ``bonkl`` subcommands: numbers, parsers, progress.

Output files are written by :mod:`._output` (which also defines :class:`CliError`)."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation

import numpy as np

from ._output import CliError


def parse_float_list(
    text: str, what: str, *, minimum: float | None = None, integers: bool = False
) -> np.ndarray:
    """Parse ``"1,4,16,1e6"`` into a float array, or raise CliError naming ``what``.

    Empty items (``"1,,4"``, a trailing comma) are refused, not skipped; so are items
    below ``minimum`` and, with ``integers``, items that are not exactly integers
    (``2.0000000000000001`` is refused, not rounded to 2).
    """
    items = [s.strip() for s in text.split(",")]
    if not any(items):
        raise CliError(f"{what}: expected a comma-separated list of numbers, got {shown(text)}")
    for position, item in enumerate(items, start=1):
        if not item:
            raise CliError(f"{what}: item {position} of {shown(text)} is empty")
    values = [parse_number(s, what) for s in items]
    kind = "integers" if integers else "numbers"
    for item, value in zip(items, values, strict=True):
        if (integers and not isinstance(value, int)) or (minimum is not None and value < minimum):
            at_least = "" if minimum is None else f" >= {minimum:g}"
            raise CliError(f"{what}: expected {kind}{at_least}, got {shown(item)}")
    return np.array(values, dtype=float)


def shown(text: str, width: int = 60) -> str:
    """``repr(text)``, cut to about ``width`` characters: user text echoed in a message.

    >>> shown("9" * 400)
    "'99999999999999999999999999999999999999999999999...' (400 characters)"
    """
    text = str(text)
    if len(text) <= width:
        return repr(text)
    return f"{text[: width - 13]!r}"[:-1] + f"...' ({len(text)} characters)"


def parse_number(text: str, what: str) -> int | float:
    """A number as written: integers (also ``1e6``, ``2.0``) as exact Python ints, else a float.

    ``9007199254740993`` stays that integer (a float would round it to 2**53);
    ``2.0000000000000001`` is a float, not 2: callers needing an integer refuse it.
    Finite values beyond float64 (``1e400``, 400 digits) are refused.
    """
    text = text.strip()
    try:
        exact = Decimal(text.replace("_", "x"))  # no 1_000: refused, as in a CSV file
    except InvalidOperation:
        raise CliError(f"{what}: {shown(text)} is not a number") from None
    if exact.is_nan():
        raise CliError(f"{what}: {shown(text)} is not a number")
    if exact.is_finite() and abs(exact) > _FLOAT_MAX:  # not silently inf
        raise CliError(f"{what}: {shown(text)} is too large for a 64-bit float (max ~1.8e308)")
    if exact.is_finite() and exact == exact.to_integral_value():
        return int(exact)
    return float(text)


_FLOAT_MAX = int(np.finfo(np.float64).max)


def parse_count(
    text: str, what: str, minimum: int = 1, maximum: int | None = None, limit: str = ""
) -> int:
    """An exact integer >= ``minimum`` written like ``16``, ``1e6`` or ``9007199254740993``.

    With ``maximum``, larger values are refused too, the message saying ``at most
    {limit}`` (``limit`` defaults to ``maximum`` written out).

    >>> parse_count("1e3", "--size", 2, 10**9)
    1000
    >>> parse_count("2e9", "--size", 2, 10**9, "1e9 draws")
    Traceback (most recent call last):
    ...
    bonkl_fast.cli._output.CliError: --size: at most 1e9 draws, got '2e9'
    """
    value = parse_number(text, what)
    if not isinstance(value, int) or value < minimum:
        raise CliError(f"{what}: expected an integer >= {minimum}, got {shown(text)}")
    if maximum is not None and value > maximum:
        raise CliError(f"{what}: at most {limit or maximum}, got {shown(text)}")
    return value


_COLUMN_ADVICE = "; choose the column with the matching option"


def reading_error(exc: Exception, flags: dict) -> CliError:
    """A reader's error as one line; a missing column names the option that chooses it.

    ``flags`` maps each column asked for to its option, e.g. ``{"prob": "--prob-col"}``.

    >>> reading_error(ValueError(f"d.csv: no column 'p' (columns: q){_COLUMN_ADVICE}"),
    ...               {"p": "--prob-col"})
    CliError("d.csv: no column 'p' (columns: q); name it with --prob-col")
    """
    message = str(exc)
    for column, flag in flags.items():
        if f"no column {column!r}" in message:
            return CliError(message.replace(_COLUMN_ADVICE, f"; name it with {flag}"))
    return CliError(message)


def require_matplotlib(what: str, hint: str = "") -> None:
    """Refuse, before any work, a command whose ``what`` needs a missing matplotlib."""
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError:
        raise CliError(f"{what} needs matplotlib: pip install 'bonkl_fast[plot]'{hint}") from None


def add_output_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")


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


def stages(args: argparse.Namespace, total: int):
    """``report(what)`` for a multi-stage command: the library's one progress reporter
    (:class:`bonkl_fast._progress.Progress`), shown on a terminal (one line, overwritten)
    or with ``--verbose`` (one line per stage); silent otherwise."""
    from .._progress import Progress

    return Progress(total, "", delay=0.0, verbose=bool(getattr(args, "verbose", False))).stage
