"""The figure API: standalone matplotlib Figures, no pyplot state, the backend left alone."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from matplotlib.figure import Figure

from bonkl_fast.cli import _output, plotting
from bonkl_fast.cli import reference_suite as suite


@pytest.fixture(scope="module")
def data():
    return suite.panels(size=20_000, seed=7)


@pytest.fixture(scope="module")
def figures(data):
    return plotting.reproduce_figures(data=data)


def test_every_figure_is_a_figure(figures):
    assert tuple(figures) == plotting.FIGURE_NAMES
    for fig in figures.values():
        assert isinstance(fig, Figure)
        assert fig.axes and all(ax.has_data() for ax in fig.axes)


def test_legend_entries_draw_something(figures):
    """Every legend entry stands for an artist with finite data (nothing drawn for nothing)."""
    for name, fig in figures.items():
        for ax in fig.axes:
            lines = {line.get_label(): line for line in ax.get_lines()}
            legend = ax.get_legend()
            for text in legend.get_texts() if legend else ():
                line = lines.get(text.get_text())
                if line is not None:
                    assert np.isfinite(np.asarray(line.get_ydata(), float)).any(), (name, text)


def test_estimator_panel_shows_its_excess(figures, data):
    """fig1/fig2 draw E[estimator] - exact, not two coinciding curves."""
    bottom = figures["fig1_uniform_kl.png"].axes[1]
    uniform = [c for c in data.curves if c.reference.family == "uniform"]
    for line, c in zip(bottom.get_lines(), uniform, strict=True):
        np.testing.assert_array_equal(line.get_ydata(), c.kl_estimate - c.kl)
    assert max(float(np.max(line.get_ydata())) for line in bottom.get_lines()) > 0.01


def test_win_rate_figure_log_shortfall(figures, data):
    ax = figures["fig3_win_rate.png"].axes[0]
    assert ax.get_yscale() == "log" and ax.get_xscale() == "log"
    plateaus = {c.reference.name: 1 - c.win_rate[-1] for c in data.curves}
    for size in (100, 1000, 10000):  # the plateaus 1/(2L) stay apart
        assert plateaus[f"uniform L={size}"] == pytest.approx(0.5 / size, rel=1e-3)


def test_frontier_figure_names_the_reference(figures, data):
    top = figures["fig4_frontier.png"].axes[0]
    assert "0.35, 0.25, 0.15, 0.1, 0.1, 0.05" in top.get_title()
    labels = {t.get_text() for t in top.texts}
    assert {"n=1", "n=2", "n=4", "n=8", "n=16"} <= labels
    shortfall = {
        line.get_label(): line for line in figures["fig4_frontier.png"].axes[1].get_lines()
    }
    dense = data.frontier_dense
    np.testing.assert_array_equal(
        shortfall["best-of-n"].get_ydata(), dense.win_tilt_win_rate - dense.bon_win_rate
    )
    np.testing.assert_array_equal(
        shortfall["rewind-and-repeat"].get_ydata(), dense.win_tilt_win_rate - dense.rr_win_rate
    )


def test_monte_carlo_exact_standard_errors(data):
    cols = {c: np.array([r[i] for r in data.monte_carlo]) for i, c in enumerate(suite.MC_COLUMNS)}
    ok = cols["n"] <= 8  # where the sample s.e. is reliable (best-of-n often leaves the top)
    np.testing.assert_allclose(cols["win_rate_se"][ok], cols["win_rate_se_exact"][ok], rtol=0.1)
    ok &= cols["n"] > 1  # the KL of best-of-1 is 0 on every draw
    np.testing.assert_allclose(cols["kl_se"][ok], cols["kl_se_exact"][ok], rtol=0.1)


def test_exact_standard_errors_against_enumeration():
    """Binary reference: win scores and log ratios take two values; variance by hand.

    The ``*_se_exact`` columns of the Monte Carlo panel are those of ``SimulationResult``.
    """
    ref = suite.binary(0.3)
    n = 3
    top = 1 - 0.7**n  # best-of-3 picks the top outcome
    win_var = top * (0.7 + 0.3 / 4) + (1 - top) * (0.7 / 4) - (top * 0.85 + (1 - top) * 0.35) ** 2
    lr = np.log([(1 - top) / 0.7, top / 0.3])
    kl = (1 - top) * lr[0] + top * lr[1]
    kl_var = (1 - top) * (lr[0] - kl) ** 2 + top * (lr[1] - kl) ** 2
    (row,) = suite.monte_carlo_rows(ref, 100, seed=1, ns=(n,))
    row = dict(zip(suite.MC_COLUMNS, row, strict=True))
    kl_se, win_se = row["kl_se_exact"], row["win_rate_se_exact"]
    assert kl_se == pytest.approx(np.sqrt(kl_var / 100), rel=1e-12)
    assert win_se == pytest.approx(np.sqrt(win_var / 100), rel=1e-12)


def test_save_figure_png(tmp_path, figures):
    path = tmp_path / "f.png"
    _output.save_figure(figures["fig3_win_rate.png"], path, force=False)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


NO_GLOBAL_STATE = textwrap.dedent(
    """
    import sys
    import matplotlib
    matplotlib.use("svg")
    from bonkl_fast.cli import plotting
    figs = plotting.reproduce_figures(size=200)
    assert "matplotlib.pyplot" not in sys.modules, "figures were built through pyplot"
    plt = plotting.pyplot()
    print(matplotlib.get_backend(), len(plt.get_fignums()), len(figs))
    """
)


def test_no_pyplot_state_and_backend_unchanged():
    result = subprocess.run(
        [sys.executable, "-c", NO_GLOBAL_STATE], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["svg", "0", "5"]
