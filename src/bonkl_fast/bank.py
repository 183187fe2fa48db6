"""Best-of-n curves from a bank of scored samples (MATH §4, §7).

An evaluation drew N samples per prompt from the reference model and scored
each one. :func:`bank_curves` turns those flat per-sample arrays into, for every
n, the unbiased best-of-n expected reward and win rate (averages over all
n-subsets drawn without replacement), the KL estimate of MATH §4 (from the
samples' log-probabilities) and the exact KL of best-of-n resampling from the
bank (the "plug-in" KL), per group and averaged over groups.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numba
import numpy as np

from . import _kernels_bank as kern
from ._kernels_exact import kl_bound_many
from ._kernels_sort import stable_argsort
from ._validate import as_vector

__all__ = ["BankCurves", "bank_curves"]

# cache the (N, n) weights of a group size for all ns when len(ns) * N is at most this
CACHE_LIMIT = 1 << 20


@dataclass(frozen=True)
class BankCurves:
    """Best-of-n curves of a bank, per group and averaged (see :func:`bank_curves`).

    Attributes
    ----------
    ns : ndarray of int64, shape (m,)
        The subset sizes n, in the order requested.
    groups : ndarray, shape (G,)
        Distinct group ids, in order of first appearance in the input rows.
    n_samples : ndarray of int64, shape (G,)
        Samples per group (N).
    expected_reward, win_rate, kl_plugin : ndarray, shape (G, m)
        Per group and n; NaN where n > N (win rate: where n >= N).
    kl_estimate : ndarray, shape (G, m), or None
        MATH §4 estimate (None when no log-probabilities were given).
    kl_bound : ndarray, shape (m,)
        ``log n - (n - 1) / n``.
    mean_expected_reward, mean_win_rate, mean_kl_estimate, mean_kl_plugin : ndarray, shape (m,)
        Unweighted means over the groups whose entry is defined (groups with
        N < n, or N <= n for the win rate, are left out); NaN when no group
        qualifies. ``mean_kl_estimate`` is None without log-probabilities.
    groups_counted : ndarray of int64, shape (m,)
        Number of groups with N >= n (those averaged into the reward and KL means).
    """

    ns: np.ndarray
    groups: np.ndarray
    n_samples: np.ndarray
    expected_reward: np.ndarray
    win_rate: np.ndarray
    kl_estimate: np.ndarray | None
    kl_plugin: np.ndarray
    kl_bound: np.ndarray
    mean_expected_reward: np.ndarray
    mean_win_rate: np.ndarray
    mean_kl_estimate: np.ndarray | None
    mean_kl_plugin: np.ndarray
    groups_counted: np.ndarray

    def table(self) -> dict[str, np.ndarray]:
        """The averaged curves as named columns (``kl_estimate`` only with log-probabilities)."""
        columns = {"n": self.ns, "groups": self.groups_counted, "kl_bound": self.kl_bound}
        if self.mean_kl_estimate is not None:
            columns["kl_estimate"] = self.mean_kl_estimate
        columns["kl_plugin"] = self.mean_kl_plugin
        columns["expected_reward"] = self.mean_expected_reward
        columns["win_rate"] = self.mean_win_rate
        return columns

    def to_csv(self) -> str:
        """The averaged curves as CSV text (full float precision, ``nan`` for undefined)."""
        columns = self.table()
        out = io.StringIO()
        out.write(",".join(columns) + "\n")
        for i in range(self.ns.shape[0]):
            out.write(",".join(_format(col[i], exact=True) for col in columns.values()) + "\n")
        return out.getvalue()

    def to_markdown(self) -> str:
        """The averaged curves as a Markdown table (6 significant digits)."""
        columns = self.table()
        lines = ["| " + " | ".join(columns) + " |", "|" + "---:|" * len(columns)]
        for i in range(self.ns.shape[0]):
            cells = (_format(column[i], exact=False) for column in columns.values())
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"


def _format(value, *, exact: bool) -> str:
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return repr(float(value)) if exact else f"{float(value):.6g}"


def _nan_mean(values: np.ndarray) -> np.ndarray:
    """Column means over the non-NaN entries (compensated sums); NaN for all-NaN columns."""
    return kern.nan_column_means(np.ascontiguousarray(values))


def assemble(ns, groups, n_samples, reward, win, estimate, plugin) -> BankCurves:
    """Build :class:`BankCurves` from per-group rows (shared with :mod:`bonkl_fast.dask`)."""
    return BankCurves(
        ns=ns,
        groups=groups,
        n_samples=n_samples,
        expected_reward=reward,
        win_rate=win,
        kl_estimate=estimate,
        kl_plugin=plugin,
        kl_bound=kl_bound_many(ns.astype(np.float64)),
        mean_expected_reward=_nan_mean(reward),
        mean_win_rate=_nan_mean(win),
        mean_kl_estimate=None if estimate is None else _nan_mean(estimate),
        mean_kl_plugin=_nan_mean(plugin),
        groups_counted=(n_samples[:, None] >= ns[None, :]).sum(axis=0).astype(np.int64),
    )


def as_logprobs(logprobs, size: int) -> np.ndarray:
    """Validate log-probabilities: finite, <= 0, one per sample."""
    lp = as_vector(logprobs, "logprobs")
    if lp.shape[0] != size:
        raise ValueError(
            f"logprobs has {lp.shape[0]} entries but rewards has {size}; "
            "pass one log-probability per sample"
        )
    if (lp > 0).any():
        bad = int(np.flatnonzero(lp > 0)[0])
        raise ValueError(
            f"logprobs must be <= 0 (natural-log probabilities), found {lp[bad]:g} at index "
            f"{bad}; pass log-probabilities, not probabilities or negated values"
        )
    return lp


def as_ns(ns, min_size: int) -> np.ndarray:
    """Validate subset sizes: integers >= 1; default 1..min N."""
    if ns is None:
        return np.arange(1, min_size + 1, dtype=np.int64)
    if isinstance(ns, (bool, np.bool_)):
        raise TypeError("ns must be integers >= 1, got a boolean")
    values = as_vector(np.atleast_1d(ns), "ns")
    if (values < 1).any():
        raise ValueError(f"ns must be >= 1 (subset sizes), got {values[values < 1][0]:g}")
    if (values != np.floor(values)).any():
        bad = values[values != np.floor(values)][0]
        raise ValueError(f"ns must be integers (subset sizes), got {bad:g}; round them")
    if (values > 2.0**53).any():
        raise ValueError(f"ns must be at most 2**53, got {values.max():g}")
    return values.astype(np.int64)


def _fits_int64(ids: np.ndarray) -> bool:
    if ids.dtype.kind != "u":
        return True
    return int(ids.max()) < 2**62


def _is_missing(group) -> bool:
    """None, a float NaN, or pandas' NA/NaT (without importing pandas)."""
    if group is None or (isinstance(group, float) and group != group):
        return True
    return type(group).__name__ in ("NAType", "NaTType")


