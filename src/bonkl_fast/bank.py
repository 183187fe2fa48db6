"""Best-of-n curves from a bank of scored samples (MATH §4, §7, §11).

An evaluation drew N samples per prompt from the reference model and scored
each one. :func:`bank_curves` turns those flat per-sample arrays into, for every
n, the unbiased best-of-n expected reward and win rate (averages over all
n-subsets drawn without replacement), the KL estimate of MATH §4 (from the
samples' log-probabilities), the exact KL of best-of-n resampling from the
bank (the "plug-in" KL) and, for other scores of the same samples (a gold
reward, a human label), the expected score and win rate of the sample
best-of-n picks by the reward: per group, averaged over groups, with
standard errors. :func:`bank_weights` gives the per-sample weights behind them.
"""

from __future__ import annotations

import numba
import numpy as np

from . import _kernels_bank as kern
from ._bank_groups import factorize
from ._bank_inputs import as_evaluate, as_logprobs, as_ns, as_scores, default_ns
from .bank_result import BankCurves

__all__ = ["BankCurves", "bank_curves", "bank_weights", "default_ns"]

# cache the (N, n) weights of a group size for all ns when len(ns) * N is at most this
CACHE_LIMIT = 1 << 20


def _grouped(rewards, groups, logprobs=None):
    if np.size(rewards) == 0:
        raise ValueError("rewards is empty; pass at least one scored sample")
    r = as_scores(rewards, "rewards")
    use_logprobs = logprobs is not None
    lp = as_logprobs(logprobs, r.shape[0]) if use_logprobs else np.empty(0)
    codes, ids = factorize(groups, r.shape[0])
    return (ids, *kern.group_rows(codes, ids.shape[0], r, lp, use_logprobs))


def bank_curves(rewards, ns=None, *, logprobs=None, groups=None, evaluate=None) -> BankCurves:
    """Best-of-n expected reward, win rate and KL, for every n, from scored samples.

    Parameters
    ----------
    rewards : array_like, shape (R,)
        One finite reward per sample (float32 accepted, computed in float64);
        best-of-n picks by it.
    ns : int or array_like of int, optional
        Subset sizes n >= 1 (any order, repeats allowed). Default
        :func:`default_ns` of the smallest N: every n up to 32, then four
        log-spaced values per doubling up to min N. Pass
        ``np.arange(1, N + 1)`` for every n (O(N^2) per group).
    logprobs : array_like, shape (R,), optional
        Natural-log reference probability of each sample (sequence log-prob),
        finite and <= 0. Needed for ``kl_estimate``.
    groups : array_like, shape (R,), optional
        Group (prompt) id of each sample: ints, strings or any hashable ids
        (``True`` and ``1`` stay distinct). Rows may come in any order.
        Default: all samples form one group, id 0.
    evaluate : mapping of str to array_like (R,), or array_like (R,), optional
        Other scores of the same samples (gold reward, human label,
        correctness), finite; a bare array is named ``"evaluate"``. Gives
        ``evaluated`` and ``evaluated_win_rate`` (MATH §11).

    Returns
    -------
    BankCurves
        Per group (rows in order of first appearance), averaged over groups,
        with standard errors (``sem_*``) and confidence intervals.

    Raises
    ------
    ValueError
        Empty, non-finite or mismatched inputs, positive log-probabilities,
        ``ns`` below 1 or not integral, missing (NaN, NaT, None) group ids,
        integer scores beyond 2**53 that float64 would round into ties.
    TypeError
        Non-numeric rewards, log-probabilities, scores or ``ns``; a single
        string as ``groups``.

    Notes
    -----
    Within a group of N samples sorted by reward, the sample of rank i is the
    best of a uniform n-subset with probability ``C(i-1, n-1) / C(N, n)``; tied
    samples share their level's weight equally (uniform tie-break): these are
    :func:`bank_weights`. They come from the log-space recurrence ``log
    T(b-1) = log T(b) + log1p(-n/b)`` for ``T(b) = C(b, n) / C(N, n)``,
    accurate for N up to 1e6 and beyond. Expected reward is ``sum_i weight_i
    r_(i)``; the KL estimate is ``sum_i weight_i kl_estimate(exp(logprob_(i)),
    n)``; the win rate is the U-statistic over (n+1)-subsets (one element the
    reference, the best of the other n the best-of-n sample, ties 1/2), so it
    needs n < N. The plug-in KL is the exact KL of best-of-n on the bank's
    empirical distribution (each sample mass 1/N), at most ``log N``. Every
    estimate except the plug-in is unbiased for the reference model's
    best-of-n. An evaluation score ``e`` gives ``sum_i weight_i e_i`` and the
    same U-statistic with the pick chosen by reward and compared by ``e``;
    evaluating ``rewards`` itself reproduces ``expected_reward`` and ``win_rate``.

    Entries with n > N (win rate: n >= N) are NaN; the ``mean_*`` curves
    average, with equal weight per group, the groups whose entry is defined
    (``groups_counted``): with groups of different sizes the population
    changes with n, and ``BankCurves.notes()`` says so.

    Cost O(R log R) to sort, O(N log N) per group and score to count pairs,
    plus O(N) per group, n and score; groups in parallel.

    Examples
    --------
    >>> curves = bank_curves([0.0, 1.0, 2.0, 3.0], [1, 2, 4])
    >>> curves.expected_reward
    array([[1.5       , 2.33333333, 3.        ]])
    >>> curves.win_rate  # distinct rewards: n / (n + 1); undefined at n = N
    array([[0.5       , 0.66666667,        nan]])
    >>> c = bank_curves([1, 0, 5, 5], groups=["b", "a", "b", "a"], logprobs=[-1, -2, -1, -3])
    >>> c.groups, c.n_samples, c.ns
    (array(['b', 'a'], dtype='<U1'), array([2, 2]), array([1, 2]))
    >>> c.mean_expected_reward, c.sem_expected_reward
    (array([2.75, 5.  ]), array([0.25, 0.  ]))
    >>> gold = bank_curves([0, 1, 1, 2], [1, 2], evaluate={"gold": [2, 3, 1, 0]})
    >>> gold.evaluated["gold"]  # the top reward has the worst gold score
    array([[1.5, 1. ]])
    """
    ids, start, grouped, grouped_lp, place = _grouped(rewards, groups, logprobs)
    scores = as_evaluate(evaluate, grouped.shape[0])
    grouped_scores = np.empty((len(scores), grouped.shape[0]))
    for e, values in enumerate(scores.values()):
        grouped_scores[e, place] = values
    n_samples = np.diff(start)
    ns_out = as_ns(ns, int(n_samples.min()))
    out = run_kernel(grouped, grouped_lp, logprobs is not None, grouped_scores, start, ns_out)
    return assemble(ns_out, ids, n_samples, out, list(scores), logprobs is not None)


