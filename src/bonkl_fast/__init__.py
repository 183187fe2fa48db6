"""bonkl_fast: exact KL divergence and win rate of best-of-n sampling.

The folklore ``log n - (n - 1) / n`` is only an upper bound on the KL of
best-of-n from its reference; for discrete references (few likely answers,
ties in the reward) the true value is far lower. This package computes the
exact quantities, fast, and the tools around them.
"""

from __future__ import annotations

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

__version__ = "0.1.0"

__all__ = [
    "__version__",
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
]
