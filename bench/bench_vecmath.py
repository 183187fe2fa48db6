"""Benchmark: the branch-free exp/log/log1p/expm1 of ``_vecmath`` in a compiled loop.

Three ways to apply a function to an array, same data, same run, one thread:
a Numba loop calling the ``_vecmath`` function (vectorized by LLVM), the same
loop calling ``math.*`` (a scalar libm call per element: what Numba gives
without SVML), and the NumPy ufunc with ``out=`` (SIMD where NumPy has it).
A last row is a reduction, ``sum(x log x)``: a float sum does not vectorize
without fastmath, so the fast version computes the terms into a 512-element
buffer (vectorized) and sums it in 8 interleaved partial sums; the libm loop is
the plain ``s += x[i] * math.log(x[i])``; NumPy is ``np.dot(x, np.log(x))``.

Also printed: whether the compiled fast loops use packed SIMD instructions
(from the loop's machine code), e.g. ``zmm: 31 packed ops``.

Usage: ``python bench/bench_vecmath.py [--quick]`` (1e7 elements; 1e6 with --quick).
"""

from __future__ import annotations

import argparse
import math
import re
from functools import partial

import numba
import numpy as np

from _machine import machine_line
from _memory import peak_extra
from _timing import median_seconds
from bonkl_fast._vecmath import exp_fast, expm1_fast, log1p_fast, log_fast

_OPTIONS = {"nogil": True, "error_model": "numpy"}  # as the package's kernels (_jit.py)
BLOCK = 512


def elementwise(fn):
    @numba.njit(**_OPTIONS)
    def loop(x, out):
        for i in range(x.shape[0]):
            out[i] = fn(x[i])

    return loop


@numba.njit(**_OPTIONS)
def sum_x_log_x_fast(x):
    """sum(x log x): terms into a buffer (vectorized), summed in 8 partial sums."""
    buf = np.empty(BLOCK)
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    m = x.shape[0]
    full = m - m % BLOCK
    for start in range(0, full, BLOCK):
        for i in range(BLOCK):
            buf[i] = x[start + i] * log_fast(x[start + i])
        for i in range(0, BLOCK, 8):
            s0 += buf[i]
            s1 += buf[i + 1]
            s2 += buf[i + 2]
            s3 += buf[i + 3]
            s4 += buf[i + 4]
            s5 += buf[i + 5]
            s6 += buf[i + 6]
            s7 += buf[i + 7]
    total = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    for i in range(full, m):
        total += x[i] * log_fast(x[i])
    return total


@numba.njit(**_OPTIONS)
def sum_x_log_x_libm(x):
    total = 0.0
    for i in range(x.shape[0]):
        total += x[i] * math.log(x[i])
    return total


def numpy_sum_x_log_x(x):
    return np.dot(x, np.log(x))


def packed_ops(dispatcher) -> str:
    """The widest SIMD registers used by packed float64 arithmetic in the compiled code."""
    asm = dispatcher.inspect_asm(dispatcher.signatures[0])
    x86 = re.findall(r"\bv(?:add|sub|mul|div|f\w*)pd\s+[^\n]*?%([xyz]mm)", asm)
    arm = re.findall(r"\bf(?:add|sub|mul|div|mla|mls)\s+v\d+\.2d", asm)
    for width in ("zmm", "ymm", "xmm"):
        if width in x86:
            return f"{width}: {x86.count(width)} packed ops"
    return f"neon: {len(arm)} packed ops" if arm else "not vectorized"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1e6 elements instead of 1e7")
    args = parser.parse_args()
    size = 10**6 if args.quick else 10**7
    repeat = 3 if args.quick else 7
    rng = np.random.default_rng(0)
    cases = [  # name, fast, libm, NumPy ufunc, inputs
        ("exp", exp_fast, math.exp, np.exp, rng.uniform(-30.0, 5.0, size)),
        ("log", log_fast, math.log, np.log, np.exp(rng.uniform(-30.0, 0.0, size))),
        ("log1p", log1p_fast, math.log1p, np.log1p, rng.uniform(-0.99, 10.0, size)),
        ("expm1", expm1_fast, math.expm1, np.expm1, rng.uniform(-30.0, 5.0, size)),
    ]
    print(machine_line())
    print(f"{size:.0e} float64 elements, one thread; ns per element, median of {repeat} (range)")
    print(
        "| function | _vecmath loop | libm loop | NumPy | libm / fast | NumPy / fast "
        "| peak MB fast / NumPy |"
    )
    print("|---|---|---|---|---|---|---|")
    simd = []
    for name, fast, libm, ufunc, x in cases:
        out = np.empty_like(x)
        fast_loop, libm_loop = elementwise(fast), elementwise(libm)
        calls = [partial(fast_loop, x, out), partial(libm_loop, x, out), partial(ufunc, x, out=out)]
        simd.append(f"{name}_fast loop: {packed_ops_after(calls[0], fast_loop)}")
        row(f"{name}(x)", calls, size, repeat)
    x = cases[1][4]
    calls = [partial(f, x) for f in (sum_x_log_x_fast, sum_x_log_x_libm, numpy_sum_x_log_x)]
    simd.append(f"sum x log x fast loop: {packed_ops_after(calls[0], sum_x_log_x_fast)}")
    row("sum(x log x)", calls, size, repeat)
    print("SIMD in the compiled code: " + "; ".join(simd))


def packed_ops_after(call, dispatcher) -> str:
    call()  # compile
    return packed_ops(dispatcher)


def row(label, calls, size, repeat) -> None:
    """One table row: each call's median ns/element, its range, the ratios, peak memory."""
    cells, medians = [], []
    for call in calls:
        call()  # compile / warm
        median, fastest, slowest = median_seconds(call, repeat)
        medians.append(median)
        scale = 1e9 / size
        cells.append(f"{median * scale:.2f} ({fastest * scale:.2f}-{slowest * scale:.2f})")
    peaks = [peak_extra(call)[1] / 2**20 for call in (calls[0], calls[2])]
    fast, libm, numpy_time = medians
    print(
        f"| {label} | {cells[0]} | {cells[1]} | {cells[2]} | {libm / fast:.1f}x "
        f"| {numpy_time / fast:.2f}x | {peaks[0]:.0f} / {peaks[1]:.0f} |"
    )


if __name__ == "__main__":
    main()
