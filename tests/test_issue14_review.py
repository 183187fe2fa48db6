"""Regression tests of the adversarial review of issue 14 (readers, validation, bank summaries).

One test per defect found, named after the issue item it belongs to.
"""

from __future__ import annotations

from decimal import Decimal, getcontext
from itertools import product

import numpy as np
import pytest

from bonkl_fast import bank_curves, bon_pmf, kl_exact, read_bank, read_reference, reward_tilt


def _brute_kl(probs, order, n):
    """KL of best-of-n by enumerating all n-tuples (ties: none), outcomes ranked by ``order``."""
    probs = np.asarray(probs, dtype=np.float64)
    q = np.zeros(len(probs))
    for draw in product(range(len(probs)), repeat=n):
        q[max(draw, key=lambda i: order[i])] += np.prod(probs[list(draw)])
    keep = q > 0
    return float(np.sum(q[keep] * np.log(q[keep] / probs[keep])))


def test_item1_list_mixing_large_ints_and_floats_keeps_order():
    # np.asarray([2**53 + 1, 2**53, 0.5]) is float64 and merged the two integers
    probs = [0.5, 0.3, 0.2]
    rewards = [2**53 + 1, 2**53, 0.5]
    expected = _brute_kl(probs, [2, 1, 0], 4)
    assert kl_exact(probs, rewards, 4) == pytest.approx(expected, rel=1e-12)
    assert kl_exact(probs, tuple(rewards), 4) == pytest.approx(expected, rel=1e-12)
    pmf = bon_pmf(probs, [np.int64(2**53 + 1), np.float64(2**53), 0.5], 4)
    np.testing.assert_allclose(pmf, bon_pmf(probs, [3.0, 2.0, 1.0], 4), rtol=1e-14)
    with pytest.raises(ValueError, match="equal once converted to float64"):
        reward_tilt(probs, rewards, 1.0)  # uses the values: refused, never merged


