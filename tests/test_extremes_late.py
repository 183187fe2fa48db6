"""Late extremes of issue 14's review (items 5 and 11): valid input, finite answers.

Each case is checked against the literal formula in mpmath (bonkl_fast.testing).
"""

from __future__ import annotations

import warnings

import pytest

import bonkl_fast as bk
from bonkl_fast.testing import mpmath_kl_estimate_expected, relative_error


@pytest.mark.parametrize("n", [1e300, 1e308, 1.7e308])
@pytest.mark.parametrize("p", [[5e-324, 1.0], [1e-310, 1.0]])
def test_kl_estimate_expected_with_a_subnormal_top_level(p, n):
    """Was NaN at n = 1e308: the outcome of mass 1 has 1 - p = 5e-324, ``n log(5e-324)``
    is -inf and ``excess(-inf)`` was ``-inf * 0``; its limit is 1."""
    r = [1.0, 0.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = bk.kl_estimate_expected(p, r, n)
    assert relative_error(value, mpmath_kl_estimate_expected(p, r, n)) < 1e-12
