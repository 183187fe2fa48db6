"""The figures of ``bonkl reproduce``, as matplotlib ``Figure`` objects (``pip install '.[plot]'``).

Every figure is built on a standalone :class:`matplotlib.figure.Figure`, not
through pyplot: nothing here touches pyplot's global state or backend, so the
functions work the same in a script, a server and Jupyter (display a figure
there by leaving it as the cell's value; save it with ``fig.savefig``).

* :func:`reproduce_figures` computes and draws all five figures;
* :func:`figure_kl_curves`, :func:`figure_win_rate`, :func:`figure_frontier`,
  :func:`figure_monte_carlo` draw one figure from numbers computed by
  :mod:`bonkl_fast.cli.reference_suite`.

Colours are fixed per reference so a reference looks the same in every figure
(``_figure_style.py``); figures 1-3 are drawn in ``_figures_over_n.py``, figure 4
in ``_figure_frontier.py``, figure 5 in ``_figure_monte_carlo.py``.
"""

from __future__ import annotations

from . import reference_suite as suite
from ._figure_frontier import figure_frontier
from ._figure_monte_carlo import figure_monte_carlo
from ._figure_style import BOUND_STYLE, COLOURS, colour, pyplot, require_matplotlib
from ._figures_over_n import figure_kl_curves, figure_win_rate

__all__ = [
    "reproduce_figures",
    "figure_kl_curves",
    "figure_win_rate",
    "figure_frontier",
    "figure_monte_carlo",
    "pyplot",
    "require_matplotlib",
    "colour",
    "COLOURS",
    "BOUND_STYLE",
    "FIGURE_NAMES",
]


FIGURE_NAMES = (
    "fig1_uniform_kl.png",
    "fig2_rare_top_kl.png",
    "fig3_win_rate.png",
    "fig4_frontier.png",
    "fig5_monte_carlo.png",
)


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
