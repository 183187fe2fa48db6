"""Regression examples for the frontier (found by hypothesis and by users)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import bonkl_fast as bk


def test_rewind_at_equal_kl_resolves_tiny_kl():
    """n = 1 + 2**-52 gives best-of-n KL ~1e-32. Solving for alpha (not for the mass
    rejected in the boundary level) stopped at alpha = 1 - 2e-8, a rewind-and-repeat
    with KL ~1e-16 and a win rate 3.8e-9 above the optimal tilt's."""
    p = np.array([1.0, 0.5, 1.0]) / 2.5
    r = np.array([0.0, 0.0, 1.0])
    f = bk.frontier(p, r, [1.0000000000000002])
    assert f.rr_win_rate[0] <= f.win_tilt_win_rate[0] + 1e-15
    assert 1.0 - f.rr_alpha[0] < 1e-15


@pytest.mark.parametrize("n", [1.5, 2.0, 16.0, 1e3, 1e12])
def test_rewind_kl_matches_public_policy(n):
    p = np.array([0.3, 0.2, 0.4, 0.1])
    r = np.array([0.0, 1.0, 1.0, 2.0])
    f = bk.frontier(p, r, [n])
    policy = bk.rewind_and_repeat(p, r, f.rr_alpha[0])
    assert bk.kl_divergence(policy, p) == pytest.approx(f.bon_kl[0], rel=1e-10, abs=1e-15)
    cost = bk.rewind_and_repeat(p, r, 1.0 / n)
    assert f.rr_cost_kl[0] == pytest.approx(bk.kl_divergence(cost, p), rel=1e-10, abs=1e-15)


def test_frontier_tables_share_one_set_of_columns():
    """Issue 13: one column per meaning, the same in the Python table, the CSV and the
    markdown (reward and shortfall columns in all three), integer n written as integers."""
    ns = [1, 2, 1000, 1e6, 2.5, 2.0**60]
    f = bk.frontier([0.5, 0.3, 0.2], [0.0, 1.0, 2.0], ns)
    csv_rows = [row.split(",") for row in f.to_csv().splitlines()]
    markdown = f.to_markdown().splitlines()
    header = csv_rows[0]
    assert header == f.columns() == list(f.to_dict())
    assert markdown[0] == "| " + " | ".join(header) + " |"
    assert "parameter" not in header
    assert {"bon_reward", "rr_reward", "win_rate_shortfall", "reward_shortfall"} <= set(header)
    assert [row[0] for row in csv_rows[1:]] == ["1", "2", "1000", "1000000", "2.5", repr(2.0**60)]
    first_cells = [line.split(" | ")[0].removeprefix("| ") for line in markdown[2:]]
    assert first_cells == ["1", "2", "1,000", "1,000,000", "2.5", f"{2.0**60:.6g}"]
    for name, column in zip(header, zip(*csv_rows[1:], strict=True), strict=True):
        np.testing.assert_array_equal(np.array(column, dtype=float), f.to_dict()[name])


def test_frontier_is_the_function_after_the_policies_module_loads():
    """bonkl_fast is imported lazily; a submodule named ``frontier`` (loaded with the
    policies) replaced the function ``bonkl_fast.frontier`` by the module."""
    code = "import bonkl_fast as bk; bk.reward_tilt; print(callable(bk.frontier))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_rewind_alpha_stays_a_probability_on_one_level():
    """One reward level: its mass rounds to 1 + 2**-52 here, and rr_alpha (the top level's
    mass when best-of-n is saturated, as it is at KL 0 here) came out above 1."""
    p = [0.07396306519631642, 0.4835753438551581, 0.4424615909485256]
    assert sum(p) > 1.0
    f = bk.frontier(p, [0.0, 0.0, 0.0], [1.0, 5.0])
    np.testing.assert_array_equal(f.rr_alpha, [1.0, 1.0])
    np.testing.assert_array_equal(f.bon_kl, [0.0, 0.0])


def _count_builds(monkeypatch) -> dict:
    """Counts, from now on, validations of a reference and the levels merged from one."""
    from bonkl_fast import _levels

    counts = {"validated": 0, "merged": 0}
    validate, build = _levels.as_probs_rewards, _levels.Levels.__init__

    def counting_validate(*args, **kwargs):
        counts["validated"] += 1
        return validate(*args, **kwargs)

    def counting_build(self, *args, **kwargs):
        counts["merged"] += 1
        build(self, *args, **kwargs)

    monkeypatch.setattr(_levels, "as_probs_rewards", counting_validate)
    monkeypatch.setattr(_levels.Levels, "__init__", counting_build)
    return counts


def _assert_same_table(got, expected):
    assert got.columns() == expected.columns()
    for name, column in expected.to_dict().items():
        np.testing.assert_array_equal(getattr(got, name), column, err_msg=name)
    assert got.kl_saturation == expected.kl_saturation


