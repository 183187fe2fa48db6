"""bon_logpmf (issue 12): log pi_n against mpmath, finite where the pmf underflows (MATH §2).

Tolerance of the issue: absolute error <= 1e-12 x max(1, |value|) against the
literal ``log(p_y / q * (F**n - G**n))`` at 80+ digits (bonkl_fast.testing).
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given

import bonkl_fast as bk
from bonkl_fast.exact import bon_logpmf
from bonkl_fast.testing import mpmath_logpmf, ns, references

TOL = 1e-12


def assert_matches_mpmath(probs, rewards, n):
    values = bon_logpmf(probs, rewards, n)
    exact = mpmath_logpmf(probs, rewards, n)
    for value, ref, p in zip(values, exact, probs, strict=True):
        if p == 0:
            assert value == -math.inf
        else:
            assert math.isfinite(value), (value, float(ref), n)
            assert abs(value - ref) <= TOL * max(1.0, abs(ref)), (value, float(ref), n)
    return values


def staircase(k):
    p = 10.0 ** -np.arange(k)
    return p / p.sum()


CASES = [
    # (name, probs, rewards)
    ("binary uniform", [0.5, 0.5], [0.0, 1.0]),
    ("tiny top", [1 - 1e-15, 1e-15], [0.0, 1.0]),
    ("tiny bottom", [1e-300, 1 - 1e-300], [0.0, 1.0]),
    ("tiny in the middle", [0.5, 1e-300, 0.5 - 1e-300], [0.0, 1.0, 2.0]),
    ("ties with a zero and a tiny mass", [0.3, 0.0, 1e-300, 0.4, 0.3], [1.0, 1.0, 1.0, 0.0, 2.0]),
    ("tie at the top, unsorted", [1e-3, 0.5, 0.499, 0.0], [7.0, -2.0, 7.0, 7.0]),
    ("staircase 10^-k (K = 30)", staircase(30), np.arange(30.0)),
    ("reversed staircase", staircase(30), -np.arange(30.0)),
    ("one outcome", [1.0], [3.0]),
]


@pytest.mark.parametrize(("name", "probs", "rewards"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("n", [1.0, 1.0 + 1e-12, 1.5, 2.0, 7.0, 1e3, 1e6, 1e12, 1e15])
def test_against_mpmath(name, probs, rewards, n):
    assert_matches_mpmath(np.asarray(probs, dtype=float), np.asarray(rewards, dtype=float), n)


def test_issue_example_dirichlet_where_the_pmf_underflows():
    """Issue 12: K = 50 Dirichlet(0.5) at n = 1000, most of the pmf underflows to 0."""
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.full(50, 0.5))
    rewards = rng.normal(size=50)
    assert (bk.bon_pmf(probs, rewards, 1000) == 0).sum() > 20
    values = assert_matches_mpmath(probs, rewards, 1000)
    assert values.min() < -2000


@given(references(max_size=12), ns())
def test_property_against_mpmath(ref, n):
    assert_matches_mpmath(*ref, n)


@given(references(), ns())
def test_agrees_with_bon_pmf_and_sorting(ref, n):
    probs, rewards = ref
    values = bon_logpmf(probs, rewards, n)
    pmf = bk.bon_pmf(probs, rewards, n)
    big = pmf > 1e-290
    np.testing.assert_allclose(np.exp(values[big]), pmf[big], rtol=1e-12)
    assert np.all(np.isfinite(values) == (probs > 0))
    order = np.argsort(rewards, kind="stable")
    sorted_values = bon_logpmf(probs[order], rewards[order], n, assume_sorted=True)
    np.testing.assert_array_equal(sorted_values, values[order])


def test_hand_values():
    np.testing.assert_array_equal(bon_logpmf([0.25, 0.75], [1.0, 0.0], 1), np.log([0.25, 0.75]))
    probs = np.array([0.1, 0.0, 0.3, 0.6])  # n = 1 is the reference itself, exactly
    np.testing.assert_array_equal(bk.bon_pmf(probs, [2.0, 1.0, 2.0, 0.0], 1), probs)
    values = bon_logpmf([0.5, 0.5], [0.0, 1.0], 2)
    np.testing.assert_allclose(values, np.log([0.25, 0.75]), rtol=1e-15)
    # one level: best-of-n is the reference; a zero-mass outcome is -inf
    tied = bon_logpmf([0.2, 0.8, 0.0], [1.0, 1.0, 1.0], 1e9)
    np.testing.assert_allclose(tied[:2], np.log([0.2, 0.8]), rtol=1e-15)
    assert tied[2] == -math.inf
    # the top at F = 1 is exactly 0, never -0.0
    top = bon_logpmf([0.5, 0.5], [0.0, 1.0], 2000)[1]
    assert top == 0.0 and math.copysign(1.0, top) == 1.0


def test_normalize_and_input_errors():
    np.testing.assert_array_equal(
        bon_logpmf([1.0, 3.0], [0.0, 1.0], 5, normalize=True),
        bon_logpmf([0.25, 0.75], [0.0, 1.0], 5),
    )
    with pytest.raises(TypeError, match="single n"):
        bon_logpmf([0.5, 0.5], [0.0, 1.0], [2, 3])
    with pytest.raises(ValueError, match="n must be >= 1"):
        bon_logpmf([0.5, 0.5], [0.0, 1.0], 0.5)
    with pytest.raises(ValueError, match="sum to"):
        bon_logpmf([0.5, 0.6], [0.0, 1.0], 2)
    with pytest.raises(ValueError, match="assume_sorted"):
        bon_logpmf([0.5, 0.5], [1.0, 0.0], 2, assume_sorted=True)


PEAK_SCRIPT = """
import numpy as np
from bonkl_fast.exact import bon_logpmf, bon_pmf

def status(field):
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) * 1024 for line in handle if line.startswith(field))

k = 4_000_000
rng = np.random.default_rng(0)
probs = rng.random(k)
probs /= probs.sum()
rewards = rng.normal(size=k)  # distinct: one level per outcome, the old worst case
for fn in (bon_pmf, bon_logpmf):
    fn(probs[:5000] / probs[:5000].sum(), rewards[:5000], 10.0)  # compiled before measuring
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # reset the peak counter (VmHWM) to the current RSS
    before = status("VmRSS:")
    out = fn(probs, rewards, 1000.0)
    print((status("VmHWM:") - before) / (probs.nbytes + rewards.nbytes + out.nbytes))
    del out
"""


def test_peak_memory_stays_near_input_plus_output():
    """Issue 14: bon_pmf peaked at 8x its input (per-level arrays); now ~2x input + output."""
    result = subprocess.run([sys.executable, "-c", PEAK_SCRIPT], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    ratios = [float(line) for line in result.stdout.split()]
    assert len(ratios) == 2 and all(0 < ratio <= 2.5 for ratio in ratios), ratios
