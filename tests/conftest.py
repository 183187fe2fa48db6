"""Shared test configuration: hypothesis profiles, JIT warm-up, the ``bonkl`` runner."""

from __future__ import annotations

import os
import subprocess
import sys

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


@pytest.fixture(scope="session")
def bonkl():
    """Run the ``bonkl`` command in a fresh interpreter: ``bonkl("kl", "--probs", "1", cwd=path)``.

    Arguments go through ``str``; the result is the ``subprocess.CompletedProcess`` with text
    ``stdout`` and ``stderr``. The timeout only stops a hung run.
    """

    def run(*args, cwd=None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bonkl_fast.cli", *map(str, args)],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=600,
        )

    return run
