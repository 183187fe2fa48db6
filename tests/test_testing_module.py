"""bonkl_fast.testing (issue 12): strategies reach what they promise; references are right."""

from __future__ import annotations

import math
import subprocess
import sys
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import find, given

from bonkl_fast import testing

# MATH §9, computed at 60 digits
TABLE = [
    # (probs, rewards, n, KL, W)
    ([0.5, 0.5], [0, 1], 2, "0.130812035941137", "0.625"),
    ([0.5, 0.5], [0, 1], 4, "0.459355521853486", "0.71875"),
    ([0.1] * 10, range(10), 10, "1.36109717670988", "0.90085658075"),
    ([1 - 1e-4, 1e-4], [0, 1], 1000, "0.562279574818298", "0.547533553220727"),
]


@pytest.mark.parametrize(("probs", "rewards", "n", "kl", "win"), TABLE)
def test_mpmath_references_reproduce_the_math_table(probs, rewards, n, kl, win):
    assert testing.relative_error(float(kl), testing.mpmath_kl(probs, rewards, n)) < 1e-14
    assert testing.relative_error(float(win), testing.mpmath_win_rate(probs, rewards, n)) < 1e-14


def test_mpmath_references_take_exact_mpf_masses():
    with mpmath.mp.workdps(100):
        tenth = mpmath.mpf(1) / 10  # not a float: kept as given, not rounded to float64
        kl = testing.mpmath_kl([tenth, 1 - tenth], [0, 1], 2)
        # w = (1/100, 99/100) against q = (1/10, 9/10)
        exact = (mpmath.log(tenth) + 99 * mpmath.log(mpmath.mpf(11) / 10)) / 100
        assert abs(kl - exact) < mpmath.mpf(10) ** -75
        as_floats = testing.mpmath_kl([0.1, 0.9], [0, 1], 2)  # float masses, taken exactly
        assert 1e-25 < abs(as_floats - kl) < 1e-15


def test_mpmath_references_closed_forms():
    # binary uniform: KL_n = 2^-n log(2^(1-n)) + (1 - 2^-n) log(2 - 2^(1-n))
    n = 7
    closed = 2.0**-n * math.log(2.0 ** (1 - n)) + (1 - 2.0**-n) * math.log(2 - 2.0 ** (1 - n))
    assert testing.relative_error(closed, testing.mpmath_kl([0.5, 0.5], [0, 1], n)) < 1e-14
    assert testing.relative_error(math.log(1000) - 0.999, testing.mpmath_kl_bound(1000)) < 1e-15
    assert testing.mpmath_kl_estimate(0.5, 1) == 0 and testing.mpmath_kl_estimate(1.0, 9) == 0
    assert testing.mpmath_p_top([0.2, 0.5, 0.3, 0.0], [1, 0, 1, 2]) == 0.5
    pmf = testing.mpmath_pmf([0.25, 0.25, 0.5], [1, 0, 1], 3)
    assert [float(v) for v in pmf] == [0.328125, 0.015625, 0.65625]
    logpmf = testing.mpmath_logpmf([0.5, 0.0, 0.5], [0, 1, 1], 2)
    assert float(logpmf[0]) == math.log(0.25) and logpmf[1] == -math.inf
    # expected estimate: sum over outcomes of pi_n(y) kl_estimate(p_y, n)
    expected = testing.mpmath_kl_estimate_expected([0.75, 0.25], [0, 1], 2)
    low, high = testing.mpmath_kl_estimate(0.75, 2), testing.mpmath_kl_estimate(0.25, 2)
    with mpmath.mp.workdps(100):  # dyadic masses: exact weights
        assert abs(expected - (0.5625 * low + 0.4375 * high)) < 1e-60


