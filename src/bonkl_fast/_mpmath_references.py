"""The ``mpmath_*`` references of :mod:`bonkl_fast.testing`, their public home.

The formulas of MATH §2, §4, §5 evaluated literally (``w = F**n - G**n``,
levels merged with exact sums) at 80 significant digits or more; the precision
grows with the smallest mass and with ``n``. mpmath is imported on first use,
so the strategies and :func:`bonkl_fast.testing.brute_force_pmf` work without it.
"""

from __future__ import annotations

import itertools
import math

BASE_DIGITS = 80


def working_digits(probs, n) -> int:
    """Digits needed so that ``1 - q`` and ``F**n`` keep 80 significant digits."""
    smallest = min((float(p) for p in probs if p > 0), default=1.0)
    extra = max(0, math.ceil(-math.log10(smallest)))
    n_digits = max(0, math.ceil(math.log10(float(n)))) if n > 1 else 0
    return BASE_DIGITS + extra + n_digits + 20


def _mpmath():
    """The mpmath module, imported on first use (a clear error where it is missing)."""
    try:
        import mpmath
    except ImportError:
        raise ImportError(
            'the mpmath_* references need mpmath; install it with: pip install "bonkl_fast[test]"'
        ) from None
    return mpmath


def _mp(x):
    """An mpf as given, anything else through float64 (exactly, at the current precision)."""
    mpmath = _mpmath()

    return x if isinstance(x, mpmath.mpf) else mpmath.mpf(float(x))


def _levels(probs, rewards):
    """Exact mp levels ascending in reward: (mass, cum, members, probs); call inside workdps.

    Probabilities are taken exactly and divided by their exact sum; equal
    rewards are merged, zero-mass levels dropped.
    """
    mpmath = _mpmath()

    ps = [_mp(p) for p in probs]
    total = mpmath.fsum(ps)
    ps = [p / total for p in ps]
    by_reward: dict = {}
    for i in sorted(range(len(ps)), key=lambda i: float(rewards[i])):
        by_reward.setdefault(float(rewards[i]), []).append(i)
    mass, members = [], []
    for idx in by_reward.values():
        q = mpmath.fsum(ps[i] for i in idx)
        if q > 0:
            mass.append(q)
            members.append(idx)
    cum = list(itertools.accumulate(mass))
    return mass, cum, members, ps


def _weights(mass, cum, n) -> list:
    """``w = F**n - G**n`` per level, literally."""
    return [f**n - ((f - q) ** n if f > q else 0) for q, f in zip(mass, cum, strict=True)]


def _with_levels(probs, rewards, n, compute):
    mpmath = _mpmath()

    with mpmath.mp.workdps(working_digits(probs, n)):
        mass, cum, members, ps = _levels(probs, rewards)
        nn = _mp(n)
        return compute(mass, cum, members, ps, _weights(mass, cum, nn), nn)


def mpmath_pmf(probs, rewards, n) -> list:
    """Best-of-n pmf per outcome (caller's order): ``p_y / q * (F**n - G**n)``."""

    def pmf(mass, cum, members, ps, w, nn):
        out = [0 * nn] * len(ps)
        for k, idx in enumerate(members):
            for i in idx:
                out[i] = ps[i] / mass[k] * w[k]
        return out

    return _with_levels(probs, rewards, n, pmf)


def mpmath_logpmf(probs, rewards, n) -> list:
    """``log`` of :func:`mpmath_pmf` (``-inf`` where ``probs`` is 0)."""
    mpmath = _mpmath()

    with mpmath.mp.workdps(working_digits(probs, n)):
        return [+mpmath.log(v) for v in mpmath_pmf(probs, rewards, n)]


def mpmath_kl(probs, rewards, n):
    """KL(pi_n || pi) = sum_l w_l log(w_l / q_l) (MATH §2)."""
    mpmath = _mpmath()

    def kl(mass, cum, members, ps, w, nn):
        terms = zip(w, mass, strict=True)
        return mpmath.fsum(wk * mpmath.log(wk / qk) for wk, qk in terms if wk > 0)

    return _with_levels(probs, rewards, n, kl)


def mpmath_win_rate(probs, rewards, n):
    """W_n = sum_l w_l (G_l + q_l / 2) (MATH §5)."""
    mpmath = _mpmath()

    def win(mass, cum, members, ps, w, nn):
        return mpmath.fsum(wk * (fk - qk / 2) for wk, fk, qk in zip(w, cum, mass, strict=True))

    return _with_levels(probs, rewards, n, win)


def mpmath_kl_bound(n):
    """``log n - (n - 1) / n`` (MATH §3)."""
    mpmath = _mpmath()

    with mpmath.mp.workdps(BASE_DIGITS + 20):
        nn = _mp(n)
        return +(mpmath.log(nn) - (nn - 1) / nn)


def _kl_estimate(eps, n):
    """MATH §4 closed form, literally; eps and n mpf (inside a high-precision context)."""
    mpmath = _mpmath()

    if eps == 1 or n == 1:
        return 0 * eps
    a = (1 - eps) ** n
    value = a * (mpmath.log(n) + (n - 1) * mpmath.log(1 - eps) - (n - 1) / n) if a > 0 else 0
    return value + ((1 - a) * mpmath.log((1 - a) / eps) if a < 1 else 0)


def mpmath_kl_estimate(eps, n):
    """``kl_estimate(eps, n)`` of MATH §4."""
    mpmath = _mpmath()

    with mpmath.mp.workdps(working_digits([eps], n)):
        return +_kl_estimate(_mp(eps), _mp(n))


def mpmath_kl_estimate_expected(probs, rewards, n):
    """``E_{y ~ pi_n}[kl_estimate(pi(y), n)]`` (MATH §4)."""
    mpmath = _mpmath()

    def expected(mass, cum, members, ps, w, nn):
        return mpmath.fsum(
            ps[i] / mass[k] * w[k] * _kl_estimate(ps[i], nn)
            for k, idx in enumerate(members)
            for i in idx
            if ps[i] > 0 and w[k] > 0
        )

    return _with_levels(probs, rewards, n, expected)


def mpmath_p_top(probs, rewards):
    """Mass of the highest-reward level with positive mass."""
    return _with_levels(probs, rewards, 1, lambda mass, *rest: mass[-1])


def relative_error(value, reference) -> float:
    """``|value - reference| / |reference|`` in high precision (absolute where reference is 0)."""
    mpmath = _mpmath()

    with mpmath.mp.workdps(BASE_DIGITS):
        ref = mpmath.mpf(reference)
        diff = abs(mpmath.mpf(float(value)) - ref)
        return float(diff / abs(ref)) if ref != 0 else float(diff)