@pytest.mark.parametrize(("size", "dtype"), [(3, float), (40, np.int64), (20_000, float)])
def test_frontier_validates_sorts_and_merges_once(monkeypatch, size, dtype):
    """Issue 11: frontier validated and merged once per call but Reference.frontier did
    it again on the sorted input. Now the function builds one Levels that every policy
    reuses, the Reference reuses its own, and both give the table of the function on
    the sorted input (the path Reference.frontier took before) bit for bit."""
    rng = np.random.default_rng(size)
    p = rng.dirichlet(np.full(size, 0.5))
    r = rng.integers(-size, size, size).astype(dtype)  # ties
    ns = [1, 1.0000001, 2, 7.5, 1e3, 1e9, 1e300]
    order = np.argsort(r, kind="stable")
    expected = bk.frontier(p[order], r[order], ns, assume_sorted=True)
    reference = bk.Reference(p, r)
    counts = _count_builds(monkeypatch)
    table = bk.frontier(p, r, ns)
    assert counts == {"validated": 1, "merged": 1}
    from_reference = reference.frontier(ns)
    assert counts == {"validated": 1, "merged": 1}  # none more
    _assert_same_table(table, expected)
    _assert_same_table(from_reference, expected)


BIG = 2**53  # int64 rewards above it: float64 merges BIG and BIG + 1


@pytest.mark.parametrize(
    "rewards",
    [np.array([BIG, BIG + 1, 0], dtype=np.int64), [BIG, BIG + 1, 0.5]],
    ids=["int64", "list mixing ints and floats"],
)
def test_reference_refuses_rewards_float64_merges_where_values_count(rewards):
    """A Reference ranks rewards float64 cannot tell apart (all the KL needs). Policies
    that use the reward values raise the functions' error instead of using the ranks;
    the order-only ones give the functions' results. (Before, Reference.frontier of the
    list computed with BIG and BIG + 1 merged where the function raises.)"""
    p = np.array([0.25, 0.25, 0.5])
    ref = bk.Reference(p, rewards)
    merged = "equal once converted to float64"
    for call in (
        lambda: bk.frontier(p, rewards, [2.0]),
        lambda: ref.frontier([2.0]),
        lambda: bk.reward_tilt(p, rewards, 1.0),
        lambda: ref.reward_tilt(1.0),
        lambda: bk.soft_best_of_n(p, rewards, 2, 1.0),
        lambda: ref.soft_best_of_n(2, 1.0),
        lambda: bk.tilt_for_kl(p, rewards, 0.1, kind="reward"),
        lambda: ref.tilt_for_kl(0.1, kind="reward"),
    ):
        with pytest.raises(ValueError, match=merged):
            call()
    np.testing.assert_array_equal(ref.win_rate_tilt(2.0), bk.win_rate_tilt(p, rewards, 2.0))
    np.testing.assert_array_equal(ref.rewind_and_repeat(0.3), bk.rewind_and_repeat(p, rewards, 0.3))
    assert ref.tilt_for_kl(0.1) == bk.tilt_for_kl(p, rewards, 0.1)


@pytest.mark.parametrize("dtype", [float, np.int64])
def test_reference_policies_reuse_its_levels(monkeypatch, dtype):
    """Issue 11: the Reference's policy methods called the functions on its sorted input,
    validating, sorting and merging again each time; now none does, and each gives the
    function's pmf (caller's order) or beta bit for bit."""
    rng = np.random.default_rng(5)
    p = rng.dirichlet(np.full(300, 0.5))
    r = rng.integers(-50, 50, 300).astype(dtype)
    expected = {
        "rewind_and_repeat": bk.rewind_and_repeat(p, r, 0.2),
        "win_rate_tilt": bk.win_rate_tilt(p, r, 3.0),
        "reward_tilt": bk.reward_tilt(p, r, 0.1),
        "soft_best_of_n": bk.soft_best_of_n(p, r, 5, 2.0),
        "win_rate beta": bk.tilt_for_kl(p, r, 0.3),
        "reward beta": bk.tilt_for_kl(p, r, 0.3, kind="reward"),
    }
    ref = bk.Reference(p, r)
    counts = _count_builds(monkeypatch)
    got = {
        "rewind_and_repeat": ref.rewind_and_repeat(0.2),
        "win_rate_tilt": ref.win_rate_tilt(3.0),
        "reward_tilt": ref.reward_tilt(0.1),
        "soft_best_of_n": ref.soft_best_of_n(5, 2.0),
        "win_rate beta": ref.tilt_for_kl(0.3),
        "reward beta": ref.tilt_for_kl(0.3, kind="reward"),
    }
    assert counts == {"validated": 0, "merged": 0}
    for name, value in expected.items():
        np.testing.assert_array_equal(got[name], value, err_msg=name)