def test_brute_force_pmf_by_hand_and_against_mpmath():
    assert testing.brute_force_pmf([0.5, 0.5], [0, 1], 2) == [Fraction(1, 4), Fraction(3, 4)]
    # ties: uniform among drawn positions, which keeps within-level proportions
    assert testing.brute_force_pmf([0.25, 0.25, 0.5], [1, 0, 1], 3) == [
        Fraction(21, 64),
        Fraction(1, 64),
        Fraction(42, 64),
    ]
    probs, rewards = [0.2, 0.0, 0.3, 0.5], [2, 9, 2, 1]
    exact = testing.brute_force_pmf(probs, rewards, 5)
    assert sum(exact) == 1 and exact[1] == 0
    ref = testing.mpmath_pmf(probs, rewards, 5)
    assert all(abs(float(a) - b) <= 1e-16 * b for a, b in zip(exact, ref, strict=True) if b > 0)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([0.5, 0.5], [0, 1], 2.5), "integer n >= 1"),
        (([0.5, 0.5], [0, 1], 0), "integer n >= 1"),
        (([0.5, 0.5], [0, 1], True), "integer n >= 1"),
        (([0.5, 0.5], [0, 1, 2], 2), "rewards has 3"),
        (([0.1] * 10, range(10), 7), "10\\*\\*7 draws"),
    ],
)
def test_brute_force_pmf_refuses_clearly(args, match):
    with pytest.raises(ValueError, match=match):
        testing.brute_force_pmf(*args)


@given(testing.references())
def test_references_are_valid(ref):
    probs, rewards = ref
    assert probs.dtype == rewards.dtype == np.float64 and probs.shape == rewards.shape
    assert (probs >= 0).all() and abs(math.fsum(probs) - 1) < 1e-14
    assert (rewards == np.round(rewards)).all()


def test_references_reach_the_hard_cases():
    """Each feature the docstring promises is reachable (hypothesis finds an example)."""
    hard = {
        "zero mass": lambda r: (r[0] == 0).any(),
        "mass below 1e-250": lambda r: ((r[0] > 0) & (r[0] < 1e-250)).any(),
        "dynamic range 1e200": lambda r: r[0].max() > 1e200 * r[0][r[0] > 0].min(),
        "ties": lambda r: len(np.unique(r[1])) < len(r[1]),
        "single outcome": lambda r: len(r[0]) == 1,
    }
    for name, condition in hard.items():
        assert condition(find(testing.references(), condition)), name
    assert find(testing.references(min_size=3, zeros=False), lambda r: True)[0].min() > 0


def test_ns_and_banks():
    assert find(testing.ns(), lambda n: n > 1e14) <= 1e15
    assert 1 < find(testing.ns(), lambda n: 1 < n < 1 + 1e-9)
    assert find(testing.ns(max_n=6, integer=True), lambda n: n >= 6) == 6.0
    rewards, logprobs, groups = find(testing.banks(), lambda b: len(set(b[2])) == 3)
    assert rewards.shape == logprobs.shape == groups.shape and (logprobs <= 0).all()


@given(testing.ns(max_n=1e6))
def test_ns_in_range(n):
    assert isinstance(n, float) and 1.0 <= n <= 1e6


def _run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def _without(module, code):
    """Run ``code`` in a fresh interpreter where ``module`` cannot be imported."""
    block = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        f"        if name.split('.')[0] == {module!r}:\n"
        "            raise ModuleNotFoundError('No module named ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
    )
    return _run(block + code)


def test_clear_import_error_without_hypothesis():
    result = _without("hypothesis", "import bonkl_fast.testing\n")
    assert result.returncode != 0
    assert "ImportError" in result.stderr and "bonkl_fast[test]" in result.stderr


def test_clear_import_error_without_mpmath():
    code = (
        "import bonkl_fast.testing as t\n"
        "assert t.brute_force_pmf([0.5, 0.5], [0, 1], 1)[0] == 0.5\n"
        "t.mpmath_kl([0.5, 0.5], [0, 1], 2)\n"
    )
    result = _without("mpmath", code)
    assert result.returncode != 0
    assert "ImportError" in result.stderr and "bonkl_fast[test]" in result.stderr
    assert "brute_force_pmf" not in result.stderr  # strategies and brute force work without it


def test_core_never_imports_hypothesis_or_mpmath():
    code = (
        "import sys, bonkl_fast as bk, bonkl_fast.kernels\n"
        "bk.kl_exact([0.5, 0.5], [0, 1], 2)\n"
        "print(sorted(m for m in ('hypothesis', 'mpmath') if m in sys.modules))\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
