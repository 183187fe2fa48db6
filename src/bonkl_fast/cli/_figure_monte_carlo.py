"""Figure 5 of ``bonkl reproduce``: Monte Carlo KL and win rate against the exact values."""

from __future__ import annotations

import numpy as np

from . import reference_suite as suite
from ._figure_style import BOUND_STYLE, colour, new_figure


def figure_monte_carlo(rows, exact, ref):
    """Simulated KL and win rate over the exact curves (top) and their z-scores (bottom).

    ``rows``: :func:`bonkl_fast.cli.reference_suite.monte_carlo_rows`; ``exact``:
    :class:`bonkl_fast.cli.reference_suite.Curves` of ``ref`` over a dense n grid.
    """
    cols = {name: np.array([row[i] for row in rows]) for i, name in enumerate(suite.MC_COLUMNS)}
    fig = new_figure(10, 6.4)
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
