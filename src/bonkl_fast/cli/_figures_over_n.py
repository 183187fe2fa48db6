"""Figures 1-3 of ``bonkl reproduce``: exact KL and win rate of each reference against n."""

from __future__ import annotations

from ._figure_style import BOUND_STYLE, new_figure, reference_colours


def figure_kl_curves(curve_list, title: str, colour_of=None):
    """Exact KL against n with the folklore bound, and below it the estimator's excess.

    ``curve_list``: :class:`bonkl_fast.cli.reference_suite.Curves`; ``colour_of``:
    optional function of a reference giving its colour. The lower panel shows
    ``E[estimator] - exact KL``, which would be invisible drawn over the exact curve.
    """
    fig = new_figure(8, 6.4)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1.4))
    colours = reference_colours(curve_list, colour_of)
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
    fig = new_figure(9, 5.2)
    ax = fig.subplots()
    colours = reference_colours(curve_list, colour_of)
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
