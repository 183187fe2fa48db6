"""Slow, obviously correct references for the exact core (MATH §1, §2, §4, §5).

Two independent oracles:

* :func:`mp_levels` and friends: the formulas of MATH §2/§4/§5 evaluated in
  mpmath, levels sorted and merged with exact arbitrary-precision sums and
  ``w = F**n - G**n`` computed *directly* (no stable reformulation). The
  working precision is at least 80 digits and grows with the smallest mass
  and with ``n`` (``1 - 1e-300`` needs 300 digits to be distinguishable from
  1), so the naive formula is exact to far beyond float64 at that precision.
* :func:`brute_force_pmf`: enumerate all ``K**n`` ordered draws, return the
  highest-reward draw with uniform tie-breaking, in exact rational arithmetic
  (:class:`fractions.Fraction`); for ``K <= 4``, ``n <= 6``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

import mpmath
from mpmath import mp, mpf

BASE_DIGITS = 80


def working_digits(probs, n) -> int:
    """Digits needed so that ``1 - q`` and ``F**n`` keep 80 significant digits."""
    smallest = min((float(p) for p in probs if p > 0), default=1.0)
    extra = max(0, math.ceil(-math.log10(smallest))) if smallest > 0 else 0
    n_digits = max(0, math.ceil(math.log10(float(n)))) if n > 1 else 0
    return BASE_DIGITS + extra + n_digits + 20


@dataclass
class MpLevels:
    """Levels ascending in reward: exact mp masses and CDFs."""

    reward: list
    mass: list  # q, mpf
    cum: list  # F, mpf
    members: list  # list of lists of outcome indices
    probs: list  # per-outcome normalized mp probability (caller's order)


def mp_levels(probs, rewards) -> MpLevels:
    """Sort by reward, merge exactly equal rewards, masses as exact mp sums.

    Call inside ``mp.workdps``. Probabilities are divided by their exact sum
    (the float inputs are taken at face value, converted exactly).
    """
    ps = [mpf(float(p)) for p in probs]
    total = mpmath.fsum(ps)
    ps = [p / total for p in ps]
    order = sorted(range(len(ps)), key=lambda i: float(rewards[i]))
    reward, mass, members = [], [], []
    for i in order:
        if reward and float(rewards[i]) == reward[-1]:
            mass[-1] += ps[i]
            members[-1].append(i)
        else:
            reward.append(float(rewards[i]))
            mass.append(ps[i])
            members.append([i])
    keep = [k for k in range(len(mass)) if mass[k] > 0]
    reward = [reward[k] for k in keep]
    mass = [mass[k] for k in keep]
    members = [members[k] for k in keep]
    cum, running = [], mpf(0)
    for q in mass:
        running += q
        cum.append(running)
    return MpLevels(reward, mass, cum, members, ps)


def _level_weights(levels: MpLevels, n) -> list:
    n = mpf(float(n))
    out = []
    for q, f in zip(levels.mass, levels.cum, strict=True):
        g = f - q
        out.append(f**n - (g**n if g > 0 else mpf(0)))
    return out


def ref_pmf(probs, rewards, n) -> list:
    """Best-of-n pmf per outcome (caller's order), as mpf."""
    with mp.workdps(working_digits(probs, n)):
        lv = mp_levels(probs, rewards)
        w = _level_weights(lv, n)
        out = [mpf(0)] * len(probs)
        for k, idx in enumerate(lv.members):
            for i in idx:
                out[i] = +(lv.probs[i] / lv.mass[k] * w[k])
        return out


def ref_kl(probs, rewards, n):
    """KL(pi_n || pi) = sum_l w_l log(w_l / q_l), as mpf."""
    with mp.workdps(working_digits(probs, n)):
        lv = mp_levels(probs, rewards)
        w = _level_weights(lv, n)
        return +mpmath.fsum(
            wk * mpmath.log(wk / qk) for wk, qk in zip(w, lv.mass, strict=True) if wk > 0
        )


def ref_win_rate(probs, rewards, n):
    """W_n = sum_l w_l (G_l + q_l / 2), as mpf."""
    with mp.workdps(working_digits(probs, n)):
        lv = mp_levels(probs, rewards)
        w = _level_weights(lv, n)
        return +mpmath.fsum(
            wk * (fk - qk + qk / 2) for wk, fk, qk in zip(w, lv.cum, lv.mass, strict=True)
        )


def ref_kl_bound(n):
    """log n - (n - 1) / n, as mpf."""
    with mp.workdps(BASE_DIGITS + 20):
        n = mpf(float(n))
        return +(mpmath.log(n) - (n - 1) / n)


def _kl_estimate_mp(eps, n):
    """MATH §4 closed form, literally; eps and n mpf (inside a high-precision context)."""
    if eps == 1 or n == 1:
        return mpf(0)
    a = (1 - eps) ** n
    b = 1 - a
    value = mpf(0)
    if a > 0:
        value += a * (mpmath.log(n) + (n - 1) * mpmath.log(1 - eps) - (n - 1) / n)
    if b > 0:
        value += b * mpmath.log(b / eps)
    return value


def ref_kl_estimate(eps, n):
    """kl_estimate(eps, n) of MATH §4, as mpf."""
    with mp.workdps(working_digits([eps], n)):
        return +_kl_estimate_mp(mpf(float(eps)), mpf(float(n)))


def ref_kl_estimate_expected(probs, rewards, n):
    """E_{y ~ pi_n}[kl_estimate(pi(y), n)], as mpf."""
    with mp.workdps(working_digits(probs, n)):
        lv = mp_levels(probs, rewards)
        w = _level_weights(lv, n)
        nn = mpf(float(n))
        terms = []
        for k, idx in enumerate(lv.members):
            for i in idx:
                p = lv.probs[i]
                if p > 0 and w[k] > 0:
                    terms.append(p / lv.mass[k] * w[k] * _kl_estimate_mp(p, nn))
        return +mpmath.fsum(terms)


def ref_p_top(probs, rewards):
    """Mass of the highest-reward level with positive mass, as mpf."""
    with mp.workdps(working_digits(probs, 1)):
        return +mp_levels(probs, rewards).mass[-1]


def brute_force_pmf(probs, rewards, n: int) -> list:
    """Exact best-of-n pmf by enumerating all K**n ordered draws.

    Each draw tuple has probability ``prod p``; among the drawn positions with
    the highest reward one is returned uniformly at random. Exact rationals.
    """
    ps = [Fraction(float(p)) for p in probs]
    total = sum(ps)
    ps = [p / total for p in ps]
    k = len(ps)
    out = [Fraction(0)] * k
    for draw in itertools.product(range(k), repeat=n):
        weight = Fraction(1)
        for i in draw:
            weight *= ps[i]
        if weight == 0:
            continue
        top = max(float(rewards[i]) for i in draw)
        winners = [i for i in draw if float(rewards[i]) == top]
        share = weight / len(winners)
        for i in winners:
            out[i] += share
    return out


def relative_error(value, reference) -> float:
    """|value - reference| / |reference| in high precision (absolute if reference is 0)."""
    with mp.workdps(BASE_DIGITS):
        ref = mpf(reference)
        diff = abs(mpf(float(value)) - ref)
        return float(diff / abs(ref)) if ref != 0 else float(diff)
