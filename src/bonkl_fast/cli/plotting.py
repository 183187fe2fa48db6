"""The figures of ``bonkl reproduce``, as matplotlib ``Figure`` objects (``pip install '.[plot]'``).

Every figure is built on a standalone :class:`matplotlib.figure.Figure`, not
through pyplot: nothing here touches pyplot's global state or backend, so the
functions work the same in a script, a server and Jupyter (display a figure
there by leaving it as the cell's value; save it with ``fig.savefig``).

* :func:`reproduce_figures` computes and draws all five figures;
* :func:`figure_kl_curves`, :func:`figure_win_rate`, :func:`figure_frontier`,
  :func:`figure_monte_carlo` draw one figure from numbers computed by
  :mod:`bonkl_fast.cli.reference_suite`.

Colours are fixed per reference so a reference looks the same in every figure.
"""

from __future__ import annotations

import numpy as np

from . import reference_suite as suite

COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#17becf",
)
BOUND_STYLE = {"color": "black", "linestyle": "--", "linewidth": 1.2}
FIGURE_NAMES = (
    "fig1_uniform_kl.png",
    "fig2_rare_top_kl.png",
    "fig3_win_rate.png",
    "fig4_frontier.png",
    "fig5_monte_carlo.png",
)


def require_matplotlib() -> None:
    """Import matplotlib, or raise ImportError saying how to install it."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(
            "plotting needs matplotlib; install it with: pip install 'bonkl_fast[plot]'"
        ) from None


def pyplot():
    """``matplotlib.pyplot``, imported without changing its backend (for interactive use)."""
    require_matplotlib()
    import matplotlib.pyplot as plt

    return plt


def colour(i: int) -> str:
    return COLOURS[i % len(COLOURS)]


def _figure(width: float, height: float):
    require_matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=120, layout="constrained")


def _colours(curve_list, colour_of):
    if colour_of is None:
        return {c.reference.name: colour(i) for i, c in enumerate(curve_list)}
    return {c.reference.name: colour_of(c.reference) for c in curve_list}


def figure_kl_curves(curve_list, title: str, colour_of=None):
    """Exact KL against n with the folklore bound, and below it the estimator's excess.

    ``curve_list``: :class:`bonkl_fast.cli.reference_suite.Curves`; ``colour_of``:
    optional function of a reference giving its colour. The lower panel shows
    ``E[estimator] - exact KL``, which would be invisible drawn over the exact curve.
    """
    fig = _figure(8, 6.4)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1.4))
    colours = _colours(curve_list, colour_of)
    first = curve_list[0]
    top.plot(first.ns, first.kl_bound, label="log n - (n-1)/n (folklore)", zorder=1, **BOUND_STYLE)
    for c in curve_list:
        col = colours[c.reference.name]
        top.plot(c.ns, c.kl, color=col, linewidth=2, label=c.reference.name, zorder=2)
        bottom.plot(c.ns, c.kl_estimate - c.kl, color=col, linewidth=1.5)
    top.set_xscale("log")
    top.set_ylim(0, 1.3 * max(float(c.kl.max()) for c in curve_list))
    top.set_ylabel("exact KL(best-of-n || ref) [nats]")
    top.set_title(title)
    top.legend(fontsize=8, loc="upper left", title="exact KL", title_fontsize=8)
    bottom.set_ylim(bottom=0)
    bottom.set_xlabel("n (number of draws)")
    bottom.set_ylabel("estimator - exact\n[nats]")
    bottom.set_title("expected log-prob estimator minus exact KL (same colours)", fontsize=9)
    for ax in (top, bottom):
        ax.grid(True, alpha=0.3)
    return fig


def figure_win_rate(curve_list, colour_of=None):
    """``1 - win rate`` against n on log axes: discrete references level off at about p_top/2.

    The continuous-reward value ``1 - n/(n+1) = 1/(n+1)`` is the dashed line;
    on these axes each reference's plateau (its win rate's saturation) is visible.
    """
    fig = _figure(9, 5.2)
    ax = fig.subplots()
    colours = _colours(curve_list, colour_of)
    first = curve_list[0]
    ax.plot(first.ns, 1 - first.win_rate_bound, label="1/(n+1) (continuous rewards)", **BOUND_STYLE)
    for c in curve_list:
        loss = 1 - c.win_rate
        ax.plot(c.ns, loss, color=colours[c.reference.name], linewidth=2, label=c.reference.name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(bottom=min(float((1 - c.win_rate).min()) for c in curve_list) / 3, top=0.7)
    ax.set_xlabel("n (number of draws)")
    ax.set_ylabel("1 - win rate against the reference\n(ties count 1/2; log scale)")
    ax.set_title("Best-of-n win rate saturates: 1 - W levels off at about p_top / 2")
    ax.grid(True, which="major", alpha=0.3)
    fig.legend(fontsize=8, loc="outside right upper")
    return fig


# n values labelled on the best-of-n curve of the frontier figure
FRONTIER_LABELS = (1, 2, 4, 8, 16)


def figure_frontier(table, dense, ref):
    """Win rate against KL: best-of-n (points labelled with n), the optimal win-rate tilt,
    rewind-and-repeat and best-of-n at the folklore KL; below, each policy's
    shortfall from the optimal tilt at the same KL.

    ``table``, ``dense``: :class:`bonkl_fast.Frontier` of ``ref`` at a few n (the
    labelled points) and at many n (the curves).
    """
    fig = _figure(8, 7)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1.5))
    kl = dense.bon_kl
    optimal = dense.win_tilt_win_rate
    top.plot(kl, optimal, color=colour(2), linewidth=5, alpha=0.45, label="win-rate tilt (optimal)")
    top.plot(kl, dense.bon_win_rate, color=colour(0), linewidth=1.8, label="best-of-n (exact KL)")
    top.plot(table.bon_kl, table.bon_win_rate, "o", color=colour(0), markersize=4)
    for n, x, y in zip(table.n, table.bon_kl, table.bon_win_rate, strict=True):
        if n in FRONTIER_LABELS:
            top.annotate(
                f"n={n:g}", (x, y), xytext=(4, -11), textcoords="offset points", fontsize=7
            )
    top.plot(kl, dense.rr_win_rate, color=colour(1), linewidth=1.5, label="rewind-and-repeat")
    top.plot(
        dense.kl_bound,
        dense.bon_win_rate,
        color=colour(0),
        linestyle="--",
        linewidth=1.2,
        label="best-of-n plotted at the folklore KL log n - (n-1)/n",
    )
    saturation = dense.kl_saturation
    crowd = table.n[table.bon_kl > saturation - 0.1]  # points piled up at the saturation
    if crowd.size > 1:
        top.annotate(
            f"n = {crowd.min():g} to {crowd.max():,g}",
            (saturation, float(table.bon_win_rate.max())),
            xytext=(-95, 4),
            textcoords="offset points",
            fontsize=7,
        )
    for ax in (top, bottom):
        ax.axvline(saturation, color="grey", linewidth=0.8, linestyle=":")
        ax.grid(True, alpha=0.3)
    top.text(saturation, 0.75, f" KL saturates at\n log(1/p_top) = {saturation:.3g}", fontsize=7)
    top.set_xlim(0, 1.6 * saturation)
    top.set_ylabel("win rate against the reference")
    top.set_title(f"Win rate vs KL: {ref.name}\n({suite.describe(ref)})", fontsize=10)
    top.legend(fontsize=8, loc="lower right")
    for boundary in _level_boundary_kls(ref, saturation):
        bottom.axvline(boundary, color=colour(1), linewidth=0.8, linestyle=":")
        bottom.text(
            boundary,
            0.97,
            f" log(1/S) = {boundary:.2f}",
            fontsize=7,
            va="top",
            transform=bottom.get_xaxis_transform(),
        )
    bottom.plot(kl, optimal - dense.bon_win_rate, color=colour(0), label="best-of-n")
    bottom.plot(kl, optimal - dense.rr_win_rate, color=colour(1), label="rewind-and-repeat")
    bottom.set_ylim(bottom=0)
    bottom.set_xlabel("KL(policy || reference) [nats]")
    bottom.set_ylabel("optimal tilt minus\npolicy [win rate]")
    bottom.set_title(
        "shortfall from the optimal win-rate tilt at the same KL. Rewind-and-repeat's kinks sit at"
        "\nlevel boundaries (dotted; S = mass above): just past one its KL is flat in alpha"
        " while its win rate climbs",
        fontsize=8,
    )
    bottom.legend(fontsize=8, loc="upper right")
    return fig


def _level_boundary_kls(ref, saturation: float) -> list[float]:
    """``log(1 / S)`` for the mass ``S`` above each reward level, below the saturation."""
    levels = np.unique(ref.rewards)
    above = [float(ref.probs[ref.rewards > level].sum()) for level in levels[:-1]]
    return [np.log(1 / s) for s in above if 0 < s and np.log(1 / s) < saturation * (1 - 1e-9)]


def figure_monte_carlo(rows, exact, ref):
    """Simulated KL and win rate over the exact curves (top) and their z-scores (bottom).

    ``rows``: :func:`bonkl_fast.cli.reference_suite.monte_carlo_rows`; ``exact``:
    :class:`bonkl_fast.cli.reference_suite.Curves` of ``ref`` over a dense n grid.
    """
    cols = {name: np.array([row[i] for row in rows]) for i, name in enumerate(suite.MC_COLUMNS)}
    fig = _figure(10, 6.4)
    axes = fig.subplots(2, 2, sharex=True, height_ratios=(2.2, 1))
    draws = f"{int(cols['draws'][0]):,} draws per n, seed {int(cols['seed'][0])}"
    for column, (key, label, curve) in enumerate(
        (("kl", "KL [nats]", exact.kl), ("win_rate", "win rate", exact.win_rate))
    ):
        top, bottom = axes[0, column], axes[1, column]
        top.plot(exact.ns, curve, color=colour(0), linewidth=2, label="exact")
        span = float(np.nanmax(curve) - np.nanmin(curve))
        hidden = float(np.max(2 * cols[f"{key}_se"])) < 0.01 * span  # under a 4-point marker
        top.errorbar(
            cols["n"],
            cols[f"{key}_mc"],
            yerr=2 * cols[f"{key}_se"],
            fmt="o",
            color=colour(3),
            markersize=4,
            capsize=3,
            label="Monte Carlo ± 2 s.e." + ("\n(bars shorter than the markers)" if hidden else ""),
        )
        top.set_ylabel(label)
        top.legend(fontsize=8, loc="upper left" if key == "kl" else "lower right")
        se = cols[f"{key}_se_exact"]
        diff = cols[f"{key}_mc"] - cols[f"{key}_exact"]
        with np.errstate(divide="ignore", invalid="ignore"):  # se = 0: KL at n = 1
            z = np.where(se > 0, diff / se, np.where(diff == 0, 0.0, np.nan))
        bottom.axhspan(-2, 2, color=colour(0), alpha=0.12, label="|z| <= 2")
        bottom.axhline(0, color="black", linewidth=0.8)
        bottom.plot(cols["n"], z, "o", color=colour(3), markersize=4)
        limit = max(4.0, 1.15 * float(np.nanmax(np.abs(z), initial=0.0)))
        bottom.set_ylim(-limit, limit)  # every z on the axes
        bottom.set_ylabel("(MC - exact)\n/ exact s.e.")
        bottom.set_xlabel("n (number of draws)")
        bottom.legend(fontsize=7, loc="lower right")
        for ax in (top, bottom):
            ax.set_xscale("log")
            ax.grid(True, alpha=0.3)
    axes[0, 0].plot(exact.ns, exact.kl_bound, label="log n - (n-1)/n", **BOUND_STYLE)
    axes[0, 0].legend(fontsize=8, loc="upper left")
    fig.suptitle(f"Simulated best-of-n vs exact values: {ref.name} ({draws})", fontsize=10)
    return fig


def reproduce_figures(size: int = 200_000, seed: int = 2026, data=None) -> dict:
    """The five figures of ``bonkl reproduce`` as ``{file name: Figure}``.

    Parameters
    ----------
    size, seed : int
        Monte Carlo draws per n and the seed of figure 5.
    data : Panels, optional
        Numbers from :func:`bonkl_fast.cli.reference_suite.panels` (computed if omitted).

    Examples
    --------
    >>> figs = reproduce_figures(size=1000)
    >>> list(figs)[3], type(figs["fig4_frontier.png"]).__name__
    ('fig4_frontier.png', 'Figure')
    >>> import io
    >>> figs["fig4_frontier.png"].savefig(io.BytesIO(), format="png")  # or a file name
    """
    data = suite.panels(size, seed) if data is None else data
    colour_of = {ref.name: colour(i) for i, ref in enumerate(data.references)}
    by_name = colour_of.__getitem__

    def family(*families):
        return [c for c in data.curves if c.reference.family in families]

    ref = data.frontier_reference
    figures = (
        figure_kl_curves(
            family("uniform"),
            "Uniform references: exact KL saturates at log L",
            lambda r: by_name(r.name),
        ),
        figure_kl_curves(
            family("binary", "staircase"),
            "Rare top outcome: exact KL far below the folklore formula",
            lambda r: by_name(r.name),
        ),
        figure_win_rate(data.curves, lambda r: by_name(r.name)),
        figure_frontier(data.frontier, data.frontier_dense, ref),
        figure_monte_carlo(data.monte_carlo, data.monte_carlo_exact, ref),
    )
    return dict(zip(FIGURE_NAMES, figures, strict=True))
