"""Monte Carlo best-of-n: draws in O(log K) whatever n is, and simulation checks (MATH §6).

:func:`sample_best_of_n` draws best-of-n outcomes with one uniform per draw in
tail space; :func:`simulate_best_of_n` turns draws into Monte Carlo estimates
of KL, win rate, mean reward and the sample KL estimator, each with its
standard error and the exact value next to it. ``method="direct"`` runs the
literal procedure (n reference draws per selection, best kept, ties broken
uniformly at random): the test oracle, O(n) per draw.

Draws are split into fixed chunks, each seeded from ``rng``: the same seed
gives the same draws bit for bit with any number of Numba threads, with or
without ``progress``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass

import numpy as np

from . import _kernels_exact as kex
from . import _kernels_sampling as ks
from . import exact as _exact
from ._kernels_levels import _compensated_cumsum
from ._levels import Levels, prepare_levels
from ._random import (
    batches,
    check_random_state,
    chunk_count,
    chunk_len,
    chunk_seeds,
    threads_for,
)
from ._validate import as_integer_n

__all__ = ["sample_best_of_n", "simulate_best_of_n", "SimulationResult"]

_METHODS = ("inverse", "direct")


def _as_size(size) -> tuple[int, ...]:
    """Validate ``size`` (non-negative int or tuple of them) into a shape tuple."""
    items = size if isinstance(size, tuple) else (size,)
    for item in items:
        if isinstance(item, (bool, np.bool_)) or not isinstance(
            item, (numbers.Integral, np.integer)
        ):
            raise TypeError(
                f"size must be a non-negative int or a tuple of them, got {size!r}; "
                "write 10**6 rather than 1e6"
            )
        if item < 0:
            raise ValueError(f"size must be non-negative, got {size!r}")
    return tuple(int(item) for item in items)


def _check_method(method) -> bool:
    if method not in _METHODS:
        raise ValueError(f"method must be 'inverse' or 'direct', got {method!r}")
    return method == "direct"


def _guide_buckets(levels: int) -> int:
    """Guide-table size: a power of 2, about 8 buckets per level, at most 2**16 (512 kB).

    With several buckets per level most draws land in a bucket holding no
    threshold and need no comparison at all (no mispredicted branch); the cap
    keeps the table in the L2 cache when there are many levels.
    """
    return 1 << min(max(levels - 1, 1).bit_length() + 3, 16)


_NO_FLOATS = np.empty(0)
_NO_INTS = np.empty(0, dtype=np.int64)


def _single_outcomes(levels: Levels) -> np.ndarray:
    """Per level: sorted index of its only outcome of positive probability, -1 if several."""
    positive = np.flatnonzero(levels.probs_sorted > 0)
    level = levels.level_of[positive]
    counts = np.bincount(level, minlength=levels.mass.shape[0])
    single = np.full(levels.mass.shape[0], -1, dtype=np.int64)
    alone = counts[level] == 1
    single[level[alone]] = positive[alone]
    return single


def _sampler_arrays(levels: Levels, n: int, direct: bool, simulate: bool) -> ks.SamplerArrays:
    """The arrays the kernels need (others left empty).

    Draws return the caller's indices for sampling, sorted indices for simulation.
    """
    size = levels.probs_sorted.shape[0]
    sorted_index = np.arange(size)
    order = sorted_index if levels.order is None else levels.order.astype(np.int64, copy=False)
    index_map = sorted_index if simulate else order
    probs = levels.probs_sorted
    buckets = _guide_buckets(levels.mass.shape[0])
    arrays = dict.fromkeys(ks.SamplerArrays._fields, _NO_FLOATS)
    arrays.update(probs=probs, index_map=index_map, level_of=levels.level_of)
    arrays.update(pick=_NO_INTS, start=levels.start, stop=levels.stop, bon_guide=_NO_INTS)
    arrays.update(ref_guide=_NO_INTS, outcome_guide=_NO_INTS)
    if direct or simulate:
        arrays["rewards"] = np.ascontiguousarray(levels.rewards[order])
    if direct:
        outcome_tail = _compensated_cumsum(probs, True)  # mass strictly above each outcome
        guide = ks.build_guide(outcome_tail, _guide_buckets(size))
        arrays.update(outcome_tail=outcome_tail, outcome_guide=guide)
    else:
        bon_tail = ks.best_of_n_tails(levels.cum, levels.tail, float(n))
        single = _single_outcomes(levels)
        pick = np.where(single >= 0, index_map[np.maximum(single, 0)], -1)
        arrays.update(bon_tail=bon_tail, bon_guide=ks.build_guide(bon_tail, buckets), pick=pick)
        arrays["within_cum"] = ks.level_cumsums(probs, levels.start, levels.stop)
    if simulate:
        arrays.update(ref_tail=levels.tail, ref_guide=ks.build_guide(levels.tail, buckets))
    return ks.SamplerArrays(**arrays)


def _prepare(probs, rewards, n, size, method, rng, normalize):
    levels = prepare_levels(probs, rewards, normalize=normalize)
    n = as_integer_n(n)
    shape = _as_size(size)
    direct = _check_method(method)
    rng = check_random_state(rng)
    total = math.prod(shape)
    chunk_size = chunk_len(n, direct)
    seeds = chunk_seeds(rng, chunk_count(total, chunk_size))
    return levels, n, shape, direct, total, chunk_size, seeds


def sample_best_of_n(probs, rewards, n, size, *, rng=None, method="inverse", normalize=False):
    """Draw best-of-n outcomes from a discrete reference.

    Parameters
    ----------
    probs : array_like, shape (K,)
        Reference probabilities (validated as in :func:`bonkl_fast.bon_pmf`).
    rewards : array_like, shape (K,)
        Finite rewards; equal rewards are ties (MATH §1).
    n : int
        Number of reference draws best-of-n chooses from, integer ``1 <= n <= 2**53``.
    size : int or tuple of int
        Shape of the output.
    rng : numpy.random.Generator, int or None
        Source of randomness; an int is a seed.
    method : {"inverse", "direct"}
        ``"inverse"`` (default): MATH §6, O(log K) per draw for every n.
        ``"direct"``: the literal procedure, n reference draws by inverse CDF,
        best reward kept, ties broken uniformly among tied draws; O(n) per draw.
    normalize : bool
        Divide ``probs`` by their sum instead of requiring it to be 1.

    Returns
    -------
    ndarray of int64, shape ``size``
        Indices into ``probs``, distributed as :func:`bonkl_fast.bon_pmf`.

    Raises
    ------
    ValueError, TypeError
        Invalid reference, ``n`` not an integer >= 1, negative or non-integer
        ``size``, unknown ``method``, or ``rng`` of the wrong type.

    Notes
    -----
    MATH §6: with ``U`` uniform, ``t = -expm1(log(U) / n)`` is the reference
    mass above the maximum of n uniforms and the draw's level is the lowest
    with tail ``S <= t``, so ``P(level <= l) = F_l**n``. The kernel applies
    the monotone map to the L thresholds once instead of to every uniform:
    with ``u = 1 - U``, ``t >= S_l`` iff ``u >= 1 - F_l**n``, and the
    best-of-n tails ``1 - F_l**n = -expm1(n log F_l)`` keep full relative
    precision at any n. One uniform per draw then finds the level by a guide
    table and a binary search (O(1) expected, O(log K) at worst, independent
    of n); a level holding several outcomes of positive probability takes a
    second uniform to pick one in proportion to ``probs``. Uniforms have 53
    bits, so outcomes of best-of-n probability below about 1e-16 are not
    resolved. Chunks of 65536 draws run in parallel, each from its own seed:
    results do not depend on the number of threads. Setup costs O(K log K)
    (sorting) per call; ``"direct"`` costs O(n) per draw (O(n log K) at worst).

    Examples
    --------
    >>> sample_best_of_n([0.5, 0.3, 0.2], [1.0, 2.0, 3.0], n=4, size=8, rng=0)
    array([1, 1, 1, 2, 1, 2, 1, 1])
    >>> draws = sample_best_of_n([0.5, 0.3, 0.2], [1.0, 2.0, 3.0], n=4, size=10**6, rng=0)
    >>> (np.bincount(draws) / draws.size).round(3)  # bon_pmf: 0.0625, 0.3471, 0.5904
    array([0.063, 0.347, 0.59 ])
    >>> draws = sample_best_of_n([0.5, 0.5], [0.0, 1.0], n=10**12, size=(2, 3), rng=1)
    >>> draws.tolist()  # outcome 1 wins unless all 10**12 draws are outcome 0
    [[1, 1, 1], [1, 1, 1]]
    """
    levels, n, shape, direct, total, chunk_size, seeds = _prepare(
        probs, rewards, n, size, method, rng, normalize
    )
    out = np.empty(total, dtype=np.int64)
    if total:
        arrays = _sampler_arrays(levels, n, direct, False)
        with threads_for(seeds.shape[0]):
            ks.sample_chunks(seeds, chunk_size, out, n, direct, arrays)
    return out.reshape(shape)


@dataclass(frozen=True)
class SimulationResult:
    """Monte Carlo estimates of best-of-n quantities next to their exact values.

    Each quantity has the estimate, its standard error (sample standard
    deviation over ``sqrt(size)``) and the exact value for the same
    reference: ``kl`` (mean of ``log(pi_n(y) / pi(y))``, nats), ``win_rate``
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

    _ROWS = (
        ("KL (nats)", "kl", "kl_exact"),
        ("win rate", "win_rate", "win_rate_exact"),
        ("mean reward", "mean_reward", "mean_reward_exact"),
        ("KL estimator", "kl_estimate", "kl_estimate_expected"),
    )

    def z_scores(self) -> dict[str, float]:
        """``(estimate - exact) / se`` per quantity.

        The denominator is ``hypot(se, 1e-12 * max(1, |exact|))``: when every
        draw gives the same value (se = 0, e.g. n so large that the top level
        always wins) the estimate and the exact value differ only by rounding.
        """
        out = {}
        for _, name, exact in self._ROWS:
            diff = getattr(self, name) - getattr(self, exact)
            scale = math.hypot(
                getattr(self, name + "_se"), 1e-12 * max(1.0, abs(getattr(self, exact)))
            )
            out[name] = diff / scale
        return out

    def to_dict(self) -> dict:
        """Plain ``dict`` of the fields plus ``z`` (the z-scores), ready for ``json.dumps``."""
        out = asdict(self)
        out["z"] = self.z_scores()
        return out

    def __str__(self) -> str:
        z = self.z_scores()
        lines = [
            f"best-of-n Monte Carlo: n = {self.n:,}, {self.size:,} draws, method {self.method}",
            f"{'quantity':<14}{'estimate':>14}{'std. error':>12}{'exact':>14}{'z':>7}",
        ]
        for label, name, exact in self._ROWS:
            lines.append(
                f"{label:<14}{getattr(self, name):>14.6g}{getattr(self, name + '_se'):>12.2g}"
                f"{getattr(self, exact):>14.6g}{z[name]:>7.2f}"
            )
        lines.append(f"folklore KL log n - (n-1)/n = {self.kl_bound:.6g}")
        return "\n".join(lines)


