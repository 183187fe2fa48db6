"""Figures of ``bonkl reproduce`` (matplotlib, non-interactive Agg backend).

Each ``figure_*`` function takes precomputed numbers and returns a matplotlib
``Figure``; nothing here computes best-of-n quantities itself. Colours are
fixed per reference so the same reference looks the same in every figure.
"""

from __future__ import annotations

from pathlib import Path


def pyplot():
    """Import matplotlib with the Agg backend, or explain how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError(
            "plotting needs matplotlib; install it with: pip install 'bonkl_fast[plot]'"
        ) from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


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
BOUND_STYLE = {"color": "black", "linestyle": "--", "linewidth": 1.2, "zorder": 5}


def colour(i: int) -> str:
    return COLOURS[i % len(COLOURS)]


def _finish(fig, ax, title: str, xlabel: str, ylabel: str):
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def figure_kl_curves(curve_list, title: str, colour_of):
    """Exact KL (solid), expected estimator (dotted) and the folklore bound (dashed) vs n."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    first = curve_list[0]
    ax.plot(first.ns, first.kl_bound, label="log n - (n-1)/n (folklore bound)", **BOUND_STYLE)
    for c in curve_list:
        col = colour_of(c.reference)
        ax.plot(c.ns, c.kl, color=col, linewidth=2, label=f"{c.reference.name}: exact")
        ax.plot(
            c.ns,
            c.kl_estimate,
            color=col,
            linestyle=":",
            linewidth=1.5,
            label=f"{c.reference.name}: estimator",
        )
    ax.set_xscale("log")
    top = max(float(c.kl.max()) for c in curve_list)
    ax.set_ylim(0, 1.35 * top)
    return _finish(fig, ax, title, "n (number of draws)", "KL(best-of-n || reference) [nats]")


def figure_win_rate(curve_list, colour_of):
    """Exact win rate vs n against the continuous-reward value n/(n+1)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    first = curve_list[0]
    ax.plot(first.ns, first.win_rate_bound, label="n/(n+1) (continuous rewards)", **BOUND_STYLE)
    for c in curve_list:
        ax.plot(c.ns, c.win_rate, color=colour_of(c.reference), linewidth=2, label=c.reference.name)
    ax.set_xscale("log")
    ax.set_ylim(0.45, 1.01)
    return _finish(
        fig,
        ax,
        "Best-of-n win rate against the reference (ties count 1/2)",
        "n (number of draws)",
        "win rate",
    )


def figure_frontier(data: dict, name: str):
    """Win rate vs KL: best-of-n (exact and folklore x-axis), rewind-and-repeat, optimal tilt."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    ax.plot(
        data["tilt_kl"],
        data["tilt_win"],
        color=colour(2),
        linewidth=2.5,
        label="win-rate tilt (optimal)",
    )
    ax.plot(
        data["bon_kl"],
        data["bon_win"],
        color=colour(0),
        marker="o",
        markersize=3,
        linewidth=2,
        label="best-of-n, exact KL",
    )
    ax.plot(
        data["bon_kl_bound"],
        data["bon_win"],
        color=colour(0),
        linestyle="--",
        linewidth=1.5,
        label="best-of-n, plotted at log n - (n-1)/n",
    )
    ax.plot(data["rr_kl"], data["rr_win"], color=colour(1), linewidth=2, label="rewind-and-repeat")
    ax.set_xlim(0, 2.5 * float(max(data["bon_kl"].max(), data["tilt_kl"].max())))
    return _finish(
        fig,
        ax,
        f"Win rate vs KL frontier ({name})",
        "KL(policy || reference) [nats]",
        "win rate against the reference",
    )


def figure_monte_carlo(data: dict, name: str):
    """Simulated KL and win rate (mean ± 2 s.e.) over the exact curves, two panels."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    for ax, key, label in ((left, "kl", "KL [nats]"), (right, "win", "win rate")):
        ax.plot(data["ns_dense"], data[f"{key}_exact"], color=colour(0), linewidth=2, label="exact")
        ax.errorbar(
            data["ns"],
            data[f"{key}_mc"],
            yerr=2 * data[f"{key}_se"],
            fmt="o",
            color=colour(3),
            markersize=4,
            capsize=3,
            label=f"Monte Carlo ({data['size']:,} draws, ±2 s.e.)",
        )
        ax.set_xscale("log")
        ax.set_xlabel("n (number of draws)")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    left.plot(data["ns_dense"], data["kl_bound"], label="log n - (n-1)/n", **BOUND_STYLE)
    left.legend(fontsize=8)
    fig.suptitle(f"Simulated best-of-n vs exact values ({name})")
    fig.tight_layout()
    return fig


def save(fig, path: Path) -> None:
    """Write ``fig`` as PNG and close it."""
    fig.savefig(path, dpi=120)
    pyplot().close(fig)
