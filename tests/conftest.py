"""Shared test configuration: hypothesis profiles and JIT warm-up."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("thorough", parent=settings.get_profile("default"), max_examples=1000)
# CI runs the same examples every time (a red CI run is then a real regression, and
# reproducible); local runs draw new ones, and HYPOTHESIS_PROFILE=thorough draws many.
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
_default = "ci" if os.environ.get("CI") else "default"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", _default))


@pytest.fixture(scope="session", autouse=True)
def warm_exact_kernels():
    """Compile (or load from cache) the core kernels once, before any timed test."""
    import bonkl_fast as bk

    p = np.array([0.25, 0.25, 0.5])
    r = np.array([0.0, 1.0, 1.0])
    bk.kl_exact(p, r, [1.0, 2.0])
    bk.win_rate(p, r, 2.0)
    bk.bon_pmf(p, r, 3.0)
    bk.kl_estimate_expected(p, r, 2.0)
    bk.kl_estimate(0.5, 2.0)
