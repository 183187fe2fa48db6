"""Every result speaks the same table interface: to_dict, to_pandas, to_csv, to_markdown,
a readable repr and _repr_html_; CSV reads back bit for bit, integers as integers."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import bonkl_fast as bk


def _results():
    probs, rewards = [0.2, 0.3, 0.5], [0.0, 1.0, 1.0]
    curves = bk.bank_curves(
        [0, 1, 2, 3, 1, 1, 5, 0, 2],
        [1, 2, 3],
        groups=[0, 0, 0, 0, 1, 1, 1, 1, 1],
        evaluate={"gold": [1, 0, 1, 0, 1, 1, 0, 0, 1]},
    )
    return {
        "simulation": bk.simulate_best_of_n(probs, rewards, 8, 10_000, rng=1),
        "bank": curves,
        "frontier": bk.frontier(probs, rewards, [1, 2, 1_000_000]),
    }


@pytest.fixture(scope="module")
def results():
    return _results()


@pytest.mark.parametrize("name", ["simulation", "bank", "frontier"])
def test_the_four_methods_and_reprs(results, name):
    result = results[name]
    assert isinstance(result.to_dict(), dict)
    frame = result.to_pandas()
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    text = result.to_csv()
    back = pd.read_csv(io.StringIO(text))
    assert list(back.columns) == text.splitlines()[0].split(",")
    assert result.to_markdown().startswith("| ")
    assert "<table>" in result._repr_html_()
    assert type(result).__name__ in repr(result) and len(repr(result)) < 400
    for column in back.columns:
        values = back[column].to_numpy()
        if column in ("n", "size", "groups_counted", "groups_counted_win_rate"):
            assert values.dtype.kind == "i", (name, column)  # never 1.0 or 1e+06


def test_csv_reads_back_bit_for_bit(results):
    curves = results["bank"]
    back = pd.read_csv(io.StringIO(curves.to_csv()))
    for column, values in curves.table(sem=True).items():
        np.testing.assert_array_equal(back[column].to_numpy(), values)
    sim = results["simulation"]
    back = pd.read_csv(io.StringIO(sim.to_csv()))
    assert back["estimate"].tolist() == sim.table()["estimate"]
    assert back["exact"].tolist() == sim.table()["exact"]


def test_tidy_frames_match_the_attributes(results):
    curves = results["bank"]
    frame = curves.to_pandas()
    rows = frame[frame["curve"] == "expected_reward"]
    np.testing.assert_array_equal(rows["mean"].to_numpy(), curves.mean_expected_reward)
    np.testing.assert_array_equal(rows["sem"].to_numpy(), curves.sem_expected_reward)
    wins = frame[frame["curve"] == "evaluated_win_rate[gold]"]
    np.testing.assert_array_equal(wins["groups_counted"], curves.groups_counted_win_rate)
    per_group = curves.to_pandas(per_group=True)
    gold = per_group[per_group["curve"] == "evaluated[gold]"]
    np.testing.assert_array_equal(
        gold["value"].to_numpy(), curves.evaluated["gold"].ravel(), strict=False
    )
    sim_frame = results["simulation"].to_pandas()
    assert sim_frame["quantity"].tolist() == ["kl", "win_rate", "mean_reward", "kl_estimate"]


def test_no_name_means_two_things(results):
    curves = results["bank"]
    table = curves.table()
    assert "groups" not in table  # .groups holds the ids; the counts are groups_counted
    np.testing.assert_array_equal(table["groups_counted"], curves.groups_counted)


def test_simulation_exact_standard_errors_match_enumeration():
    """The exact per-draw spread of each quantity, against a literal sum over outcomes."""
    probs = np.array([0.2, 0.1, 0.3, 0.15, 0.25])
    rewards = np.array([0.0, 2.0, 1.0, 2.0, 3.0])
    n, size = 6, 1000
    res = bk.simulate_best_of_n(probs, rewards, n, size, rng=2)
    pmf = bk.bon_pmf(probs, rewards, n)
    below = np.array([probs[rewards < r].sum() for r in rewards])
    tied = np.array([probs[rewards == r].sum() for r in rewards])
    log_ratio = np.log(pmf / probs)
    win = below + tied / 2
    estimate = bk.kl_estimate(probs, n)
    spreads = {
        "kl": np.sum(pmf * (log_ratio - res.kl_exact) ** 2),
        "win_rate": np.sum(pmf * (below + tied / 4)) - res.win_rate_exact**2,
        "mean_reward": np.sum(pmf * (rewards - res.mean_reward_exact) ** 2),
        "kl_estimate": np.sum(pmf * (estimate - res.kl_estimate_expected) ** 2),
    }
    assert res.win_rate_exact == pytest.approx(np.sum(pmf * win), rel=1e-13)
    for name, variance in spreads.items():
        assert getattr(res, f"{name}_se_exact") == pytest.approx(
            np.sqrt(variance / size), rel=1e-9
        ), name


def test_z_scores_stay_honest_when_draws_never_leave_the_top():
    """n = 8 on a reference whose bottom level has best-of-n mass 0.2**8: 10,000 draws
    rarely see it, the sample s.e. is 0, yet the z-score stays of order one."""
    res = bk.simulate_best_of_n([0.2, 0.3, 0.5], [0, 1, 1], 8, 10_000, rng=1)
    assert res.kl_se == 0.0 and res.kl_se_exact > 0
    assert all(abs(z) < 5 for z in res.z_scores().values())
