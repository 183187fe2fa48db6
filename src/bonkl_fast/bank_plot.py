"""The overoptimization figure of a bank: evaluation score and win rate of best-of-n against KL.

Built on :class:`matplotlib.figure.Figure` directly (never ``pyplot``), so it
neither switches the global backend nor registers the figure with pyplot:
safe in Jupyter, scripts and servers. Needs matplotlib (``pip install
bonkl_fast[plot]``).
"""

from __future__ import annotations

import numpy as np

from .bank_result import DISTINCT_NOTE, BankCurves

__all__ = ["bank_figure"]

Z95 = 1.959963984540054  # two-sided 95% normal quantile: bands are mean +- 1.96 sem


def _figure_class():
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("bank_figure needs matplotlib; pip install bonkl_fast[plot]") from None
    return Figure


def _label_points(ns: np.ndarray) -> np.ndarray:
    """Which points get an n label: powers of 2 and the last (all of them when few)."""
    if ns.shape[0] <= 12:
        return np.ones(ns.shape[0], dtype=bool)
    power = (ns & (ns - 1)) == 0
    power[-1] = True
    return power


def _curve(ax, x, y, sem, ns, *, label, color, style="-", labels=True, changed=None):
    keep = np.isfinite(x) & np.isfinite(y)
    if not keep.any():
        return
    lw, size, z = (1.0, 2, 2) if style == ":" else (1.6, 3, 3)
    ax.plot(
        x[keep],
        y[keep],
        style,
        color=color,
        label=label,
        marker="o",
        markersize=size,
        lw=lw,
        zorder=z,
    )
    if sem is not None:
        band = keep & np.isfinite(sem)
        ax.fill_between(
            x[band], (y - Z95 * sem)[band], (y + Z95 * sem)[band], color=color, alpha=0.2, lw=0
        )
    if changed is not None and (changed & keep).any():
        hollow = changed & keep
        ax.plot(x[hollow], y[hollow], "o", mfc="white", mec=color, markersize=5, zorder=4)
    if labels:
        for i in np.flatnonzero(keep & _label_points(ns)):
            ax.annotate(
                f"n={ns[i]}",
                (x[i], y[i]),
                xytext=(3, -9),
                textcoords="offset points",
                fontsize=7,
                color=color,
            )


def bank_figure(curves: BankCurves, evaluation: str | None = None, *, title: str | None = None):
    """Best-of-n on a bank: evaluation score and win rate against KL, with 95% bands.

    Left panel: mean expected score (over prompts) of the sample best-of-n
    picks by the reward, as evaluated by ``evaluation`` (each name of
    ``curves.evaluated`` when None; the reward itself when there is none).
    Right panel: its win rate against an independent reference sample under
    the same score, with the reward's own win rate dashed. Bands are
    +-1.96 standard errors across prompts; points are labelled with n (powers
    of 2 and the last). The x-axis is the KL of best-of-n: the estimate from
    the log-probabilities when the bank has them (MATH §4), else the exact KL
    of resampling the bank (plug-in, MATH §7); the folklore value
    ``log n - (n-1)/n`` is drawn too (grey). Hollow points: the groups
    averaged differ from those at n = 1 (groups of different sizes).

    Parameters
    ----------
    curves : BankCurves
        From :func:`bonkl_fast.bank_curves`.
    evaluation : str, optional
        One evaluation score to draw (default: all of them).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Not attached to pyplot: save it with ``fig.savefig(path)``, or show it
        in Jupyter by leaving it as the cell's value.

    Examples
    --------
    >>> from bonkl_fast import bank_curves
    >>> gold = {"gold": [1, 0, 2, 0, 1, 2]}
    >>> c = bank_curves([0, 1, 2, 3, 2, 1], groups=[0, 0, 0, 1, 1, 1], evaluate=gold)
    >>> fig = bank_figure(c)
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['expected score of best-of-n', 'win rate vs a reference sample']
    """
    if evaluation is not None:
        curves.curve("evaluated", evaluation)  # a clear error for an unknown name
    names = [evaluation] if evaluation is not None else list(curves.evaluated)
    Figure = _figure_class()
    fig = Figure(figsize=(11, 4.6), dpi=120, layout="constrained")
    score_ax, win_ax = fig.subplots(1, 2)
    estimated = curves.mean_kl_estimate is not None
    x = curves.mean_kl_estimate if estimated else curves.mean_kl_plugin
    x_name = "KL estimate from log-probs" if estimated else "exact KL of resampling the bank"
    total = curves.n_samples.shape[0]
    changed = (curves.groups_counted < total) & (curves.groups_counted > 0)
    changed_win = (curves.groups_counted_win_rate < total) & (curves.groups_counted_win_rate > 0)
    colors = ["C0", "C3", "C2", "C4", "C1", "C5"]
    series = [
        (
            f"{name} (picked by reward)",
            curves.mean_evaluated[name],
            curves.sem_evaluated[name],
            curves.mean_evaluated_win_rate[name],
            curves.sem_evaluated_win_rate[name],
        )
        for name in names
    ]
    series.append(
        (
            "reward (proxy)",
            curves.mean_expected_reward,
            curves.sem_expected_reward,
            curves.mean_win_rate,
            curves.sem_win_rate,
        )
    )
    for k, (label, score, score_sem, win, win_sem) in enumerate(series):
        proxy = k == len(series) - 1 and bool(names)
        color = "0.35" if proxy else colors[k % len(colors)]
        style = "--" if proxy else "-"
        if not proxy or not names:  # the proxy's score is on another scale: right panel only
            _curve(
                score_ax, x, score, score_sem, curves.ns, label=label, color=color, changed=changed
            )
            _curve(
                score_ax,
                curves.kl_bound,
                score,
                None,
                curves.ns,
                color="0.6",
                style=":",
                label=f"{label} at the folklore KL",
                labels=False,
            )
        _curve(
            win_ax,
            x,
            win,
            win_sem,
            curves.ns,
            label=label,
            color=color,
            style=style,
            labels=not proxy,
            changed=changed_win,
        )
    win_ax.axhline(0.5, color="0.7", lw=0.8)
    score_ax.set_ylabel("expected score of best-of-n")
    win_ax.set_ylabel("win rate vs a reference sample")
    for ax in (score_ax, win_ax):
        ax.set_xlabel(f"KL(best-of-n || reference) [nats], {x_name}")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:  # N = 1: the win rate panel has no curve
            ax.legend(fontsize=8, loc="best")
    notes = ["bands: mean ± 1.96 s.e. across prompts"]
    if curves.all_samples_distinct():
        notes.append(DISTINCT_NOTE)
    if changed.any() or changed_win.any():
        notes.append("hollow points: fewer prompts averaged (N < n left out; win rate: N <= n)")
    if (curves.groups_counted_win_rate == 0).any():
        notes.append("no win rate at n = N: it needs a held-out reference sample")
    score_ax.text(
        0.99,
        0.01,
        "\n".join(notes),
        transform=score_ax.transAxes,
        fontsize=7,
        va="bottom",
        ha="right",
        color="0.3",
    )
    groups = curves.n_samples.shape[0]
    sizes = f"N = {curves.n_samples.min()}" + (
        f" to {curves.n_samples.max()}" if curves.n_samples.max() > curves.n_samples.min() else ""
    )
    fig.suptitle((title + ": " if title else "") + f"best-of-n on {groups:,} prompts, {sizes}")
    return fig