def assemble(ns, groups, n_samples, out, names, use_logprobs) -> BankCurves:
    """:class:`BankCurves` from the kernel's (4 + 2E, G, m) rows (shared with the Dask path)."""
    return BankCurves(
        ns=ns,
        groups=groups,
        n_samples=n_samples,
        expected_reward=out[0],
        win_rate=out[1],
        kl_estimate=out[2] if use_logprobs else None,
        kl_plugin=out[3],
        evaluated={name: out[4 + 2 * e] for e, name in enumerate(names)},
        evaluated_win_rate={name: out[5 + 2 * e] for e, name in enumerate(names)},
    )


def bank_weights(rewards, n, *, groups=None) -> np.ndarray:
    """Per sample, the probability that best-of-n on a uniform n-subset of its group picks it.

    Parameters
    ----------
    rewards : array_like, shape (R,)
        One finite reward per sample; best-of-n picks the highest.
    n : int
        Subset size, 1 <= n <= N for every group.
    groups : array_like, shape (R,), optional
        Group (prompt) id of each sample, as in :func:`bank_curves`.

    Returns
    -------
    ndarray of float64, shape (R,)
        Weights in input order; they sum to 1 within each group.

    Raises
    ------
    ValueError
        As :func:`bank_curves`, and when n exceeds some group's size N.

    Notes
    -----
    In a group of N samples sorted by reward, rank i (1-based, distinct
    rewards) is the best of a uniform n-subset with probability
    ``w_i = C(i - 1, n - 1) / C(N, n)`` (zero for i < n; ``sum_i w_i = 1`` by
    the hockey-stick identity). A tie level holding ranks a+1..b shares
    ``sum_{i=a+1}^{b} w_i = (C(b, n) - C(a, n)) / C(N, n)`` equally (uniform
    tie-break). These are the weights :func:`bank_curves` uses (the same
    kernels): its expected reward is ``sum_i w_i r_i`` per group (MATH §7).

    Examples
    --------
    >>> bank_weights([0.0, 3.0, 1.0, 2.0], 2)  # C(i-1, 1) / C(4, 2) by rank
    array([0.        , 0.5       , 0.16666667, 0.33333333])
    >>> bank_weights([1, 1, 0, 5, 5], 2, groups=[0, 0, 0, 1, 1])  # ties share
    array([0.5, 0.5, 0. , 0.5, 0.5])
    """
    ids, start, grouped, _, place = _grouped(rewards, groups)
    size = as_ns(n, 1)
    if size.shape[0] != 1:
        raise ValueError(f"n must be one subset size, got {size.shape[0]} values")
    n_samples = np.diff(start)
    if (n_samples < size[0]).any():
        g = int(np.argmax(n_samples < size[0]))
        gid = ids[g].item() if isinstance(ids[g], np.generic) else ids[g]
        raise ValueError(
            f"n = {size[0]} exceeds the {n_samples[g]} samples of group {gid!r}; "
            "best-of-n from a bank needs n <= N"
        )
    out = np.empty(grouped.shape[0])
    kern.sample_weights(grouped, start, float(size[0]), out)
    return out[place]


def run_kernel(rewards, logprobs, use_logprobs, scores, start, ns):
    """Call the kernel on rows grouped by ``start`` for the distinct ns; map back to ``ns``.

    Groups are visited by size (so per-size weights are reused), in chunks of
    about equal row counts, several per thread; each group writes its own row.
    Returns the (4 + 2E, G, len(ns)) rows.
    """
    unique, inverse = np.unique(ns, return_inverse=True)
    sizes = np.diff(start)
    order = np.argsort(sizes, kind="stable")
    # many chunks, handed out one at a time: threads stay busy on a shared machine; at
    # least 32 groups a chunk, so per-size weight tables are rebuilt rarely
    n_chunks = max(1, min(64 * numba.get_num_threads(), order.shape[0] // 32))
    cut_rows = np.cumsum(sizes[order])
    targets = cut_rows[-1] * np.arange(1, n_chunks) / n_chunks
    chunks = np.unique(np.r_[0, np.searchsorted(cut_rows, targets), order.shape[0]])
    out = np.empty((4 + 2 * scores.shape[0], sizes.shape[0], unique.shape[0]))
    with numba.parallel_chunksize(1):
        kern.bank_kernel(
            rewards,
            logprobs,
            use_logprobs,
            scores,
            start,
            order,
            chunks,
            unique.astype(np.float64),
            CACHE_LIMIT,
            out,
        )
    inverse = inverse.ravel()
    if unique.shape[0] != ns.shape[0] or (inverse != np.arange(ns.shape[0])).any():
        out = out[:, :, inverse]
    return out
