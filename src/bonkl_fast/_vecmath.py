"""Branch-free ``exp``, ``log``, ``log1p``, ``expm1`` that LLVM vectorizes (MATH §13).

Numba compiles ``math.exp``/``math.log`` to scalar libm calls (SVML is not in
the pip wheels), so a loop calling them runs one element at a time. The
functions here are plain arithmetic on float64 and its bit pattern, with
selects instead of branches and no calls, and are inlined into the caller
(``inline="always"``): a loop ``for i in range(m): out[i] = exp_fast(x[i])``
becomes packed AVX2/AVX-512 code. Only IEEE basic operations are used (no
fastmath, no fused multiply-add), so every machine gives the same bits.
Divisions go through the ``divide`` intrinsic: a caller compiled with Numba's
default ``error_model="python"`` neither raises nor loses the vectorization.

Accuracy (tests/test_vecmath.py, over the whole float64 range): error below
1 ulp of the exact value (measured at most 0.86 ulp), hence at most 1 ulp from
the correctly rounded result and 2 ulp from ``math.*`` (glibc). Special
values follow C99: ``exp_fast(-inf) = 0``, ``log_fast(0) = -inf``,
``log_fast(x < 0) = nan``, ``log1p_fast(-1) = -inf``, ``expm1_fast(-inf) = -1``,
NaN in gives NaN out, overflow gives ``inf``, subnormal results are rounded
once.

The algorithms are fdlibm's (``e_exp.c``, ``e_log.c``, ``s_log1p.c``,
``s_expm1.c``, as simplified in musl) with every branch replaced by a select.

Use them where the loop vectorizes (4-11x faster than libm calls there): in a
loop that does not vectorize, exp, log and expm1 are 1.1-1.9x slower than
glibc's table-driven code (log1p_fast is still faster). A float sum
``s += f(x[i])`` does not vectorize (no fastmath, no reassociation): compute the
terms of a block (e.g. 512) into a buffer, then add the buffer in 8 interleaved
partial sums (``bench/bench_vecmath.py`` shows it).
Kernels that inline these functions cache their machine code: after a change
here, clear the Numba cache.
"""

from __future__ import annotations

import math

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from ._jit import jit

__all__ = [
    "exp_fast",
    "log_fast",
    "log1p_fast",
    "expm1_fast",
    "log_or_log1p",
    "float_bits",
    "bits_float",
    "divide",
]


