"""Figure 4 of ``bonkl reproduce``: win rate against KL of best-of-n and the comparison policies."""

from __future__ import annotations

import numpy as np

from . import reference_suite as suite
from ._figure_style import colour, new_figure

# n values labelled on the best-of-n curve of the frontier figure
FRONTIER_LABELS = (1, 2, 4, 8, 16)


def figure_frontier(table, dense, ref):
    """Win rate against KL: best-of-n (points labelled with n), the optimal win-rate tilt,
    rewind-and-repeat and best-of-n at the folklore KL; below, each policy's
    shortfall from the optimal tilt at the same KL.

    ``table``, ``dense``: :class:`bonkl_fast.Frontier` of ``ref`` at a few n (the
    labelled points) and at many n (the curves).
    """
    fig = new_figure(8, 7)
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
