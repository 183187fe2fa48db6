"""The one place where Numba options live.

Every kernel in the package is compiled with :func:`jit` (serial) or
:func:`jit_parallel` (``prange`` loops). Options:

* ``cache=True``: compiled machine code is written next to the module so a
  fresh process does not pay the compile time again;
* ``nogil=True``: kernels release the GIL, so callers may use threads;
* ``error_model="numpy"``: division by zero gives inf/nan like NumPy instead
  of raising, which lets kernels skip redundant checks.

``fastmath`` is deliberately off: the exact sums rely on ``0 * log 0``,
``-inf`` and subnormal masses behaving as IEEE 754 says.
"""

from __future__ import annotations

import functools

import numba

_OPTIONS = {"cache": True, "nogil": True, "error_model": "numpy"}

jit = functools.partial(numba.njit, **_OPTIONS)
jit_parallel = functools.partial(numba.njit, parallel=True, **_OPTIONS)
prange = numba.prange

__all__ = ["jit", "jit_parallel", "prange"]
