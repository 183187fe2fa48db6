"""bonkl_fast: exact KL divergence and win rate of best-of-n sampling.

The folklore ``log n - (n - 1) / n`` is only an upper bound on the KL of
best-of-n from its reference; for discrete references (few likely answers,
ties in the reward) the true value is far lower. This package computes the
exact quantities, fast, and the tools around them:

* one validated reference asked many questions: ``Reference``;
* exact core (:mod:`bonkl_fast.exact`): ``bon_pmf``, ``bon_logpmf``, ``kl_exact``, ``win_rate``,
  ``kl_bound``, ``win_rate_bound``, ``kl_estimate``, ``kl_estimate_expected``,
  ``kl_saturation``, ``kl_divergence``, ``win_rate_vs_reference``;
* Monte Carlo (:mod:`bonkl_fast.sampling`, :mod:`bonkl_fast.simulation`):
  ``sample_best_of_n``, ``simulate_best_of_n``;
* banks of scored samples (:mod:`bonkl_fast.bank`, :mod:`bonkl_fast.io`,
  :mod:`bonkl_fast.dask`): ``bank_curves``, ``bank_weights``, ``read_bank``,
  ``read_reference``;
* comparison policies (:mod:`bonkl_fast.policies`): ``rewind_and_repeat``,
  ``win_rate_tilt``, ``reward_tilt``, ``tilt_for_kl``, ``soft_best_of_n``,
  ``frontier``;
* inside your own code: :mod:`bonkl_fast.kernels` (callable from ``numba.njit``
  functions) and :mod:`bonkl_fast.testing` (hypothesis strategies and slow
  reference implementations for property tests).

Importing the package is cheap: each name is imported from its module on
first use (PEP 562), so ``import bonkl_fast`` loads neither Numba nor a kernel.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    # exact core
    "Reference": "reference",
    "bon_logpmf": "exact",
    "bon_pmf": "exact",
    "kl_bound": "_bounds",
    "kl_divergence": "_vs_reference",
    "kl_estimate": "_bounds",
    "kl_estimate_expected": "exact",
    "kl_and_win_rate": "exact",
    "kl_exact": "exact",
    "kl_saturation": "exact",
    "win_rate": "exact",
    "win_rate_bound": "_bounds",
    "win_rate_vs_reference": "_vs_reference",
    # Monte Carlo
    "SimulationResult": "simulation",
    "sample_best_of_n": "sampling",
    "simulate_best_of_n": "simulation",
    # banks of scored samples
    "BankCurves": "bank",
    "bank_curves": "bank",
    "bank_weights": "bank",
    "read_bank": "io",
    "read_reference": "io",
    # comparison policies
    "Frontier": "policies._frontier_table",
    "frontier": "policies._frontier",
    "rewind_and_repeat": "policies._rewind",
    "reward_tilt": "policies._tilts",
    "soft_best_of_n": "policies._soft",
    "tilt_for_kl": "policies._tilts",
    "win_rate_tilt": "policies._tilts",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bonkl_fast' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