def test_item10_long_field_error_is_short(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("prob,reward\n0.5,1\n0.5," + "9" * 200_000 + "\n")
    with pytest.raises(ValueError, match=r"row 2.*200000 characters") as info:
        read_reference(path)
    assert len(str(info.value)) < 300
    wide = tmp_path / "wide.csv"
    wide.write_text("prob," + ",".join(f"c{i}" for i in range(5000)) + "\n0.5" + ",1" * 5000 + "\n")
    with pytest.raises(ValueError, match="no column 'reward'") as info:
        read_reference(wide)
    assert len(str(info.value)) < 300 and "5001 columns" in str(info.value)


def test_item10_long_json_string_and_key_errors_are_short(tmp_path):
    text = tmp_path / "text.json"
    text.write_text(
        '[{"prob": 0.5, "reward": "' + "x" * 100_000 + '"}, {"prob": 0.5, "reward": 2}]'
    )
    with pytest.raises(ValueError, match="is a string, not a number") as info:
        read_reference(text)
    assert len(str(info.value)) < 300
    key = tmp_path / "key.jsonl"
    key.write_text('{"prob": 0.5, "' + "k" * 100_000 + '": 2}\n')
    with pytest.raises(ValueError, match="no column 'reward'") as info:
        read_reference(key)
    assert len(str(info.value)) < 300


def _decimal_mean_sem(column):
    getcontext().prec = 60
    values = [Decimal(float(x)) for x in column]
    mean = sum(values) / len(values)
    var = sum((x - mean) ** 2 for x in values) / (len(values) - 1) / len(values)
    return float(mean), float(var.sqrt())


@pytest.mark.parametrize("scale", [1e308, 1e200, 1e-160, 1e-300])
def test_item11_bank_means_and_sems_of_extreme_scores(scale):
    # the mean over groups of 1.7e308 scores was NaN (sum overflowed), the sem of 1e200
    # scores inf (squares overflowed), the sem of 1e-160 scores lost digits (underflow)
    rng = np.random.default_rng(5)
    rewards = rng.uniform(-1.7, 1.7, size=24) * scale
    groups = np.repeat(np.arange(6), 4)
    curves = bank_curves(rewards, [1, 2, 3], groups=groups, evaluate={"gold": rewards[::-1]})
    for per_group, mean, sem in [
        (curves.expected_reward, curves.mean_expected_reward, curves.sem_expected_reward),
        (curves.evaluated["gold"], curves.mean_evaluated["gold"], curves.sem_evaluated["gold"]),
    ]:
        for j in range(per_group.shape[1]):
            ref_mean, ref_sem = _decimal_mean_sem(per_group[:, j])
            assert mean[j] == pytest.approx(ref_mean, rel=1e-13, abs=1e-15 * scale)
            assert sem[j] == pytest.approx(ref_sem, rel=1e-13, abs=0)
    low, high = curves.confidence_interval("expected_reward", method="bootstrap", rng=0)
    assert np.isfinite(low).all() and np.isfinite(high).all()
    assert (low <= curves.mean_expected_reward).all() and (
        curves.mean_expected_reward <= high
    ).all()


def test_item11_bank_mean_of_constant_scores_near_float_max():
    top = np.finfo(np.float64).max
    curves = bank_curves(
        np.arange(8.0), [1, 2], groups=[0] * 4 + [1] * 4, evaluate={"g": [top] * 8}
    )
    np.testing.assert_array_equal(curves.mean_evaluated["g"], [top, top])
    np.testing.assert_array_equal(curves.sem_evaluated["g"], [0.0, 0.0])


def test_item12_group_ids_of_different_lengths_or_unhashable():
    curves = bank_curves([1.0, 2.0, 3.0, 4.0], [1, 2], groups=[(1, 2), (1, 2), (3,), (3,)])
    assert list(curves.groups) == [(1, 2), (3,)]
    np.testing.assert_array_equal(curves.n_samples, [2, 2])
    with pytest.raises(TypeError, match="hashable ids.*set at index 0"):
        bank_curves([1.0, 2.0, 3.0, 4.0], groups=[{1}, {1}, 2, 2])


def test_item10_reader_messages_keep_short_values_whole(tmp_path):
    path = tmp_path / "bank.csv"
    path.write_text("prompt_id,reward\na,1\na,1_000\n")
    with pytest.raises(
        ValueError, match=r"row 2, line 3, column 'reward': '1_000' is not a number"
    ):
        read_bank(path)


def test_issue13_pipe_separated_header_names_the_separator(tmp_path):
    # a '|'-separated CSV said only "no column 'reward' (columns: prob|reward)"
    path = tmp_path / "pipe.csv"
    path.write_text("prob|reward\n0.5|1\n0.5|2\n")
    with pytest.raises(ValueError, match=r"looks '\|'-separated: pass sep='\|'"):
        read_reference(path)
    probs, rewards = read_reference(path, sep="|")
    np.testing.assert_array_equal(probs, [0.5, 0.5])
    np.testing.assert_array_equal(rewards, [1.0, 2.0])
    typo = tmp_path / "typo.csv"
    typo.write_text("prob,rewardx\n0.5,1\n0.5,2\n")
    with pytest.raises(ValueError, match="no column 'reward'") as info:
        read_reference(typo)
    assert "looks" not in str(info.value)


def test_item10_carriage_return_in_header_is_a_line_end(tmp_path):
    # a lone '\r' in the header raised _csv.Error (not a ValueError; the CLI printed
    # "new-line character seen in unquoted field" without the file name)
    path = tmp_path / "cr.csv"
    path.write_bytes(b"prompt_\rid,reward\n0,1\n")
    with pytest.raises(ValueError, match=r"cr\.csv: no column 'reward' \(columns: prompt_\)"):
        read_bank(path)
    old_mac = tmp_path / "mac.csv"
    old_mac.write_bytes(b"prompt_id,reward\r0,1\r0,2\r")
    bank = read_bank(old_mac)
    np.testing.assert_array_equal(bank.rewards, [1.0, 2.0])
    assert list(bank.groups) == ["0", "0"]


def test_item10_huge_integer_n_message_is_short():
    # simulate -n 1e300 printed all 301 digits of n
    from bonkl_fast import sample_best_of_n

    with pytest.raises(ValueError, match=r"at most 2\*\*53.*got ~1\.000e\+300$"):
        sample_best_of_n([0.5, 0.5], [0.0, 1.0], 10**300, size=2)
    with pytest.raises(ValueError, match=r"got 9007199254740993$"):
        sample_best_of_n([0.5, 0.5], [0.0, 1.0], 2**53 + 1, size=2)


def test_item12_strings_in_object_arrays_are_refused():
    # np.array(["1", "2"], dtype=object).astype(float) parsed them: a text column
    # (pandas "string" dtype, a Dask column of str) was taken for numbers
    pd = pytest.importorskip("pandas")
    for rewards in [np.array(["1", "2", "3"], dtype=object), pd.Series(["1", "2", "3"])]:
        with pytest.raises(TypeError, match="got the string '1' at index 0"):
            kl_exact([0.5, 0.3, 0.2], rewards, 2)
    with pytest.raises(TypeError, match="string '2' at index 1"):
        bank_curves(np.array([1.0, "2", 3.0], dtype=object))


def test_item11_evaluated_score_of_tied_rewards_near_float_max():
    # a reward level of tied samples summed their scores: 1.7e308 + 1.7e308 = inf, then NaN
    top = 1.7e308
    curves = bank_curves([0.0, 1.0, 1.0, 1.0, 2.0], [1, 2, 3], evaluate={"g": [top] * 5})
    np.testing.assert_allclose(curves.evaluated["g"], [[top, top, top]], rtol=1e-15)
    mixed = [top, -top, top, 0.5, top]
    curves = bank_curves([0.0, 1.0, 1.0, 1.0, 2.0], [1, 4], evaluate={"g": mixed})
    ref = bank_curves([0.0, 1.0, 1.0, 1.0, 2.0], [1, 4], evaluate={"g": np.array(mixed) / 2**60})
    np.testing.assert_allclose(curves.evaluated["g"], ref.evaluated["g"] * 2**60, rtol=1e-14)


def test_item4_dask_duplicate_column_names_are_refused():
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    from bonkl_fast.dask import bank_curves as dask_bank_curves

    frame = pd.DataFrame([[0, 1.0, 2.0], [0, 2.0, 1.0]], columns=["prompt_id", "reward", "reward"])
    with pytest.raises(ValueError, match="column 'reward' 2 times; rename all but one"):
        dask_bank_curves(dd.from_pandas(frame, npartitions=1))


def test_item11_bank_figure_of_single_samples_warns_nothing():
    # one sample per group: the win-rate panel has no curve and legend() warned
    pytest.importorskip("matplotlib")
    from bonkl_fast.bank_plot import bank_figure

    fig = bank_figure(bank_curves([1.0, 2.0, 3.0], groups=[0, 1, 2]))  # filterwarnings=error
    assert len(fig.axes) == 2
