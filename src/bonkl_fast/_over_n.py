"""Functions of ``n`` for a scalar or an array of ``n`` (used by :mod:`bonkl_fast.exact`).

:func:`_shape_result` gives a float for scalar ``n`` and an array shaped like
``n`` otherwise; :func:`_over_unique_n` runs a kernel once over the distinct
``n`` and maps its values back.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_n


def _shape_result(values: np.ndarray, shape: tuple, is_scalar: bool):
    return float(values[0]) if is_scalar else values.reshape(shape)


def _over_unique_n(prepared, n, kernel_call, *, value_at_one: tuple):
    """Run ``kernel_call(prepared, ns_ascending)`` once for all distinct n, map back.

    ``kernel_call`` returns one row of values per quantity (``len(value_at_one)``
    rows); ``n = 1``, whose values are known exactly, is not sent to the kernel.
    Returns one result per row: a float for scalar ``n``, else shaped like ``n``.
    """
    flat, shape, is_scalar = as_n(n)
    rows = len(value_at_one)
    if flat.size == 0:
        return [np.empty(shape) for _ in range(rows)]
    ns, inverse = np.unique(flat, return_inverse=True)
    if ns[0] != 1.0:
        values = np.asarray(kernel_call(prepared, ns))
    else:
        rest = np.asarray(kernel_call(prepared, ns[1:])) if ns.size > 1 else np.empty((rows, 0))
        values = np.concatenate((np.reshape(value_at_one, (rows, 1)), rest), axis=1)
    return [_shape_result(row[inverse], shape, is_scalar) for row in values]
