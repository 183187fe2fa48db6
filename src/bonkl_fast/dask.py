"""Best-of-n bank curves for banks too large for one machine's memory (Dask DataFrame).

Needs the optional ``dask[dataframe]`` dependency (``pip install bonkl_fast[dask]``).
"""

from __future__ import annotations

import numpy as np

from .bank import BankCurves, as_ns, assemble
from .bank import bank_curves as _bank_curves_in_memory

__all__ = ["bank_curves"]

ROW = "_bonkl_row"
GROUP = "_bonkl_group"


def _import_dask():
    try:
        import dask
        import dask.dataframe  # noqa: F401
        import pandas as pd
    except ImportError:
        raise ImportError(
            "bonkl_fast.dask needs Dask DataFrame; pip install bonkl_fast[dask]"
        ) from None
    return dask, pd


def bank_curves(
    ddf,
    reward: str = "reward",
    logprob: str | None = None,
    group: str | None = "prompt_id",
    ns=None,
    evaluate=None,
) -> BankCurves:
    """:func:`bonkl_fast.bank_curves` on a Dask DataFrame with one row per sample.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        The bank; rows of a group may sit in several partitions.
    reward, logprob, group : str or None
        Column names (``logprob=None``: no KL estimate; ``group=None``: one group).
    ns : int or array_like of int, optional
        Subset sizes; default :func:`bonkl_fast.bank.default_ns` of the smallest N.
    evaluate : str or list of str, optional
        Columns of other scores of the same samples (MATH §11), as
        ``evaluate=`` of the in-memory function (keyed by column name).

    Returns
    -------
    BankCurves
        Identical (bit for bit) to the in-memory function on the same rows in
        the same order, groups in order of first appearance.

    Notes
    -----
    A global row index is attached (``cumsum`` over partitions), one pass finds
    each group's first row, size and the partitions it occupies; when a group
    straddles partitions the frame is shuffled by group. Then the in-memory
    kernel runs on each partition (rows put back in their original order, so
    ties are visited as in memory) and the per-group rows are concatenated in
    first-appearance order. Memory per worker: its partition's rows.

    Examples
    --------
    >>> import pandas as pd, dask.dataframe as dd
    >>> frame = pd.DataFrame({"prompt_id": [2, 1, 2, 1], "reward": [0.0, 1.0, 3.0, 2.0]})
    >>> curves = bank_curves(dd.from_pandas(frame, npartitions=2))
    >>> curves.groups, curves.expected_reward
    (array([2, 1]), array([[1.5, 3. ],
           [1.5, 2. ]]))
    """
    dask, pd = _import_dask()
    scores = [evaluate] if isinstance(evaluate, str) else list(evaluate or [])
    names = [c for c in (reward, logprob, group, *scores) if c is not None]
    missing = [c for c in names if c not in ddf.columns]
    if missing:
        raise ValueError(
            f"ddf has no column {missing[0]!r} (columns: {', '.join(map(str, ddf.columns))}); "
            "choose the column with the matching option"
        )
    columns = list(ddf.columns)
    repeated = [c for c in names if columns.count(c) > 1]
    if repeated:
        raise ValueError(
            f"ddf has column {repeated[0]!r} {columns.count(repeated[0])} times; rename all but one"
        )
    frame = ddf[list(dict.fromkeys(names))].assign(**{ROW: 1})
    frame[ROW] = frame[ROW].cumsum() - 1
    key = group if group is not None else GROUP
    if group is None:
        frame = frame.assign(**{GROUP: 0})
    stats = frame.groupby(key)[ROW].agg(["min", "count"])
    per_partition = frame[key].map_partitions(lambda s: s.drop_duplicates())
    stats, per_partition = dask.compute(stats, per_partition)
    if stats.shape[0] == 0:
        raise ValueError("ddf has no rows; pass at least one scored sample")
    ns = as_ns(ns, int(stats["count"].min()))
    if per_partition.duplicated().any():  # some group straddles partitions
        frame = frame.shuffle(on=key)
    parts = [
        dask.delayed(_partition)(part, reward, logprob, key, ns, scores)
        for part in frame.to_delayed()
    ]
    results = [r for r in dask.compute(*parts) if r is not None]
    return _concatenate(results, stats, pd)


def _partition(frame, reward, logprob, key, ns, scores):
    """In-memory curves of one partition's groups (rows back in original order)."""
    if frame.shape[0] == 0:
        return None
    frame = frame.sort_values(ROW, kind="stable")
    logprobs = None if logprob is None else frame[logprob].to_numpy()
    return _bank_curves_in_memory(
        frame[reward].to_numpy(),
        ns,
        logprobs=logprobs,
        groups=frame[key].to_numpy(),
        evaluate={name: frame[name].to_numpy() for name in scores},
    )


def _concatenate(results, stats, pd) -> BankCurves:
    ids = np.concatenate([r.groups for r in results]) if len(results) > 1 else results[0].groups
    first_row = stats["min"].reindex(pd.Index(ids, tupleize_cols=False)).to_numpy()
    order = np.argsort(first_row, kind="stable")

    def stack(values):
        return np.concatenate(values)[order]

    first = results[0]
    names = list(first.evaluated)
    fields = [[r.expected_reward for r in results], [r.win_rate for r in results]]
    fields.append([r.kl_estimate if r.kl_estimate is not None else r.kl_plugin for r in results])
    fields.append([r.kl_plugin for r in results])
    for name in names:
        fields.append([r.evaluated[name] for r in results])
        fields.append([r.evaluated_win_rate[name] for r in results])
    out = np.stack([stack(values) for values in fields])
    groups = ids[order]
    if groups.dtype == object and all(isinstance(g, str) for g in groups):
        groups = groups.astype(str)
    n_samples = stack([r.n_samples for r in results])
    return assemble(first.ns, groups, n_samples, out, names, first.kl_estimate is not None)
