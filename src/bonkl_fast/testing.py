"""Hypothesis strategies and slow, obviously correct references for best-of-n code.

For property tests of your own best-of-n code (``pip install "bonkl_fast[test]"``),
and used by bonkl_fast's own tests:

* strategies: :func:`references` (``(probs, rewards)`` with zero masses, masses
  down to 1e-300, ties), :func:`ns`, :func:`bank_rewards`, :func:`banks`;
* :func:`brute_force_pmf`: enumerate all ``K**n`` ordered draws in exact
  rational arithmetic (small K and n);
* ``mpmath_*``: the formulas of MATH §2, §4, §5 evaluated literally
  (``w = F**n - G**n``, levels merged with exact sums) at 80 significant
  digits or more; the precision grows with the smallest mass and with ``n``
  (``1 - 1e-300`` needs 300 digits), so the naive formula is exact far beyond
  float64. They take floats (converted exactly) or :class:`mpmath.mpf`
  values (e.g. ``mpf(1) / 3``, kept as given) and return ``mpf``. They are
  defined in ``_mpmath_references.py`` and imported from here.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "bonkl_fast.testing needs hypothesis (and mpmath for the mpmath_* references); "
        'install them with: pip install "bonkl_fast[test]"'
    ) from None

from ._mpmath_references import (
    mpmath_kl,
    mpmath_kl_bound,
    mpmath_kl_estimate,
    mpmath_kl_estimate_expected,
    mpmath_logpmf,
    mpmath_p_top,
    mpmath_pmf,
    mpmath_win_rate,
    relative_error,
)

__all__ = [
    "references",
    "ns",
    "bank_rewards",
    "banks",
    "brute_force_pmf",
    "mpmath_pmf",
    "mpmath_logpmf",
    "mpmath_kl",
    "mpmath_win_rate",
    "mpmath_kl_bound",
    "mpmath_kl_estimate",
    "mpmath_kl_estimate_expected",
    "mpmath_p_top",
    "relative_error",
]

MAX_DRAWS = 10**6  # brute_force_pmf refuses larger enumerations
MAX_FLOAT = float(np.finfo(np.float64).max)


@st.composite
def references(
    draw,
    *,
    min_size=1,
    max_size=30,
    min_mass=1e-300,
    zeros=True,
    max_levels=None,
    extreme_rewards=False,
):
    """``(probs, rewards)``: float64 arrays, probs summing to 1, rewards with ties.

    Masses mix zeros (``zeros=True``), log-uniform values down to ``min_mass``
    and values of order 1 (huge dynamic range). Rewards are integer-valued with
    at most ``max_levels`` distinct values (default: up to the size), so ties
    are common; ``extreme_rewards=True`` mixes in any finite float64 (up to
    +-1.8e308, subnormals) for code that uses reward values, not just their order.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(references(max_size=5))
    ... def test_is_a_distribution(reference):
    ...     probs, rewards = reference
    ...     assert abs(probs.sum() - 1) < 1e-12 and len(rewards) == len(probs)
    >>> test_is_a_distribution()
    """
    size = draw(st.integers(min_size, max_size))
    low = math.log10(min_mass)
    masses = [st.floats(min_mass, 1.0), st.floats(low, 0.0).map(lambda e: 10.0**e)]
    masses.append(st.floats(max(0.01, min_mass), 1.0))
    if zeros:
        masses.append(st.just(0.0))
    raw = np.array(draw(st.lists(st.one_of(masses), min_size=size, max_size=size)))
    assume(raw.sum() > 0)
    levels = draw(st.integers(1, min(size, max_levels or size)))
    values = st.integers(0, levels - 1).map(float)
    if extreme_rewards:
        edges = st.sampled_from([MAX_FLOAT, -MAX_FLOAT, 5e-324, -5e-324, 1e-300])
        values = st.one_of(values, st.floats(-MAX_FLOAT, MAX_FLOAT), edges)
    rewards = draw(st.lists(values, min_size=size, max_size=size))
    return raw / raw.sum(), np.array(rewards, dtype=float)


def ns(*, max_n=1e15, integer=False):
    """Numbers of draws ``n >= 1`` as floats: small, huge (up to ``max_n``), integers, 1 + 1e-12.

    ``integer=True`` gives integer-valued floats only (for brute force and banks).

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(ns(max_n=10, integer=True))
    ... def test_in_range(n):
    ...     assert n in range(1, 11)
    >>> test_in_range()
    """
    whole = st.integers(1, int(min(max_n, 10**6))).map(float)
    if integer:
        return whole
    return st.one_of(
        st.floats(1.0, min(20.0, max_n)),
        st.floats(1.0, max_n),
        whole,
        st.floats(-12, 0).map(lambda e: min(1.0 + 10.0**e, max_n)),
    )


def bank_rewards(*, min_size=2, max_size=12, max_levels=5):
    """Rewards of a bank of scored samples: integer-valued floats with many ties."""
    values = st.lists(st.integers(0, max_levels - 1), min_size=min_size, max_size=max_size)
    return values.map(lambda v: np.array(v, dtype=float))


@st.composite
def banks(draw, *, min_size=2, max_size=12, max_levels=5, max_groups=3):
    """``(rewards, logprobs, groups)``: tied rewards, log-probs <= 0, integer group ids."""
    rewards = draw(bank_rewards(min_size=min_size, max_size=max_size, max_levels=max_levels))
    size = rewards.shape[0]
    logprobs = draw(st.lists(st.floats(-50.0, 0.0), min_size=size, max_size=size))
    groups = draw(st.lists(st.integers(0, max_groups - 1), min_size=size, max_size=size))
    return rewards, np.array(logprobs), np.array(groups)


def brute_force_pmf(probs, rewards, n) -> list:
    """Exact best-of-n pmf (list of Fractions) by enumerating all ``K**n`` ordered draws.

    Each draw has probability ``prod p`` (probs taken exactly and divided by
    their exact sum); among the drawn positions with the highest reward one
    is returned uniformly at random. Refuses more than 1e6 draws.

    Examples
    --------
    >>> brute_force_pmf([0.5, 0.5], [0, 1], 2)
    [Fraction(1, 4), Fraction(3, 4)]
    """
    k = len(probs)
    if k != len(rewards):
        raise ValueError(f"probs has {k} entries but rewards has {len(rewards)}")
    if isinstance(n, bool) or not float(n).is_integer() or n < 1:
        raise ValueError(f"brute_force_pmf needs an integer n >= 1, got {n!r}")
    n = int(n)
    if k**n > MAX_DRAWS:
        raise ValueError(
            f"brute_force_pmf would enumerate K**n = {k}**{n} draws (more than {MAX_DRAWS:.0e}); "
            "use smaller K and n, or mpmath_pmf"
        )
    ps = [Fraction(float(p)) for p in probs]
    ps = [p / sum(ps) for p in ps]
    out = [Fraction(0)] * k
    for drawn in itertools.product(range(k), repeat=n):
        weight = math.prod((ps[i] for i in drawn), start=Fraction(1))
        if weight == 0:
            continue
        top = max(float(rewards[i]) for i in drawn)
        winners = [i for i in drawn if float(rewards[i]) == top]
        for i in winners:
            out[i] += weight / len(winners)
    return out
