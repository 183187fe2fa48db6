"""The ``bonkl`` command: ``bonkl reproduce``, ``bonkl kl``, ``bonkl simulate``, ``bonkl bank``.

Everything here serves the command line only; the library never imports it.
One module per subcommand (``reproduce``, ``kl``, ``simulate``, ``bank``), each
defining ``register(subparsers)``, which adds its parser and sets ``func`` to a
function ``run(args) -> int``; beside them the helpers they share
(``_common``, ``_distribution``, ``_output``), the built-in suite of
``bonkl reproduce`` (``reference_suite``) and its figures (``plotting``).

Building the parser imports no kernels (``bonkl --version`` and
``bonkl COMMAND --help`` answer at once): a subcommand imports the library
inside its ``run``, never at the top. Errors a user can fix are raised as
:class:`bonkl_fast.cli._common.CliError` (or ``ValueError``/``TypeError`` from
the library) and printed by :func:`main` as one line, exit 2. Output files go
through :mod:`bonkl_fast.cli._output` (never lost, never written through a
symlink, moved into place whole).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import os
import re
import sys

from .. import __version__
from ._common import CliError

# subcommand modules under bonkl_fast.cli, in the order --help lists them
COMMANDS = ("reproduce", "kl", "simulate", "bank")

# errors a user can fix: one line, exit 2 (csv.Error: a field over the size limit;
# RecursionError: deeply nested JSON)
USER_ERRORS = (
    CliError,
    ValueError,
    TypeError,
    OverflowError,
    OSError,
    ImportError,
    csv.Error,
    RecursionError,
)


_QUOTED = re.compile(r"'[^']{99,}'|\"[^\"]{99,}\"")


def short_words(message: str, echoes=(), width: int = 100) -> str:
    """``message`` on one line, user text echoed in it (``echoes``, the command line's
    values; quoted values; words) longer than ``width`` (a path is shown in full up to
    that) cut to 60 characters.

    >>> short_words("no column " + "x" * 200 + "yz in  a.csv")
    'no column xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxyz in a.csv'
    >>> short_words("no column '" + "a " * 60 + "'")
    "no column 'a a a a a a a a a a a a a a a a a a a a...a a a a a a a a '"
    """
    for text in sorted(echoes, key=len, reverse=True):
        if len(text) > width:
            message = message.replace(text, _cut(text))
    message = _QUOTED.sub(lambda quoted: _cut(quoted.group()), message)
    return " ".join(_cut(word) if len(word) > width else word for word in message.split())


def _cut(text: str) -> str:
    return f"{text[:40]}...{text[-17:]}"


def _echoes(argv: list[str]) -> list[str]:
    """The values given on the command line (``--opt=value`` split), as messages echo them."""
    return [part for token in argv for part in {token, token.partition("=")[2]} if part]


class _Parser(argparse.ArgumentParser):
    """argparse, its usage errors (``invalid choice: '...'``) one line, long values cut."""

    echoes: list[str] = []  # set by main(): the command line's values

    def error(self, message: str):
        message = short_words(message, _Parser.echoes)
        if len(message) > 200:  # "unrecognized arguments: " and many of them
            message = f"{message[:120]} ... {message[-60:]}"
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bonkl",
        description="Exact KL divergence and win rate of best-of-n sampling.",
        epilog="Run 'bonkl COMMAND --help' for the options and examples of a command.",
    )
    parser.add_argument("--version", action="version", version=f"bonkl {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--verbose", action="store_true", help="say more about what is done")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f".{name}", __package__).register(sub)
    return parser


_NEGATIVE_VALUE = re.compile(r"-\.?\d")


def attach_negative_values(argv: list[str]) -> list[str]:
    """``--rewards -1,2`` -> ``--rewards=-1,2`` (``-n -3`` -> ``-n-3``).

    argparse takes a token like ``-1,2`` or ``-1e5`` for an option; a number
    right after an option is its value.
    """
    out: list[str] = []
    for token in argv:
        prev = out[-1] if out else ""
        is_option = prev.startswith("-") and prev != "--" and "=" not in prev
        if is_option and not _NEGATIVE_VALUE.match(prev) and _NEGATIVE_VALUE.match(token):
            out[-1] = prev + token if len(prev) == 2 else f"{prev}={token}"
        else:
            out.append(token)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = attach_negative_values(sys.argv[1:] if argv is None else argv)
    _Parser.echoes = _echoes(argv)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # the reader of stdout left (bonkl kl ... | head): stop quietly
        _silence_stdout()
        return 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader left
    except USER_ERRORS as exc:
        if args.debug:
            raise
        message = short_words(str(exc), _Parser.echoes) or type(exc).__name__
        if hasattr(args, "normalize"):  # the library's advice, in command-line words
            message = message.replace("normalize=True", "--normalize")
        print(f"bonkl {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return _interrupted()
    except SystemError as exc:  # Ctrl-C inside a Numba call surfaces as SystemError
        if not _caused_by_interrupt(exc):
            raise
        return _interrupted()


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _interrupted() -> int:
    print("bonkl: interrupted", file=sys.stderr)
    return 130


def _caused_by_interrupt(exc: BaseException) -> bool:
    seen = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        if isinstance(link, KeyboardInterrupt):
            return True
        seen.add(id(link))
        link = link.__cause__ or link.__context__
    return False
