"""Benchmark: the branch-free exp/log/log1p/expm1 of ``_vecmath`` in a compiled loop.

Three ways to apply a function to an array, same data, same run, one thread:
a Numba loop calling the ``_vecmath`` function (vectorized by LLVM), the same
loop calling ``math.*`` (a scalar libm call per element: what Numba gives
without SVML), and the NumPy ufunc with ``out=`` (SIMD where NumPy has it).
A last row is a reduction, ``sum(x log x)``: a float sum does not vectorize
without fastmath, so the fast version computes the terms into a 512-element
buffer (vectorized) and sums it in 8 interleaved partial sums; the libm loop is
the plain ``s += x[i] * math.log(x[i])``; NumPy is ``np.dot(x, np.log(x))``.

Times are medians of the process's CPU time per element (``time.process_time``):
on a shared machine the wall time also counts the time the process waits for a
core (about 3x on the 2-core development machine under load); the wall-time
medians are printed too. Also printed: whether the compiled fast loops use
packed SIMD instructions (from the loop's machine code), e.g. ``zmm: 31 packed
ops``, and the cost of each function in a loop that cannot vectorize (a plain
``s += f(x[i])``), where the libm call is the better choice for exp and log.

Usage: ``python bench/bench_vecmath.py [--quick]`` (1e7 elements; 1e6 with --quick).
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
from functools import partial

import numba
import numpy as np

from _machine import machine_line
from _memory import peak_extra
from _timing import cpu_and_wall
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


def plain_sum(fn):
    @numba.njit(**_OPTIONS)
    def loop(x):
        total = 0.0
        for i in range(x.shape[0]):
            total += fn(x[i])
        return total

    return loop


def numpy_sum_x_log_x(x):
    return np.dot(x, np.log(x))


def packed_ops(dispatcher) -> str:
    """The widest SIMD registers of packed float64 arithmetic in the compiled code, and count."""
    asm = dispatcher.inspect_asm(dispatcher.signatures[0])
    x86 = re.findall(r"\bv(?:add|sub|mul|div|f\w*)pd\s+[^\n]*?%([xyz]mm)", asm)
    arm = re.findall(r"\bf(?:add|sub|mul|div|mla|mls)\s+v\d+\.2d", asm)
    for width in ("zmm", "ymm", "xmm"):
        if width in x86:
            return f"{x86.count(width)} packed ops on {width}"
    return f"{len(arm)} packed NEON ops" if arm else "not vectorized"


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
    print(f"{size:.0e} float64 elements, one thread; CPU ns per element, median of {repeat}")
    print("(range); wall-time medians in the last column")
    print(
        "| function | _vecmath loop | libm loop | NumPy | libm / fast | NumPy / fast "
        "| wall: fast, libm, NumPy | peak MB fast / NumPy |"
    )
    print("|---|---|---|---|---|---|---|---|")
    simd = []
    for name, fast, libm, ufunc, x in cases:
        out = np.empty_like(x)
        fast_loop, libm_loop = elementwise(fast), elementwise(libm)
        calls = [partial(fast_loop, x, out), partial(libm_loop, x, out), partial(ufunc, x, out=out)]
        calls[0]()  # compile
        simd.append(f"{name}_fast {packed_ops(fast_loop)}")
        row(f"{name}(x)", calls, size, repeat)
    x = cases[1][4]
    calls = [partial(f, x) for f in (sum_x_log_x_fast, sum_x_log_x_libm, numpy_sum_x_log_x)]
    calls[0]()
    simd.append(f"sum x log x {packed_ops(sum_x_log_x_fast)}")
    row("sum(x log x)", calls, size, repeat)
    print("SIMD in the compiled fast loops: " + "; ".join(simd))
    print()
    print("In a loop that does not vectorize (s += f(x[i])), CPU ns per element:")
    print("| function | _vecmath | libm | libm / fast |")
    print("|---|---|---|---|")
    for name, fast, libm, _, x in cases:
        times = [warm_cpu_and_wall(partial(plain_sum(f), x), repeat)[0] for f in (fast, libm)]
        fast_ns, libm_ns = (statistics.median(t) * 1e9 / size for t in times)
        print(f"| {name} | {fast_ns:.2f} | {libm_ns:.2f} | {libm_ns / fast_ns:.2f}x |")


def warm_cpu_and_wall(call, repeat) -> tuple[list[float], list[float]]:
    """:func:`_timing.cpu_and_wall` after one warm-up run."""
    call()
    return cpu_and_wall(call, repeat)


def row(label, calls, size, repeat) -> None:
    """One table row: CPU medians and ranges, ratios, wall medians, peak memory."""
    scale = 1e9 / size
    cells, medians, walls = [], [], []
    for call in calls:
        cpu, wall = warm_cpu_and_wall(call, repeat)
        medians.append(statistics.median(cpu))
        walls.append(f"{statistics.median(wall) * scale:.2f}")
        cells.append(f"{medians[-1] * scale:.2f} ({min(cpu) * scale:.2f}-{max(cpu) * scale:.2f})")
    peaks = [peak_extra(call)[1] / 2**20 for call in (calls[0], calls[2])]
    fast, libm, numpy_time = medians
    print(
        f"| {label} | {cells[0]} | {cells[1]} | {cells[2]} | {libm / fast:.1f}x "
        f"| {numpy_time / fast:.2f}x | {', '.join(walls)} | {peaks[0]:.0f} / {peaks[1]:.0f} |"
    )


if __name__ == "__main__":
    main()
