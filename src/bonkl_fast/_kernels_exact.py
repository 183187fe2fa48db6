"""Scalar helpers and small exact kernels shared by the best-of-n code (MATH §2, §4).

Most kernels take the per-level arrays of :class:`bonkl_fast._levels.Levels`:
``mass`` (q > 0), ``cum`` (F, compensated forward sums) and ``tail``
(S = 1 - F, compensated reverse sums), levels ascending in reward. The KL and
win-rate sums live in :mod:`bonkl_fast._kernels_kl`, the expected estimator
in :mod:`bonkl_fast._kernels_estimate`.

Every best-of-n log mass is ``n log F + log1mexp(n log(G/F))`` (never the log
of a rounded ``w``); every ``1 - x`` near 0 comes from an accurate small sum.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit
from ._vecmath import exp_fast, expm1_fast, log1p_fast, log_fast, log_or_log1p

# exp(x) is exactly 0 in float64 below this: such levels have best-of-n mass 0
EXP_UNDERFLOW = -745.2
# short-series path of the KL/W kernels: q/F <= X_SERIES and |n log(G/F)| <= D_SERIES
X_SERIES = 2.0**-10
D_SERIES = 2.0**-5


@jit(inline="always")
def neumaier_add(total, comp, x):
    """Add ``x`` to the compensated sum ``(total, comp)``; returns the new pair."""
    t = total + x
    if abs(total) >= abs(x):
        comp += (total - t) + x
    else:
        comp += (x - t) + total
    return t, comp


@jit(inline="always")
def two_sum_add(total, comp, x):
    """Add ``x`` to ``(total, comp)`` by Knuth's TwoSum: the same pair as neumaier_add
    (both add the exact rounding error of ``total + x``) without a branch."""
    t = total + x
    back = t - total
    return t, comp + ((total - (t - back)) + (x - back))


# interleaved lanes of lane_sum: the loop over them vectorises (AVX2/AVX-512)
LANES = 64


@jit(inline="always")
def merge_lanes(totals, comps):
    """The compensated pair ``(total, comp)`` of LANES TwoSum lanes, added in lane order."""
    total, comp = 0.0, 0.0
    for lane in range(LANES):
        total, comp = neumaier_add(total, comp, totals[lane])
        comp += comps[lane]
    return total, comp


@jit
def lane_sum(values, lo, hi):
    """Preconditions: 0 <= lo <= hi <= len(values). ``(total, comp, low)``: the compensated
    sum of values[lo:hi] and its minimum (inf if empty). LANES interleaved TwoSum lanes (a
    loop LLVM vectorises), merged in lane order, then the remainder: a fixed order, the
    same bits on every machine."""
    totals = np.zeros(LANES)
    comps = np.zeros(LANES)
    lows = np.full(LANES, math.inf)
    i = lo
    while i + LANES <= hi:
        block = values[i : i + LANES]
        for lane in range(LANES):
            x = block[lane]
            totals[lane], comps[lane] = two_sum_add(totals[lane], comps[lane], x)
            lows[lane] = min(lows[lane], x)
        i += LANES
    total, comp = merge_lanes(totals, comps)
    low = lows.min()
    while i < hi:
        total, comp = neumaier_add(total, comp, values[i])
        low = min(low, values[i])
        i += 1
    return total, comp, low


@jit(inline="always")
def log_cdf(cum, tail):
    """Preconditions: cum = F, tail = 1 - F, both accurate. log F, accurate to ~1 ulp."""
    big = cum >= 0.5
    return log_or_log1p(-tail if big else cum, big)


@jit(inline="always")
def log1mexp(d):
    """Preconditions: d <= 0. log(1 - e^d) by the two-branch rule of MATH §2 (0 at -inf)."""
    if d < -0.6931471805599453:
        return log1p_fast(-exp_fast(d))
    return log_fast(-expm1_fast(d))


@jit(inline="always")
def log_mass(mass, below, tail):
    """Preconditions: mass = q, below = G, tail = S with q + G + S = 1. log q, ~1 ulp.

    A large mass is itself rounded (the inputs sum to 1 only within rounding),
    so ``log q`` is taken as ``log1p(-(G + S))`` from the accurate small sums.
    """
    big = mass >= 0.5
    return log_or_log1p(-(below + tail) if big else mass, big)


@jit(inline="always")
def log_ratio(log_f, log_g, mass, cum):
    """Preconditions: F = cum > 0, G = F - mass. c = log(G / F) per MATH §2 (-inf if G = 0)."""
    if mass < 0.5 * cum:
        return log1p_fast(-mass / cum)
    return log_g - log_f


@jit(inline="always")
def level_log_weight(n, log_f, log_g, mass, cum):
    """Preconditions: n >= 1, log_f = log F, log_g = log G (-inf below the lowest level
    with mass), mass = q > 0, cum = F. Log best-of-n mass of one level (MATH §2).

    ``log w = n log F + log1mexp(n log(G/F))``: both parts are <= 0 (no
    cancellation), so ``log w`` is finite and accurate to a few ulps even where
    ``w`` itself underflows.
    """
    c = -math.inf if log_g == -math.inf else log_ratio(log_f, log_g, mass, cum)
    return n * log_f + log1mexp(n * c)


@jit
def level_weights(mass, cum, tail, n):
    """Preconditions: levels as above, n >= 1. Best-of-n mass of every level.

    ``w = exp(level_log_weight)``; 0 where ``F^n`` underflows. Two vectorised
    loops (``log F`` first, then each level with its own and the previous one).
    """
    count = mass.shape[0]
    log_f = log_cdfs(cum, tail)
    out = np.empty(count)
    if count == 0:
        return out
    out[0] = _weight(n, log_f[0], -math.inf, mass[0], cum[0])
    lf, lg, q, f, o = log_f[1:], log_f[: count - 1], mass[1:], cum[1:], out[1:]
    for i in range(count - 1):
        o[i] = _weight(n, lf[i], lg[i], q[i], f[i])
    return out


@jit(inline="always")
def _weight(n, log_f, log_g, mass, cum):
    weight = exp_fast(level_log_weight(n, log_f, log_g, mass, cum))
    return weight if n * log_f >= EXP_UNDERFLOW else 0.0


@jit
def log_cdfs(cum, tail):
    """Preconditions: cum = F, tail = 1 - F per level. ``log F`` of every level (vectorised)."""
    out = np.empty(cum.shape[0])
    for i in range(cum.shape[0]):
        out[i] = log_cdf(cum[i], tail[i])
    return out


@jit
def run_mass(probs_sorted, lo, hi):
    """Preconditions: lo < hi. Compensated mass of the outcomes lo:hi (as merge_levels)."""
    total, comp = 0.0, 0.0
    for i in range(lo, hi):
        total, comp = neumaier_add(total, comp, probs_sorted[i])
    return total + comp


@jit
def outcome_weights(rewards_sorted, probs_sorted, n, log_space, out):
    """Preconditions: rewards ascending, probs >= 0 summing to 1, n >= 1, out of the same
    length. Writes the best-of-n pmf (or its log) of every outcome into ``out``.

    ``pi_n(y) = p_y / q * w`` of its level (MATH §1-2), tied outcomes sharing
    ``w`` in proportion to ``p``; the log is ``log(p_y / q) + log w``, finite
    wherever ``p_y > 0`` (``-inf`` where ``p_y = 0``). Two passes and no
    memory beyond ``out``: the first stores each level's tail ``S`` (summed
    from the top) in ``out`` at the level's first outcome, the second sums
    ``F`` upwards and overwrites ``out`` (the same sums as merge_levels).
    """
    size = rewards_sorted.shape[0]
    if n == 1.0:  # best-of-1 is the reference, exactly
        for i in range(size):
            out[i] = math.log(probs_sorted[i]) if log_space else probs_sorted[i]
        return
    above, above_comp = 0.0, 0.0
    hi = size
    while hi > 0:
        lo = hi - 1
        while lo > 0 and rewards_sorted[lo - 1] == rewards_sorted[hi - 1]:
            lo -= 1
        mass = run_mass(probs_sorted, lo, hi)
        if mass > 0.0:
            out[lo] = above + above_comp
            above, above_comp = neumaier_add(above, above_comp, mass)
        hi = lo
    below, below_comp = 0.0, 0.0
    log_g = -math.inf
    lo = 0
    while lo < size:
        hi = lo + 1
        while hi < size and rewards_sorted[hi] == rewards_sorted[lo]:
            hi += 1
        mass = run_mass(probs_sorted, lo, hi)
        if mass > 0.0:
            below, below_comp = neumaier_add(below, below_comp, mass)
            cum = below + below_comp
            log_f = log_cdf(cum, out[lo])
            log_w = level_log_weight(n, log_f, log_g, mass, cum) + 0.0  # + 0.0: no -0.0
            w = math.exp(log_w) if n * log_f >= EXP_UNDERFLOW else 0.0
            for i in range(lo, hi):
                p = probs_sorted[i]
                if not log_space:
                    out[i] = p * (w / mass)
                elif p == 0.0:
                    out[i] = -math.inf
                else:
                    out[i] = log_w if p == mass else math.log(p / mass) + log_w
            log_g = log_f
        else:
            out[lo:hi] = -math.inf if log_space else 0.0
        lo = hi


# excess(u) = sum_{k>=2} (k-1)/k! u^k; for |u| < 1 its terms beyond k = 24 are below
# 1e-23 of the sum (and there is no cancellation for u > 0, little for u > -1)
EXCESS_SERIES = tuple(float(k - 1) / math.factorial(k) for k in range(2, 25))


@jit(inline="always")
def excess(u):
    """u e^u - expm1(u) >= 0: the KL term per unit reference mass, q * excess(log(w/q)).

    A Horner polynomial for |u| < 1 (no cancellation near u = 0), the closed
    form beyond; ``excess(-inf) = 1`` (w = 0). Branch-free: loops over it vectorise.
    """
    series = 0.0
    for k in range(len(EXCESS_SERIES) - 1, -1, -1):
        series = series * u + EXCESS_SERIES[k]
    series *= u * u
    closed = u * exp_fast(u) - expm1_fast(u)
    value = series if abs(u) < 1.0 else closed
    return 1.0 if u == -math.inf else value


@jit(inline="always")
def log_ratio_near_one(delta, log_f, c):
    """Preconditions: delta = n - 1 >= 0, c = log(G/F) < 0. log(w / q) without cancellation.

    ``log(w/q) = delta log F + log((1 - e^(n c)) / (1 - e^c))`` and the second
    part is ``log1p(e^c expm1(delta c) / expm1(c))`` (all factors accurate).
    """
    ratio = exp_fast(c) * expm1_fast(delta * c) / expm1_fast(c)
    return delta * log_f if c == -math.inf else delta * log_f + log1p_fast(ratio)


@jit(inline="always")
def log1p_neg_small(x):
    """Preconditions: 0 <= x <= X_SERIES. log1p(-x) by its series (error < 1e-19 x)."""
    return -x * (1.0 + x * (1 / 2 + x * (1 / 3 + x * (1 / 4 + x * (1 / 5 + x * (1 / 6 + x / 7))))))


@jit
def kl_bound_scalar(n):
    """Preconditions: n >= 1. log n - (n-1)/n, by series near n = 1 (no cancellation)."""
    delta = n - 1.0
    if delta < 0.01:
        # log1p(d) - d/(1+d) = sum_{k>=2} (-1)^k (k-1)/k d^k
        total = 0.0
        power = delta
        for k in range(2, 12):
            power *= -delta
            total += (k - 1.0) / k * power
        return -total if delta > 0 else 0.0
    return math.log(n) - delta / n


@jit
def kl_bound_many(ns):
    """Preconditions: ns >= 1. Elementwise log n - (n-1)/n."""
    out = np.empty(ns.shape[0])
    for i in range(ns.shape[0]):
        out[i] = kl_bound_scalar(ns[i])
    return out


@jit
def kl_estimate_scalar(eps, n):
    """Preconditions: 0 < eps <= 1, n >= 1. The estimator of MATH §4, clipped to rounding."""
    return kl_estimate_complement(eps, 1.0 - eps, n)  # 1 - eps is exact for eps >= 1/2


@jit
def kl_estimate_complement(eps, keep, n):
    """Preconditions: 0 < eps <= 1, keep = 1 - eps accurate, n >= 1. MATH §4.

    With ``L = log(1 - eps)``, ``a = e^(nL)``, ``b = 1 - a`` and ``B = log(b / eps)``
    the closed form of MATH §4 equals the sum of non-negative parts

        a * kl_bound(n) + (1 - eps) * excess((n-1) L) + eps * excess(B),

    (the KL written as ``sum q * excess(log(w/q))``), which has no cancellation
    near ``n = 1``; ``B`` is taken as ``log1p(e^L expm1((n-1) L) / eps)``.
    Taking ``keep = 1 - eps`` from the caller lets it come from accurate small
    sums when ``eps`` is near 1. Rounding can push the value a few ulps above
    ``kl_bound(n)``; it is clipped.
    """
    if n == 1.0 or keep <= 0.0:
        return 0.0
    log_keep = math.log1p(-eps) if eps < 0.5 else math.log(keep)
    delta = n - 1.0
    a = math.exp(n * log_keep)
    b = -math.expm1(n * log_keep)
    shrink = math.expm1(delta * log_keep)  # (1-eps)^(n-1) - 1, in [-1, 0)
    bound = kl_bound_scalar(n)
    value = a * bound + keep * excess(delta * log_keep)
    big_b = math.log1p(-keep * shrink / eps)
    if abs(big_b) < 0.1:
        value += eps * excess(big_b)
    else:
        value += b * big_b + keep * shrink  # eps * excess(B) = b B - (b - eps)
    return min(max(value, 0.0), bound)


@jit
def kl_estimate_many(eps, ns):
    """Preconditions: arrays of equal length, 0 < eps <= 1, ns >= 1. Elementwise estimator."""
    out = np.empty(eps.shape[0])
    for i in range(eps.shape[0]):
        out[i] = kl_estimate_scalar(eps[i], ns[i])
    return out