@intrinsic
def float_bits(typingctx, x):
    """The IEEE 754 bit pattern of a float64 as an int64 (a free register move)."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def bits_float(typingctx, i):
    """The float64 whose IEEE 754 bit pattern is the int64 ``i``."""
    if i != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def divide(typingctx, a, b):
    """``a / b`` in float64 as IEEE 754 says, whatever the caller's Numba ``error_model``.

    Under ``error_model="python"`` (Numba's default) a ``/`` gets a zero check that raises,
    and the branch stops LLVM from vectorizing the caller's loop.
    """
    if a != types.float64 or b != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.fdiv(args[0], args[1])

    return types.float64(types.float64, types.float64), codegen


_INF = math.inf
_NAN = math.nan
# Round-to-nearest shifter: bits(x + 1.5 * 2**52) = bits(1.5 * 2**52) + round(x) for |x| < 2**51.
_SHIFT = 6755399441055744.0
_SHIFT_BITS = 0x4338000000000000
# ln 2 = _LN2_HI + _LN2_LO; _LN2_HI has 32 significant bits: k * _LN2_HI is exact for |k| < 2**21.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
_TWO54 = 18014398509481984.0

# exp: r (e^r + 1) / (e^r - 1) ~ 2 + P1 r^2 + ... + P5 r^10 on |r| <= ln2/2.
_P1 = 1.66666666666666019037e-01
_P2 = -2.77777777770155933842e-03
_P3 = 6.61375632143793436117e-05
_P4 = -1.65339022054652515390e-06
_P5 = 4.13813679705723846039e-08

# log: log(1 + f) = 2s + s * R(s^2), s = f / (2 + f), R(z) ~ Lg1 z + ... + Lg7 z^7.
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_SQRT_HALF_BITS = 0x3FE6A09E00000000  # about sqrt(1/2): mantissas are reduced to [0.7071, 1.4142)

# expm1: R1(z) = 1 + Q1 z + ... + Q5 z^5 ~ (6 / r) ((e^r + 1) / (e^r - 1) - 2 / r), z = r^2 / 2.
_Q1 = -3.33333333333331316428e-02
_Q2 = 1.58730158725481460165e-03
_Q3 = -7.93650757867487942473e-05
_Q4 = 4.00821782732936239552e-06
_Q5 = -2.01099218183624371326e-07


@jit(inline="always")
def _scale(y, k):
    """``y * 2**k`` rounded once, for |k| <= 1076 (two normal powers of two)."""
    k1 = k >> 1
    k2 = k - k1
    return y * bits_float((k1 + 1023) << 52) * bits_float((k2 + 1023) << 52)


@jit(inline="always")
def _reduce_ln2(x):
    """``(k, kf, hi, lo)`` with x = kf ln2 + (hi - lo), kf = k = round(x / ln2); |x| < 2**20."""
    kd = x * _INV_LN2 + _SHIFT
    k = float_bits(kd) - _SHIFT_BITS
    kf = kd - _SHIFT
    hi = x - kf * _LN2_HI  # exact (Sterbenz)
    lo = kf * _LN2_LO
    return k, kf, hi, lo


@jit(inline="always")
def exp_fast(x):
    """``e**x`` for float64 ``x``, within 1 ulp; branch-free (MATH §13)."""
    xc = 710.0 if x > 710.0 else x  # e**710 overflows, e**-746 underflows to 0
    xc = -746.0 if xc < -746.0 else xc  # NaN stays NaN: y is NaN, whatever junk k is
    k, kf, hi, lo = _reduce_ln2(xc)
    r = hi - lo
    t = r * r
    c = r - t * (_P1 + t * (_P2 + t * (_P3 + t * (_P4 + t * _P5))))
    y = 1.0 - ((lo - divide(r * c, 2.0 - c)) - hi)
    return _scale(y, k)


@jit(inline="always")
def _split(bits):
    """``(k, f)`` with x = 2**k (1 + f), 1 + f in [0.7071, 1.4142), k a float; x normal > 0."""
    k = (bits - _SQRT_HALF_BITS) >> 52
    f = bits_float(bits - (k << 52)) - 1.0
    return bits_float(k + _SHIFT_BITS) - _SHIFT, f


@jit(inline="always")
def _log_split(u):
    """``_split`` for any u > 0 finite: subnormals are scaled by 2**54 first (both computed)."""
    bits = float_bits(u)
    k, f = _split(bits)
    k_sub, f_sub = _split(float_bits(u * _TWO54))
    tiny = bits < 0x0010000000000000
    return (k_sub - 54.0 if tiny else k), (f_sub if tiny else f)


@jit(inline="always")
def _log_kernel(k, f, c):
    """``k ln2 + log(1 + f) + c`` for 1 + f in [0.7071, 1.4142) and a small correction c."""
    hfsq = 0.5 * f * f
    s = divide(f, 2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    return s * (hfsq + t2 + t1) + (k * _LN2_LO + c) - hfsq + f + k * _LN2_HI


@jit(inline="always")
def _log_special(u, result):
    """``result`` for finite u > 0; else log(0) = -inf, log(inf) = inf, log(u < 0) = nan."""
    result = result if u < _INF else u + u  # inf or NaN
    return result if u > 0.0 else (-_INF if u == 0.0 else _NAN)


@jit(inline="always")
def log_fast(x):
    """Natural logarithm of a float64, within 1 ulp; branch-free (MATH §13)."""
    k, f = _log_split(x)
    return _log_special(x, _log_kernel(k, f, 0.0))


@jit(inline="always")
def log1p_fast(x):
    """``log(1 + x)`` for float64 ``x``, accurate also for tiny |x|; branch-free (MATH §13)."""
    u = 1.0 + x
    # The rounding error of u (exact, by Fast2Sum), moved into a correction err / u.
    err = (1.0 - (u - x)) if x >= 1.0 else (x - (u - 1.0))
    k, f = _split(float_bits(u))  # u is 0 or >= 2**-53, never subnormal
    near = k == 0.0  # 1 + x in [0.7071, 1.4142): f = x exactly, no correction
    f = x if near else f
    c = 0.0 if near else divide(err, u)
    result = _log_special(u, _log_kernel(k, f, c))
    return x if x == 0.0 else result  # log1p(-0.0) = -0.0


@jit(inline="always")
def log_or_log1p(x, plus_one):
    """``log1p(x)`` if ``plus_one`` else ``log(x)``, bit for bit, with one polynomial:
    the kernels' two-branch logarithms (``log F`` or ``log1p(-S)``) at the cost of one."""
    u = 1.0 + x if plus_one else x
    err = (1.0 - (u - x)) if x >= 1.0 else (x - (u - 1.0))
    k, f = _log_split(u)
    near = plus_one & (k == 0.0)
    f = x if near else f
    c = divide(err, u) if plus_one & (k != 0.0) else 0.0
    result = _log_special(u, _log_kernel(k, f, c))
    return x if plus_one & (x == 0.0) else result


@jit(inline="always")
def _pow2(k):
    """``2.0**k`` for integer -1022 <= k <= 1023, from its bits."""
    return bits_float((k + 1023) << 52)


@jit(inline="always")
def expm1_fast(x):
    """``e**x - 1`` for float64 ``x``, accurate also for tiny |x|; branch-free (MATH §13)."""
    xc = 710.0 if x > 710.0 else x  # overflow to inf; e**x - 1 rounds to -1 below -38.9
    xc = -40.0 if xc < -40.0 else xc  # NaN stays NaN: every choice below is NaN
    k, kf, hi, lo = _reduce_ln2(xc)
    r = hi - lo
    c = (hi - r) - lo  # the rounding error of r
    hfx = 0.5 * r
    hxs = r * hfx
    r1 = 1.0 + hxs * (_Q1 + hxs * (_Q2 + hxs * (_Q3 + hxs * (_Q4 + hxs * _Q5))))
    t = 3.0 - r1 * hfx
    e = hxs * divide(r1 - t, 6.0 - r * t)
    e = r * (e - c) - c - hxs  # e**xc = 2**k (1 + r - e)
    kk = 0 if k < 0 else (60 if k > 60 else k)  # where 2**k and 2**-k below are used
    two_k = _pow2(kk)
    two_minus_k = _pow2(-kk)
    small = ((r - e) + (1.0 - two_minus_k)) * two_k  # 0 <= k < 20 (k = 0: r - e)
    middle = (r - (e + two_minus_k) + 1.0) * two_k  # 20 <= k <= 56
    large = _scale((r - e) + 1.0, k) - 1.0  # k <= -2 or k >= 57
    result = small if k < 20 else (middle if k <= 56 else large)
    result = large if k < -1 else result
    result = (0.5 * (r - e) - 0.5) if k == -1 else result
    result = (-2.0 * (e - (r + 0.5))) if (k == 1) & (r < -0.25) else result
    return x if abs(x) < 5.551115123125783e-17 else result  # |x| < 2**-54, also -0.0
