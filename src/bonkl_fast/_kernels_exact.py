"""Exact best-of-n sums over merged reward levels (Numba kernels, MATH §2, §4, §5).

Most kernels take the per-level arrays of :class:`bonkl_fast._levels.Levels`:
``mass`` (q > 0), ``cum`` (F, compensated forward sums) and ``tail``
(S = 1 - F, compensated reverse sums), levels ascending in reward. The KL and
win-rate path of :mod:`bonkl_fast.exact` (:func:`kl_win_sorted`) instead takes
the outcomes sorted by reward and merges levels chunk by chunk, in parallel.

Every best-of-n log mass is ``n log F + log1mexp(n log(G/F))`` (never the log
of a rounded ``w``); every ``1 - x`` near 0 comes from an accurate small sum.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit, jit_parallel, prange

# exp(x) is exactly 0 in float64 below this: such levels have best-of-n mass 0
EXP_UNDERFLOW = -745.2
# short-series path of the KL/W kernels: q/F <= X_SERIES and |n log(G/F)| <= D_SERIES
X_SERIES = 2.0**-10
D_SERIES = 2.0**-5
# levels per parallel chunk (fixed, so results do not depend on the thread count)
CHUNK = 8192


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
def log1p_neg_small(x):
    """Preconditions: 0 <= x <= X_SERIES. log1p(-x) by its series (error < 1e-19 x)."""
    return -x * (1.0 + x * (1 / 2 + x * (1 / 3 + x * (1 / 4 + x * (1 / 5 + x * (1 / 6 + x / 7))))))


@jit
def log_rate_correction(x, d):
    """Preconditions: 0 <= x <= X_SERIES, -D_SERIES <= d <= 0.

    ``log(-log1p(-x) / x) + log(expm1(d) / d)`` by their series, so that for
    ``d = n log1p(-x)``: ``log(w / q) = (n-1) log F + log n + log_rate_correction``.
    """
    s1 = x * (1 / 2 + x * (5 / 24 + x * (1 / 8 + x * (251 / 2880 + x * (19 / 288)))))
    d2 = d * d
    s2 = d / 2 + d2 * (1 / 24 + d2 * (-1 / 2880 + d2 * (1 / 181440 - d2 / 9676800)))
    return s1 + s2


@jit
def kl_win_range(mass, cum, tail, ns, log_ns, lo, hi, out):
    """Preconditions: levels as above, ns ascending >= 1, out zeros (4, len(ns)).

    Adds the KL and win-rate terms of levels lo:hi into ``out`` (rows: KL and
    its compensation, W and its compensation). Per level and n, the best-of-n
    log mass is ``n log F + log1mexp(n c)``, ``c = log(G/F)`` (MATH §2). Where
    ``q/F`` and ``n c`` are tiny (the bulk of a large K), ``log(w/q)`` comes from
    ``log F`` and two short series, with no further logarithm. For n < 2 the
    terms are ``q * excess(log(w/q))`` (see :func:`kl_win_many`).
    """
    m = ns.shape[0]
    below = cum[lo - 1] if lo > 0 else 0.0
    log_g = log_cdf(cum[lo - 1], tail[lo - 1]) if lo > 0 else -math.inf
    for level in range(lo, hi):
        q = mass[level]
        log_f = log_cdf(cum[level], tail[level])
        x = q / cum[level]
        small = x <= X_SERIES
        if level == 0:
            c = -math.inf
        elif small:
            c = log1p_neg_small(x)
        else:
            c = log_ratio(log_f, log_g, q, cum[level])
        log_q = math.nan  # computed on first use
        beat = below + 0.5 * q  # win probability of this level against pi
        for j in range(m):
            n = ns[j]
            x_n = n * log_f
            if x_n < EXP_UNDERFLOW:
                # w = 0 here and for every larger n; in the n < 2 form the term is q
                for k in range(j, m):
                    if ns[k] >= 2.0:
                        break
                    out[0, k], out[1, k] = neumaier_add(out[0, k], out[1, k], q)
                break
            d = n * c
            if n >= 2.0 and small and d >= -D_SERIES:
                u = (n - 1.0) * log_f + log_ns[j] + log_rate_correction(x, d)
                w = q * math.exp(u)
                term = w * u
            else:
                log_w = x_n + log1mexp(d)
                w = math.exp(log_w)
                if n < 2.0:
                    u = log_ratio_near_one(n - 1.0, log_f, c)
                    term = q * excess(u) if abs(u) < 0.1 else w * u - (w - q)
                else:
                    if log_q != log_q:
                        log_q = log_mass(q, below, tail[level])
                    term = w * (log_w - log_q)
            out[0, j], out[1, j] = neumaier_add(out[0, j], out[1, j], term)
            if w > 0.0:
                out[2, j], out[3, j] = neumaier_add(out[2, j], out[3, j], w * beat)
        below = cum[level]
        log_g = log_f


@jit
def kl_win_many(mass, cum, tail, ns):
    """Preconditions: levels as above, ns ascending, all >= 1. Returns (KL, W) per n.

    Serial for a few chunks of levels (a parallel launch costs more than it
    saves there), else :func:`kl_win_chunks`.
    """
    size = mass.shape[0]
    m = ns.shape[0]
    chunks = (size + CHUNK - 1) // CHUNK
    if chunks * m < 4:
        parts = np.zeros((1, 4, m))
        kl_win_range(mass, cum, tail, ns, np.log(ns), 0, size, parts[0])
        return merge_parts(parts)
    return merge_parts(kl_win_chunks(mass, cum, tail, ns))


@jit
def merge_parts(parts):
    """Preconditions: parts (chunks, 4, m) from kl_win_range. (KL, W), summed in chunk order."""
    chunks, _, m = parts.shape
    kl = np.zeros(m)
    win = np.zeros(m)
    for j in range(m):
        kl_sum, kl_comp, win_sum, win_comp = 0.0, 0.0, 0.0, 0.0
        for chunk in range(chunks):
            kl_sum, kl_comp = neumaier_add(kl_sum, kl_comp, parts[chunk, 0, j])
            kl_sum, kl_comp = neumaier_add(kl_sum, kl_comp, parts[chunk, 1, j])
            win_sum, win_comp = neumaier_add(win_sum, win_comp, parts[chunk, 2, j])
            win_sum, win_comp = neumaier_add(win_sum, win_comp, parts[chunk, 3, j])
        kl[j] = kl_sum + kl_comp
        win[j] = win_sum + win_comp
    return kl, win


@jit_parallel
def kl_win_chunks(mass, cum, tail, ns):
    """Preconditions: levels as above, ns ascending >= 1. Per-chunk sums (chunks, 4, m).

    Fixed chunks of levels run in parallel, each with its own compensated sums,
    merged serially in chunk order (deterministic whatever the thread count).
    Within a chunk the loop over n stops at the first n for which F^n
    underflows; a chunk whose top level underflows for the smallest n >= 2 is
    skipped. For n < 2 the terms ``w log(w/q)`` cancel to O((n-1)^2); there each
    term is ``q * excess(log(w/q))`` (same sum since sum w = sum q = 1, terms >= 0).
    """
    m = ns.shape[0]
    size = mass.shape[0]
    chunks = (size + CHUNK - 1) // CHUNK
    parts = np.zeros((chunks, 4, m))
    log_ns = np.log(ns)
    for chunk in prange(chunks):
        lo = chunk * CHUNK
        hi = min(lo + CHUNK, size)
        top = ns[0] * log_cdf(cum[hi - 1], tail[hi - 1])
        if ns[0] >= 2.0 and top < EXP_UNDERFLOW:
            continue
        kl_win_range(mass, cum, tail, ns, log_ns, lo, hi, parts[chunk])
    return parts


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


@jit
def chunk_bounds(rewards_sorted, chunks):
    """Preconditions: rewards ascending. Chunk starts near multiples of CHUNK, moved up
    so that no level (run of equal rewards) straddles two chunks."""
    size = rewards_sorted.shape[0]
    bounds = np.empty(chunks + 1, dtype=np.int64)
    bounds[0] = 0
    bounds[chunks] = size
    for chunk in range(1, chunks):
        b = max(chunk * CHUNK, bounds[chunk - 1])
        while 0 < b < size and rewards_sorted[b] == rewards_sorted[b - 1]:
            b += 1
        bounds[chunk] = b
    return bounds


@jit
def chunk_levels(rewards_sorted, probs_sorted, lo, hi, below, below_comp, above, above_comp):
    """Preconditions: sorted outcomes lo:hi hold whole levels; (below, below_comp) and
    (above, above_comp) are the compensated masses under and over the chunk.

    Returns per positive-mass level of the chunk ``(mass, cum, tail)`` with the
    same Neumaier arithmetic as :func:`bonkl_fast._kernels_levels.merge_levels`.
    """
    mass = np.empty(hi - lo)
    count = 0
    i = lo
    while i < hi:
        total = probs_sorted[i]
        j = i + 1
        if j < hi and rewards_sorted[j] == rewards_sorted[i]:
            total, comp, j = 0.0, 0.0, i
            while j < hi and rewards_sorted[j] == rewards_sorted[i]:
                total, comp = neumaier_add(total, comp, probs_sorted[j])
                j += 1
            total += comp
        if total > 0.0:
            mass[count] = total
            count += 1
        i = j
    mass = mass[:count]
    cum = np.empty(count)
    tail = np.empty(count)
    for k in range(count):
        below, below_comp = neumaier_add(below, below_comp, mass[k])
        cum[k] = below + below_comp
    for k in range(count - 1, -1, -1):
        tail[k] = above + above_comp
        above, above_comp = neumaier_add(above, above_comp, mass[k])
    return mass, cum, tail


@jit
def level_term(n, log_n, q, log_f, c, x, s1, log_q):
    """Preconditions: n >= 2, F^n does not underflow. (w, w log(w/q)) for one level.

    Short-series path where ``q/F <= X_SERIES`` and ``|n c| <= D_SERIES``
    (see :func:`log_rate_correction`), else ``log w = n log F + log1mexp(n c)``.
    """
    d = n * c
    if x <= X_SERIES and d >= -D_SERIES:
        d2 = d * d
        u = (n - 1.0) * log_f + log_n + s1 + d / 2
        u += d2 * (1 / 24 + d2 * (-1 / 2880 + d2 * (1 / 181440 - d2 / 9676800)))
        w = q * math.exp(u)
        return w, w * u
    log_w = n * log_f + log1mexp(d)
    w = math.exp(log_w)
    return w, w * (log_w - log_q)


@jit
def chunk_terms(mass, cum, tail, below, log_g, ns, out):
    """Preconditions: one chunk's levels (see chunk_levels), below = G and log_g = log G
    of the level under the chunk (0, -inf for the first chunk), ns ascending >= 1.

    Adds the KL and W sums of the chunk into ``out`` (4, m), like
    :func:`kl_win_range`, looping over n outside the levels (per-level logs
    computed once, sums kept in registers).
    """
    count = mass.shape[0]
    log_f = np.empty(count)
    c = np.empty(count)
    s1 = np.empty(count)
    log_q = np.empty(count)
    beat = np.empty(count)
    ratio = np.empty(count)
    for k in range(count):
        q = mass[k]
        log_f[k] = log_cdf(cum[k], tail[k])
        x = q / cum[k]
        ratio[k] = x
        if x <= X_SERIES:
            c[k] = log1p_neg_small(x)
            s1[k] = x * (1 / 2 + x * (5 / 24 + x * (1 / 8 + x * (251 / 2880 + x * (19 / 288)))))
        else:
            c[k] = log_ratio(log_f[k], log_g, q, cum[k])
        series_always = x <= X_SERIES and ns[-1] * c[k] >= -D_SERIES  # level_term never needs log q
        log_q[k] = 0.0 if series_always else log_mass(q, below, tail[k])
        beat[k] = below + 0.5 * q
        below = cum[k]
        log_g = log_f[k]
    for j in range(ns.shape[0]):
        n = ns[j]
        log_n = math.log(n)
        first = np.searchsorted(log_f, EXP_UNDERFLOW / n)  # F^n underflows below it
        kl, kl_comp, win, win_comp = 0.0, 0.0, 0.0, 0.0
        for k in range(first, count):
            if n >= 2.0:
                w, term = level_term(n, log_n, mass[k], log_f[k], c[k], ratio[k], s1[k], log_q[k])
            else:
                w = math.exp(n * log_f[k] + log1mexp(n * c[k]))
                u = log_ratio_near_one(n - 1.0, log_f[k], c[k])
                term = mass[k] * excess(u) if abs(u) < 0.1 else w * u - (w - mass[k])
            kl, kl_comp = neumaier_add(kl, kl_comp, term)
            win, win_comp = neumaier_add(win, win_comp, w * beat[k])
        if n < 2.0:
            for k in range(first):  # w = 0: the n < 2 form counts q
                kl, kl_comp = neumaier_add(kl, kl_comp, mass[k])
        out[0, j] += kl
        out[1, j] += kl_comp
        out[2, j] += win
        out[3, j] += win_comp


@jit
def chunk_sums(rewards_sorted, probs_sorted, bounds):
    """Preconditions: as chunk_levels. Compensated probability mass of every chunk."""
    chunks = bounds.shape[0] - 1
    sums = np.zeros((chunks, 2))
    for chunk in range(chunks):
        total, comp = 0.0, 0.0
        for i in range(bounds[chunk], bounds[chunk + 1]):
            total, comp = neumaier_add(total, comp, probs_sorted[i])
        sums[chunk, 0] = total
        sums[chunk, 1] = comp
    return sums


@jit_parallel
def kl_win_sorted_chunks(rewards_sorted, probs_sorted, ns, bounds):
    """Preconditions: rewards ascending, probs >= 0 summing to 1, ns ascending >= 1.

    Per-chunk (KL, W) partial sums (chunks, 4, m): levels merged, their forward
    and reverse sums and the terms computed chunk by chunk in parallel, with no
    array of size K. Chunks are fixed by the data, not the thread count.
    """
    chunks = bounds.shape[0] - 1
    masses = chunk_sums(rewards_sorted, probs_sorted, bounds)
    under = np.zeros((chunks, 2))  # compensated mass below each chunk
    over = np.zeros((chunks, 2))  # and above it
    total, comp = 0.0, 0.0
    for chunk in range(chunks):
        under[chunk, 0], under[chunk, 1] = total, comp
        total, comp = neumaier_add(total, comp, masses[chunk, 0])
        total, comp = neumaier_add(total, comp, masses[chunk, 1])
    total, comp = 0.0, 0.0
    for chunk in range(chunks - 1, -1, -1):
        over[chunk, 0], over[chunk, 1] = total, comp
        total, comp = neumaier_add(total, comp, masses[chunk, 0])
        total, comp = neumaier_add(total, comp, masses[chunk, 1])
    parts = np.zeros((chunks, 4, ns.shape[0]))
    for chunk in prange(chunks):
        below = under[chunk, 0] + under[chunk, 1]
        mass, cum, tail = chunk_levels(
            rewards_sorted,
            probs_sorted,
            bounds[chunk],
            bounds[chunk + 1],
            under[chunk, 0],
            under[chunk, 1],
            over[chunk, 0],
            over[chunk, 1],
        )
        if mass.shape[0] == 0:
            continue
        if ns[0] >= 2.0 and ns[0] * log_cdf(cum[-1], tail[-1]) < EXP_UNDERFLOW:
            continue  # every level of the chunk underflows for every n
        if below > 0.0:
            rest = masses[chunk, 0] + (masses[chunk, 1] + over[chunk, 0] + over[chunk, 1])
            log_g = log_cdf(below, rest)
        else:
            log_g = -math.inf
        chunk_terms(mass, cum, tail, below, log_g, ns, parts[chunk])
    return parts


@jit
def kl_win_sorted(rewards_sorted, probs_sorted, ns):
    """Preconditions: rewards ascending, probs >= 0 summing to 1, ns ascending >= 1.

    (KL, W) per n straight from the sorted outcomes (see kl_win_sorted_chunks);
    a single chunk runs serially (a parallel launch costs more than it saves).
    """
    size = rewards_sorted.shape[0]
    chunks = (size + CHUNK - 1) // CHUNK
    bounds = chunk_bounds(rewards_sorted, chunks)
    if chunks == 1:
        parts = np.zeros((1, 4, ns.shape[0]))
        mass, cum, tail = chunk_levels(rewards_sorted, probs_sorted, 0, size, 0.0, 0.0, 0.0, 0.0)
        chunk_terms(mass, cum, tail, 0.0, -math.inf, ns, parts[0])
        return merge_parts(parts)
    return merge_parts(kl_win_sorted_chunks(rewards_sorted, probs_sorted, ns, bounds))