def _outcome_estimates(levels: Levels, n: int) -> np.ndarray:
    """``kl_estimate(pi(y), n)`` per sorted outcome (0 where pi(y) = 0).

    As in the exact expectation, ``1 - p`` of an outcome with ``p >= 1/2`` is
    summed from the other masses rather than rounded from ``p``.
    """
    probs = levels.probs_sorted
    out = np.zeros(probs.shape[0])
    positive = probs > 0
    out[positive] = kex.kl_estimate_many(probs[positive], np.full(int(positive.sum()), float(n)))
    for i in np.flatnonzero(probs >= 0.5):
        level = levels.level_of[i]
        lo, hi = levels.start[level], levels.stop[level]
        keep = (levels.cum[level - 1] if level > 0 else 0.0) + levels.tail[level]
        keep += probs[lo:i].sum() + probs[i + 1 : hi].sum()
        out[i] = kex.kl_estimate_complement(probs[i], keep, float(n))
    return out


def _exact_values(levels: Levels, n: int):
    """Exact (KL, W, mean reward, E kl_estimate) from the public exact API, and log(pi_n/pi).

    The sorted reference is passed with ``assume_sorted=True`` (an O(K) check).
    """
    order = np.arange(levels.probs.shape[0]) if levels.order is None else levels.order
    probs, rewards = levels.probs_sorted, levels.rewards[order]
    args = (probs, rewards, float(n))
    exact = np.array(
        [
            _exact.kl_exact(*args, assume_sorted=True),
            _exact.win_rate(*args, assume_sorted=True),
            float(np.dot(_exact.bon_pmf(*args, assume_sorted=True), rewards)),
            _exact.kl_estimate_expected(*args, assume_sorted=True),
        ]
    )
    level_kl = ks.level_log_ratios(levels.mass, levels.cum, levels.tail, float(n))
    if n == 1:
        level_kl[:] = 0.0
    return exact, level_kl


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
        Report progress on stderr once the run has lasted a second. Work then
        runs in batches of chunks from Python; the draws are the same.

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
    values so the sums of squares do not cancel. Memory O(K + number of chunks);
    the draws are not stored.

    Examples
    --------
    >>> result = simulate_best_of_n([0.5, 0.3, 0.2], [1.0, 2.0, 3.0], n=4, size=10**5, rng=7)
    >>> print(result)
    best-of-n Monte Carlo: n = 4, 100,000 draws, method inverse
    quantity            estimate  std. error         exact      z
    KL (nats)           0.560721      0.0026      0.559751   0.38
    win rate             0.77233      0.0011        0.7726  -0.25
    mean reward          2.52895      0.0019        2.5279   0.54
    KL estimator        0.609524     9.7e-05        0.6095   0.25
    folklore KL log n - (n-1)/n = 0.636294
    >>> abs(result.z_scores()["kl"]) < 4
    True
    """
    levels, n, shape, direct, total, chunk_size, seeds = _prepare(
        probs, rewards, n, size, method, rng, normalize
    )
    if total < 2:
        raise ValueError(f"size must give at least 2 draws for a standard error, got {size!r}")
    exact, level_kl = _exact_values(levels, n)
    estimate = _outcome_estimates(levels, n)
    arrays = _sampler_arrays(levels, n, direct, True)
    parts = []
    for seeds_part, _, count in batches(seeds, chunk_size, total, n if direct else 1, progress):
        with threads_for(seeds_part.shape[0]):
            parts.append(
                ks.simulate_chunks(
                    seeds_part, chunk_size, count, n, direct, arrays, level_kl, estimate, exact
                )
            )
    sums = np.concatenate(parts).sum(axis=0)  # one fixed order, whatever the threads or batches
    mean = exact + sums[:4] / total
    var = np.maximum(sums[4:] - sums[:4] ** 2 / total, 0.0) / (total - 1)
    se = np.sqrt(var / total)
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
    )
