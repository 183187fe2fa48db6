"""Exact best-of-n sums over merged reward levels (Numba kernels, MATH §2, §4, §5).

All kernels take the per-level arrays of :class:`bonkl_fast._levels.Levels`:
``mass`` (q > 0), ``cum`` (F, compensated forward sums) and ``tail``
(S = 1 - F, compensated reverse sums), levels ascending in reward.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit

# exp(x) is exactly 0 in float64 below this: such levels have best-of-n mass 0
EXP_UNDERFLOW = -745.2


@jit
def neumaier_add(total, comp, x):
    """Add ``x`` to the compensated sum ``(total, comp)``; returns the new pair."""
    t = total + x
    if abs(total) >= abs(x):
        comp += (total - t) + x
    else:
        comp += (x - t) + total
    return t, comp


@jit
def log_cdf(cum, tail):
    """Preconditions: cum = F, tail = 1 - F, both accurate. log F, accurate to ~1 ulp."""
    return math.log(cum) if cum < 0.5 else math.log1p(-tail)


@jit
def level_weight(n, f_pow, g_pow, mass, cum):
    """Preconditions: f_pow = F^n, g_pow = G^n, G = F - mass. Returns F^n - G^n.

    Where G^n <= F^n / 2 the difference loses at most one bit. Otherwise
    (G/F)^n > 1/2, so q/F < 1/2 and F^n * (1 - (G/F)^n) is evaluated as
    ``-F^n * expm1(n * log1p(-q/F))`` (MATH §2, log1mexp branch for d > -log 2).
    """
    if g_pow <= 0.5 * f_pow:
        return f_pow - g_pow
    return -f_pow * math.expm1(n * math.log1p(-mass / cum))


@jit
def log1mexp(d):
    """Preconditions: d <= 0. log(1 - e^d) by the two-branch rule of MATH §2 (0 at -inf)."""
    if d < -0.6931471805599453:
        return math.log1p(-math.exp(d))
    return math.log(-math.expm1(d))


@jit
def level_weights(mass, cum, tail, n):
    """Preconditions: levels as above, n >= 1. Best-of-n mass of every level.

    ``log w = n log F + log1mexp(n log(G/F))`` (MATH §2), then ``w = exp(log w)``.
    """
    out = np.zeros(mass.shape[0])
    log_g = -math.inf
    for level in range(mass.shape[0]):
        log_f = log_cdf(cum[level], tail[level])
        x = n * log_f
        if x >= EXP_UNDERFLOW:
            c = log_ratio(log_f, log_g, mass[level], cum[level]) if level > 0 else -math.inf
            out[level] = math.exp(x + log1mexp(n * c))
        log_g = log_f
    return out


@jit
def log_mass(mass, below, tail):
    """Preconditions: mass = q, below = G, tail = S with q + G + S = 1. log q, ~1 ulp.

    A large mass is itself rounded (the inputs sum to 1 only within rounding),
    so ``log q`` is taken as ``log1p(-(G + S))`` from the accurate small sums.
    """
    return math.log(mass) if mass < 0.5 else math.log1p(-(below + tail))


@jit
def log_ratio(log_f, log_g, mass, cum):
    """Preconditions: F = cum > 0, G = F - mass. c = log(G / F) per MATH §2 (-inf if G = 0)."""
    if mass < 0.5 * cum:
        return math.log1p(-mass / cum)
    return log_g - log_f


@jit
def excess(u):
    """u e^u - expm1(u) >= 0: the KL term per unit reference mass, q * excess(log(w/q))."""
    if abs(u) < 0.1:
        total = 0.0
        power = u
        factorial = 1.0
        for k in range(2, 14):
            power *= u
            factorial *= k
            total += (k - 1.0) / factorial * power
        return total
    return u * math.exp(u) - math.expm1(u)


@jit
def log_ratio_near_one(delta, log_f, c):
    """Preconditions: delta = n - 1 >= 0, c = log(G/F) < 0. log(w / q) without cancellation.

    ``log(w/q) = delta log F + log((1 - e^(n c)) / (1 - e^c))`` and the second
    part is ``log1p(e^c expm1(delta c) / expm1(c))`` (all factors accurate).
    """
    if c == -math.inf:
        return delta * log_f
    return delta * log_f + math.log1p(math.exp(c) * math.expm1(delta * c) / math.expm1(c))


@jit
def kl_win_many(mass, cum, tail, ns):
    """Preconditions: levels as above, ns ascending, all >= 1. Returns (KL, W) per n.

    One pass over the levels; per level, the inner loop over n stops at the
    first n for which F^n underflows (larger n underflow too). For n < 2 the
    terms ``w log(w/q)`` cancel to O((n-1)^2); there each term is taken as
    ``q * excess(log(w/q))`` (same sum since sum w = sum q = 1, every term >= 0).
    """
    m = ns.shape[0]
    kl = np.zeros(m)
    kl_comp = np.zeros(m)
    win = np.zeros(m)
    win_comp = np.zeros(m)
    below = 0.0
    log_g = -math.inf
    for level in range(mass.shape[0]):
        q = mass[level]
        log_f = log_cdf(cum[level], tail[level])
        log_q = log_mass(q, below, tail[level])
        beat = below + 0.5 * q  # win probability of this level against pi
        c = log_ratio(log_f, log_g, q, cum[level]) if level > 0 else -math.inf
        for j in range(m):
            x = ns[j] * log_f
            if x < EXP_UNDERFLOW:
                # w = 0 here and for every larger n; in the n < 2 form the term is q
                for k in range(j, m):
                    if ns[k] >= 2.0:
                        break
                    kl[k], kl_comp[k] = neumaier_add(kl[k], kl_comp[k], q)
                break
            log_w = x + log1mexp(ns[j] * c)
            w = math.exp(log_w)
            if ns[j] < 2.0:
                u = log_ratio_near_one(ns[j] - 1.0, log_f, c)
                term = q * excess(u) if abs(u) < 0.1 else w * u - (w - q)
                kl[j], kl_comp[j] = neumaier_add(kl[j], kl_comp[j], term)
            elif w > 0.0:
                kl[j], kl_comp[j] = neumaier_add(kl[j], kl_comp[j], w * (log_w - log_q))
            if w > 0.0:
                win[j], win_comp[j] = neumaier_add(win[j], win_comp[j], w * beat)
        below = cum[level]
        log_g = log_f
    return kl + kl_comp, win + win_comp


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


@jit
def estimate_expected_many(mass, cum, tail, probs_sorted, start, stop, ns):
    """Preconditions: levels as above, ns ascending >= 1. E_{y~pi_n} kl_estimate(pi(y), n).

    For the (at most one) outcome with ``p >= 1/2``, ``1 - p`` is summed from
    the other outcomes' masses instead of being rounded from ``p``.
    """
    m = ns.shape[0]
    total = np.zeros(m)
    comp = np.zeros(m)
    below = 0.0
    log_g = -math.inf
    for level in range(mass.shape[0]):
        q = mass[level]
        log_f = log_cdf(cum[level], tail[level])
        c = log_ratio(log_f, log_g, q, cum[level]) if level > 0 else -math.inf
        for j in range(m):
            x = ns[j] * log_f
            if x < EXP_UNDERFLOW:
                break
            w = math.exp(x + log1mexp(ns[j] * c))
            for i in range(start[level], stop[level]):
                p = probs_sorted[i]
                if p > 0.0:
                    keep = 1.0 - p
                    if p >= 0.5:
                        keep = below + tail[level]
                        for k in range(start[level], stop[level]):
                            if k != i:
                                keep += probs_sorted[k]
                    term = w * (p / q) * kl_estimate_complement(p, keep, ns[j])
                    total[j], comp[j] = neumaier_add(total[j], comp[j], term)
        below = cum[level]
        log_g = log_f
    return total + comp