def factorize(groups, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (0..G-1 in order of first appearance) and the distinct ids."""
    if groups is None:
        return np.zeros(size, dtype=np.int64), np.zeros(1, dtype=np.int64)
    ids = np.asarray(groups)
    if not isinstance(groups, np.ndarray) and ids.dtype.kind in "USO" and len(groups) == size:
        # keep the ids' own types: np.asarray turns [1, "1"] into two equal strings,
        # NaN into "nan" and tuples into rows
        ids = np.empty(size, dtype=object)
        ids[:] = list(groups)
        if all(isinstance(g, str) for g in ids):
            ids = ids.astype(str)  # all strings: nothing to keep apart, plain str dtype
    elif ids.ndim > 1 and not isinstance(groups, np.ndarray) and len(groups) == size:
        ids = np.empty(size, dtype=object)  # e.g. tuples as ids
        ids[:] = list(groups)
    if ids.dtype == object and size:
        bad = next((i for i, g in enumerate(ids) if _is_missing(g)), None)
        if bad is not None:
            raise ValueError(
                f"groups has a missing id ({ids[bad]!r}) at index {bad}; give every sample a group"
            )
    if ids.ndim != 1 or ids.shape[0] != size:
        raise ValueError(
            f"groups must be 1-D with one id per sample ({size}), got shape {ids.shape}"
        )
    if ids.dtype.kind == "f" and np.isnan(ids).any():
        bad = int(np.flatnonzero(np.isnan(ids))[0])
        raise ValueError(f"groups has a missing (NaN) id at index {bad}; give every sample a group")
    if ids.dtype.kind in "iub" and size and _fits_int64(ids):
        as_int = ids.astype(np.int64)
        low, high = int(as_int.min()), int(as_int.max())
        if high - low < 4 * size + 1024:  # compact ids: one pass with a lookup table
            codes, first = kern.first_appearance_codes(as_int, low, high - low + 1)
            return codes, ids[first]
    if ids.dtype.kind in "iub" and np.abs(ids.astype(np.float64)).max() < 2.0**53:
        perm = stable_argsort(ids.astype(np.float64))  # radix sort: stable, exact below 2**53
        sorted_ids = ids[perm]
        new_run = np.empty(size, dtype=bool)
        new_run[0] = True
        np.not_equal(sorted_ids[1:], sorted_ids[:-1], out=new_run[1:])
        run = np.empty(size, dtype=np.int64)
        run[perm] = np.cumsum(new_run) - 1
        first = perm[new_run]  # stable sort: the first row of each run is its first appearance
    else:
        try:
            _, first, run = np.unique(ids, return_index=True, return_inverse=True)
        except TypeError:  # ids of mutually unorderable types: hash them instead
            lookup: dict = {}
            codes = np.fromiter((lookup.setdefault(g, len(lookup)) for g in ids), np.int64, size)
            distinct = np.empty(len(lookup), dtype=object)
            distinct[:] = list(lookup)
            return codes, distinct
        run = run.ravel()
    rank = np.empty(first.shape[0], dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.shape[0])
    return rank[run], ids[np.sort(first)]


def bank_curves(rewards, ns=None, *, logprobs=None, groups=None) -> BankCurves:
    """Best-of-n expected reward, win rate and KL, for every n, from scored samples.

    Parameters
    ----------
    rewards : array_like, shape (R,)
        One finite reward per sample (float32 accepted, computed in float64).
    ns : int or array_like of int, optional
        Subset sizes n >= 1 (any order, repeats allowed). Default ``1..min N``
        over the groups.
    logprobs : array_like, shape (R,), optional
        Natural-log reference probability of each sample (sequence log-prob),
        finite and <= 0. Needed for ``kl_estimate``.
    groups : array_like, shape (R,), optional
        Group (prompt) id of each sample: ints, strings or any hashable ids.
        Rows may come in any order. Default: all samples form one group, id 0.

    Returns
    -------
    BankCurves
        Per group (rows in order of first appearance) and averaged over groups.

    Raises
    ------
    ValueError
        Empty, non-finite or mismatched inputs, positive log-probabilities,
        ``ns`` below 1 or not integral, missing (NaN) group ids.
    TypeError
        Non-numeric rewards, log-probabilities or ``ns``.

    Notes
    -----
    Within a group of N samples sorted by reward, the sample of rank i is the
    best of a uniform n-subset with probability ``C(i-1, n-1) / C(N, n)``; tied
    samples share their level's weight equally (uniform tie-break). The
    weights come from the log-space recurrence ``log T(b-1) = log T(b) +
    log1p(-n/b)`` for ``T(b) = C(b, n) / C(N, n)``, accurate for N up to 1e6
    and beyond. Expected reward is ``sum_i weight_i r_(i)``; the KL estimate is
    ``sum_i weight_i kl_estimate(exp(logprob_(i)), n)``; the win rate is the
    U-statistic over (n+1)-subsets (one element the reference, the best of the
    other n the best-of-n sample, ties 1/2), so it needs n < N. The plug-in KL
    is the exact KL of best-of-n on the bank's empirical distribution (each
    sample mass 1/N), at most ``log N``. Every estimate except the plug-in is
    unbiased for the reference model's best-of-n.

    Entries with n > N (win rate: n >= N) are NaN; the ``mean_*`` curves
    average, with equal weight per group, the groups whose entry is defined.

    Cost O(R log R) to sort plus O(N) per group and n (O(N * len(ns)) per
    group), groups in parallel.

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
    >>> c.mean_expected_reward
    array([2.75, 5.  ])
    """
    if np.size(rewards) == 0:
        raise ValueError("rewards is empty; pass at least one scored sample")
    r = as_vector(rewards, "rewards") + 0.0  # -0.0 ties with 0.0
    size = r.shape[0]
    use_logprobs = logprobs is not None
    lp = as_logprobs(logprobs, size) if use_logprobs else np.empty(0)
    codes, ids = factorize(groups, size)
    start, grouped, grouped_lp = kern.group_rows(codes, ids.shape[0], r, lp, use_logprobs)
    n_samples = np.diff(start)
    ns_out = as_ns(ns, int(n_samples.min()))
    return assemble(
        ns_out, ids, n_samples, *run_kernel(grouped, grouped_lp, use_logprobs, start, ns_out)
    )


def run_kernel(rewards, logprobs, use_logprobs, start, ns):
    """Call the kernel on rows grouped by ``start`` for the distinct ns; map back to ``ns``.

    Groups are visited by size (so per-size weights are reused), in chunks of
    about equal row counts, several per thread; each group writes its own row.
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
    out = np.empty((4, sizes.shape[0], unique.shape[0]))
    with numba.parallel_chunksize(1):
        kern.bank_kernel(
            rewards,
            logprobs,
            use_logprobs,
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
    return out[0], out[1], out[2] if use_logprobs else None, out[3]
