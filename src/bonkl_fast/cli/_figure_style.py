"""Shared styling of the ``bonkl reproduce`` figures: colours, the bound's line, a new Figure.

Colours are fixed per reference so a reference looks the same in every figure.
matplotlib is imported only when a figure is made (:func:`require_matplotlib`).
"""

from __future__ import annotations

__all__ = [
    "COLOURS",
    "BOUND_STYLE",
    "require_matplotlib",
    "pyplot",
    "colour",
    "new_figure",
    "reference_colours",
]

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
    """The i-th colour of the cycle."""
    return COLOURS[i % len(COLOURS)]


def new_figure(width: float, height: float):
    """A standalone ``Figure`` (not pyplot's), ``width`` x ``height`` inches, constrained layout."""
    require_matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=120, layout="constrained")


def reference_colours(curve_list, colour_of):
    """Colour per reference name: ``colour_of(reference)``, or the cycle in list order."""
    if colour_of is None:
        return {c.reference.name: colour(i) for i, c in enumerate(curve_list)}
    return {c.reference.name: colour_of(c.reference) for c in curve_list}
