"""bonkl_fast: exact KL divergence and win rate of best-of-n sampling.

The folklore ``log n - (n - 1) / n`` is only an upper bound on the KL of
best-of-n from its reference; for discrete references (few likely answers,
ties in the reward) the true value is far lower. This package computes the
exact quantities, fast, and the tools around them:

* exact core (:mod:`bonkl_fast.exact`): ``bon_pmf``, ``kl_exact``, ``win_rate``,
  ``kl_bound``, ``win_rate_bound``, ``kl_estimate``, ``kl_estimate_expected``,
  ``kl_saturation``, ``kl_divergence``, ``win_rate_vs_reference``;
* Monte Carlo (:mod:`bonkl_fast.sampling`): ``sample_best_of_n``,
  ``simulate_best_of_n``;
* banks of scored samples (:mod:`bonkl_fast.bank`, :mod:`bonkl_fast.io`,
  :mod:`bonkl_fast.dask`): ``bank_curves``, ``read_bank``;
* comparison policies (:mod:`bonkl_fast.policies`): ``rewind_and_repeat``,
  ``win_rate_tilt``, ``reward_tilt``, ``tilt_for_kl``, ``soft_best_of_n``,
  ``frontier``.
"""

from __future__ import annotations

from .bank import BankCurves, bank_curves
from .exact import (
    bon_pmf,
    kl_bound,
    kl_divergence,
    kl_estimate,
    kl_estimate_expected,
    kl_exact,
    kl_saturation,
    win_rate,
    win_rate_bound,
    win_rate_vs_reference,
)
from .io import read_bank
from .policies import (
    Frontier,
    frontier,
    reward_tilt,
    rewind_and_repeat,
    soft_best_of_n,
    tilt_for_kl,
    win_rate_tilt,
)
from .sampling import sample_best_of_n
from .simulation import SimulationResult, simulate_best_of_n

__version__ = "0.1.0"

__all__ = [
    "__version__",
    # exact core
    "bon_pmf",
    "kl_bound",
    "kl_divergence",
    "kl_estimate",
    "kl_estimate_expected",
    "kl_exact",
    "kl_saturation",
    "win_rate",
    "win_rate_bound",
    "win_rate_vs_reference",
    # Monte Carlo
    "SimulationResult",
    "sample_best_of_n",
    "simulate_best_of_n",
    # banks of scored samples
    "BankCurves",
    "bank_curves",
    "read_bank",
    # comparison policies
    "Frontier",
    "frontier",
    "rewind_and_repeat",
    "reward_tilt",
    "soft_best_of_n",
    "tilt_for_kl",
    "win_rate_tilt",
]
