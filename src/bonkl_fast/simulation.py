"""Monte Carlo checks of best-of-n: estimates with standard errors next to the exact values.

:func:`simulate_best_of_n` draws with the samplers of :mod:`bonkl_fast.sampling`
and turns the draws into Monte Carlo estimates of KL, win rate, mean reward
and the sample KL estimator (MATH §4, §6), each with its standard error and
the exact value next to it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from . import _kernels_exact as kex
from . import _kernels_sampler_tables as tables
from . import _kernels_sampling as ks
from . import _table
from . import exact as _exact
from ._chunks import batches, threads_for
from ._kernels_estimate import estimate_expected_many
from ._levels import Levels
from .sampling import _prepare, _sampler_arrays

__all__ = ["simulate_best_of_n", "SimulationResult"]


@dataclass(frozen=True)
class SimulationResult:
    """Monte Carlo estimates of best-of-n quantities next to their exact values.

    Each quantity has the estimate, its standard error (sample standard
    deviation over ``sqrt(size)``), the standard error it truly has
    (``*_se_exact``: the exact per-draw standard deviation under best-of-n over
    ``sqrt(size)``) and the exact value for the same reference: ``kl`` (mean
    of ``log(pi_n(y) / pi(y))``, nats), ``win_rate``
    (against an independent reference draw, ties 1/2), ``mean_reward`` and
    ``kl_estimate`` (mean of ``kl_estimate(pi(y), n)``, MATH §4, whose exact
    expectation is ``kl_estimate_expected``). ``kl_bound`` is the folklore
    ``log n - (n - 1) / n``.
    """

    n: int
    size: int
    method: str
    kl: float
    kl_se: float
    kl_exact: float
    win_rate: float
    win_rate_se: float
    win_rate_exact: float
    mean_reward: float
    mean_reward_se: float
    mean_reward_exact: float
    kl_estimate: float
    kl_estimate_se: float
    kl_estimate_expected: float
    kl_bound: float
    kl_se_exact: float
    win_rate_se_exact: float
    mean_reward_se_exact: float
    kl_estimate_se_exact: float

    _ROWS = (
        ("KL (nats)", "kl", "kl_exact"),
        ("win rate", "win_rate", "win_rate_exact"),
        ("mean reward", "mean_reward", "mean_reward_exact"),
        ("KL estimator", "kl_estimate", "kl_estimate_expected"),
    )

    def z_scores(self) -> dict[str, float]:
        """``(estimate - exact) / se_exact`` per quantity.

        The exact standard error is used, not the sample one: where best-of-n
        rarely leaves the top level, the draws may never see the rare levels
        and the sample standard error is far too small (even 0), which would
        make a correct estimate look millions of standard errors off. The
        denominator is ``hypot(se_exact, 1e-12 * max(1, |exact|))``: when the
        quantity is the same for every draw the two differ only by rounding.
        """
        out = {}
        for _, name, exact in self._ROWS:
            diff = getattr(self, name) - getattr(self, exact)
            scale = math.hypot(
                getattr(self, name + "_se_exact"), 1e-12 * max(1.0, abs(getattr(self, exact)))
            )
            out[name] = diff / scale
        return out

    def to_dict(self) -> dict:
        """Plain ``dict`` of the fields plus ``z`` (the z-scores), ready for ``json.dumps``."""
        out = asdict(self)
        out["z"] = self.z_scores()
        return out

    def table(self) -> dict[str, list]:
        """One row per quantity: ``n``, ``size``, ``method``, ``quantity``, ``estimate``,
        ``std_error``, ``exact``, ``std_error_exact``, ``z`` (the table of :meth:`to_csv`
        and :meth:`to_pandas`)."""
        z = self.z_scores()
        rows = [
            (
                name,
                getattr(self, name),
                getattr(self, name + "_se"),
                getattr(self, exact),
                getattr(self, name + "_se_exact"),
                z[name],
            )
            for _, name, exact in self._ROWS
        ]
        columns: dict[str, list] = {"n": [self.n] * len(rows), "size": [self.size] * len(rows)}
        columns["method"] = [self.method] * len(rows)
        names = ("quantity", "estimate", "std_error", "exact", "std_error_exact", "z")
        for key, values in zip(names, zip(*rows, strict=True), strict=True):
            columns[key] = list(values)
        return columns

    def to_pandas(self):
        """:meth:`table` as a tidy ``pandas.DataFrame`` (one row per quantity)."""
        return _table.data_frame(self.table())

    def to_csv(self) -> str:
        """:meth:`table` as CSV (integers as integers, floats at full precision)."""
        return _table.csv_text(self.table())

    def to_markdown(self) -> str:
        """:meth:`table` as a Markdown table (6 significant digits)."""
        return _table.markdown_table(self.table())

    def _repr_html_(self) -> str:
        caption = f"best-of-n Monte Carlo, n = {self.n:,}, {self.size:,} draws"
        return _table.html_table(self.table(), caption=caption)

    def __repr__(self) -> str:
        return (
            f"SimulationResult(n={self.n}, size={self.size}, method={self.method!r}, "
            f"kl={self.kl:.6g} ± {self.kl_se:.2g} (exact {self.kl_exact:.6g}), "
            f"win_rate={self.win_rate:.6g} ± {self.win_rate_se:.2g} "
            f"(exact {self.win_rate_exact:.6g}))"
        )

    def __str__(self) -> str:
        z = self.z_scores()
        lines = [
            f"best-of-n Monte Carlo: n = {self.n:,}, {self.size:,} draws, method {self.method}",
            f"{'quantity':<14}{'estimate':>14}{'std. error':>12}{'exact':>14}"
            f"{'exact s.e.':>12}{'z':>7}",
        ]
        for label, name, exact in self._ROWS:
            lines.append(
                f"{label:<14}{getattr(self, name):>14.6g}{getattr(self, name + '_se'):>12.2g}"
                f"{getattr(self, exact):>14.6g}{getattr(self, name + '_se_exact'):>12.2g}"
                f"{z[name]:>7.2f}"
            )
        lines.append(f"folklore KL log n - (n-1)/n = {self.kl_bound:.6g}")
        return "\n".join(lines)


def _exact_values(levels: Levels, n: int) -> np.ndarray:
    """Exact (KL, W, mean reward, E kl_estimate) from the merged levels: O(L) memory.

    The levels are themselves a reference (one outcome per level), on which the
    public exact API gives the KL and win rate of the original one.
    """
    kl, win = _exact.kl_and_win_rate(levels.mass, levels.reward, float(n), assume_sorted=True)
    weights = kex.level_weights(levels.mass, levels.cum, levels.tail, float(n))
    expected = 0.0
    if n > 1:
        args = (levels.mass, levels.cum, levels.tail, levels.probs_sorted, *levels.spans)
        expected = estimate_expected_many(*args, np.array([float(n)]))[0]
    return np.array([kl, win, float(np.dot(weights, levels.reward)), expected])


def _exact_spread(levels: Levels, n: int, level_kl, estimate, exact) -> np.ndarray:
    """Exact per-draw standard deviations of the four quantities under best-of-n.

    Sums of non-negative terms (no ``E[X^2] - E[X]^2`` cancellation). The win
    score against one reference draw is 1, 1/2 or 0 with probabilities G, q, S
    given the level; its variance there is ``G (S + q/2)^2 + q (1/2 - m)^2 + S m^2``
    with ``m = G + q/2``. O(K) time, O(1) memory.
    """
    args = (levels.mass, levels.cum, levels.tail, levels.reward, levels.probs_sorted)
    var = tables.spread_sums(*args, *levels.spans, level_kl, estimate, exact, float(n))
    return np.sqrt(np.maximum(var, 0.0))


def simulate_best_of_n(
    probs, rewards, n, size, *, rng=None, method="inverse", progress=False, normalize=False
) -> SimulationResult:
    """Simulate best-of-n and compare Monte Carlo estimates with the exact values.

    Parameters
    ----------
    probs, rewards, n, rng, method, normalize
        As in :func:`sample_best_of_n`.
    size : int or tuple of int
        Number of best-of-n draws (the product of a tuple); at least 2.
    progress : bool
        Report progress on stderr once the run has lasted a second (between
        the batches of chunks that long runs go in anyway; the draws are the same).

    Returns
    -------
    SimulationResult
        Estimates, standard errors and exact values of the KL, win rate, mean
        reward and KL estimator (see :class:`SimulationResult`).

    Notes
    -----
    Per draw ``y`` (with its level ``l``) the kernel accumulates
    ``log(w_l / q_l)``, the win against one independent reference draw (1,
    1/2 or 0), ``r_y`` and ``kl_estimate(pi(y), n)``, centred on the exact
    values so the sums of squares do not cancel. Memory O(K + number of chunks),
    the draws are not stored: at most six float64 arrays over the levels (about 3x
    the input when every outcome is its own level; tables the draws need are
    written over sums they no longer read).

    Examples
    --------
    >>> result = simulate_best_of_n([0.5, 0.3, 0.2], [1.0, 2.0, 3.0], n=4, size=10**5, rng=7)
    >>> print(result)
    best-of-n Monte Carlo: n = 4, 100,000 draws, method inverse
    quantity            estimate  std. error         exact  exact s.e.      z
    KL (nats)           0.560721      0.0026      0.559751      0.0026   0.38
    win rate             0.77233      0.0011        0.7726      0.0011  -0.25
    mean reward          2.52895      0.0019        2.5279      0.0019   0.54
    KL estimator        0.609524     9.7e-05        0.6095     9.7e-05   0.25
    folklore KL log n - (n-1)/n = 0.636294
    >>> abs(result.z_scores()["kl"]) < 4
    True
    """
    levels, n, shape, direct, total, chunk_size, seeds = _prepare(
        probs, rewards, n, size, method, rng, normalize, simulate=True
    )
    if total < 2:
        raise ValueError(f"size must give at least 2 draws for a standard error, got {size!r}")
    exact = _exact_values(levels, n)
    level_kl = tables.level_log_ratios(levels.mass, levels.cum, levels.tail, float(n))
    if n == 1:
        level_kl[:] = 0.0
    estimate = tables.outcome_estimates(
        levels.probs_sorted, *levels.spans, levels.cum, levels.tail, float(n)
    )
    spread = _exact_spread(levels, n, level_kl, estimate, exact)  # before the draws spend levels
    arrays = _sampler_arrays(levels, n, direct, True)
    del levels  # spent: the inverse draw tables were written over its masses and F
    parts = []
    for part, _, count in batches(seeds, chunk_size, total, n if direct else 1, progress):
        with threads_for(part.shape[0]):
            args = (part, chunk_size, count, n, direct, arrays, level_kl, estimate, exact)
            parts.append(ks.simulate_chunks(*args))
    sums = np.concatenate(parts).sum(axis=0)  # one fixed order, whatever the threads or batches
    mean = exact + sums[:4] / total
    var = np.maximum(sums[4:] - sums[:4] ** 2 / total, 0.0) / (total - 1)
    se = np.sqrt(var / total)
    root = math.sqrt(total)
    return SimulationResult(
        n,
        total,
        "direct" if direct else "inverse",
        float(mean[0]),
        float(se[0]),
        float(exact[0]),
        float(mean[1]),
        float(se[1]),
        float(exact[1]),
        float(mean[2]),
        float(se[2]),
        float(exact[2]),
        float(mean[3]),
        float(se[3]),
        float(exact[3]),
        float(_exact.kl_bound(float(n))),
        *(float(value) for value in spread / root),
    )
