"""Subcommands of the ``bonkl`` command, one module each.

Each module defines ``register(subparsers)``, which adds its parser and sets
``func`` to a function ``run(args) -> int``. Errors a user can fix are raised
as :class:`bonkl_fast.commands._common.CliError` (or ``ValueError``/``TypeError``
from the library) and printed by :mod:`bonkl_fast.cli` as one line, exit 2.
A module imports the library inside ``run``, never at the top, so that
``bonkl --version`` and ``bonkl COMMAND --help`` load no kernels. Output
files go through :mod:`bonkl_fast.commands._output` (never lost, never
written through a symlink, moved into place whole).
"""
