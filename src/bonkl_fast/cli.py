"""The ``bonkl`` command: ``bonkl reproduce``, ``bonkl kl``, ``bonkl simulate``, ``bonkl bank``."""

from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__
from .commands._common import CliError

# subcommand modules under bonkl_fast.commands, in the order --help lists them
COMMANDS = ("reproduce", "kl", "simulate", "bank")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bonkl",
        description="Exact KL divergence and win rate of best-of-n sampling.",
        epilog="Run 'bonkl COMMAND --help' for the options and examples of a command.",
    )
    parser.add_argument("--version", action="version", version=f"bonkl {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--verbose", action="store_true", help="say more about what is done")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f".commands.{name}", __package__).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (CliError, ValueError, TypeError, OSError, ImportError) as exc:
        if args.debug:
            raise
        print(f"bonkl {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bonkl: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
