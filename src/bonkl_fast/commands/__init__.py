"""Subcommands of the ``bonkl`` command, one module each.

Each module defines ``register(subparsers)``, which adds its parser and sets
``func`` to a function ``run(args) -> int``. Errors a user can fix are raised
as :class:`bonkl_fast.commands._common.CliError` (or ``ValueError``/``TypeError``
from the library) and printed by :mod:`bonkl_fast.cli` as one line, exit 2.
"""
