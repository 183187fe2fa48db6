"""bonkl_fast.dask.bank_curves equals the in-memory bank_curves (local synchronous scheduler)."""

from __future__ import annotations

import sys

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from bonkl_fast import dask as bank_dask
from bonkl_fast.bank import bank_curves

FIELDS = (
    "n_samples",
    "expected_reward",
    "win_rate",
    "kl_estimate",
    "kl_plugin",
    "mean_expected_reward",
    "mean_win_rate",
    "mean_kl_estimate",
    "mean_kl_plugin",
    "groups_counted",
    "groups_counted_win_rate",
    "kl_bound",
    "ns",
    "sem_expected_reward",
    "sem_win_rate",
    "sem_kl_estimate",
    "sem_kl_plugin",
)
SCORE_FIELDS = (
    "evaluated",
    "evaluated_win_rate",
    "mean_evaluated",
    "mean_evaluated_win_rate",
    "sem_evaluated",
    "sem_evaluated_win_rate",
)


@pytest.fixture(scope="session", autouse=True)
def warm_bank_kernels():
    bank_curves([0.0, 1.0, 1.0], logprobs=[-1.0, -2.0, -3.0], groups=[0, 0, 1])


@pytest.fixture(autouse=True)
def synchronous_scheduler():
    with dask.config.set(scheduler="synchronous"):
        yield


def random_bank(seed, n_groups=40, string_ids=False):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 25, n_groups)
    ids = rng.permutation(10 * n_groups)[:n_groups]
    groups = np.repeat(ids, sizes)
    frame = pd.DataFrame(
        {
            "prompt_id": [f"prompt-{g}" for g in groups] if string_ids else groups,
            "reward": rng.integers(0, 5, groups.shape[0]).astype(float),  # many ties
            "logprob": -rng.exponential(4.0, groups.shape[0]),
            "gold": rng.integers(0, 4, groups.shape[0]).astype(float),  # ties
            "human": rng.normal(size=groups.shape[0]),
        }
    )
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # shuffled rows


def assert_identical(got, expected):
    assert list(got.groups) == list(expected.groups)
    for field in FIELDS:
        a, b = getattr(got, field), getattr(expected, field)
        if b is None:
            assert a is None, field
        else:
            np.testing.assert_array_equal(a, b, err_msg=field)
    for field in SCORE_FIELDS:
        a, b = getattr(got, field), getattr(expected, field)
        assert list(a) == list(b), field
        for name in b:
            np.testing.assert_array_equal(a[name], b[name], err_msg=f"{field}[{name}]")


@pytest.mark.parametrize("npartitions", [1, 4])
def test_evaluate_columns_equal_in_memory(npartitions):
    frame = random_bank(20 + npartitions)
    expected = bank_curves(
        frame["reward"].to_numpy(),
        [1, 2, 3, 8, 20],
        logprobs=frame["logprob"].to_numpy(),
        groups=frame["prompt_id"].to_numpy(),
        evaluate={"gold": frame["gold"].to_numpy(), "human": frame["human"].to_numpy()},
    )
    ddf = dd.from_pandas(frame, npartitions=npartitions, sort=False)
    got = bank_dask.bank_curves(
        ddf, logprob="logprob", ns=[1, 2, 3, 8, 20], evaluate=["gold", "human"]
    )
    assert list(got.evaluated) == ["gold", "human"]
    assert_identical(got, expected)
    one = bank_dask.bank_curves(ddf, ns=[2], evaluate="gold")
    assert list(one.evaluated) == ["gold"]


@pytest.mark.parametrize("string_ids", [False, True])
@pytest.mark.parametrize("npartitions", [1, 3, 7])
def test_equals_in_memory_when_groups_straddle_partitions(string_ids, npartitions):
    frame = random_bank(npartitions, string_ids=string_ids)
    expected = bank_curves(
        frame["reward"].to_numpy(),
        logprobs=frame["logprob"].to_numpy(),
        groups=frame["prompt_id"].to_numpy(),
    )
    got = bank_dask.bank_curves(
        dd.from_pandas(frame, npartitions=npartitions, sort=False), logprob="logprob"
    )
    assert_identical(got, expected)


def test_equals_in_memory_when_partitions_hold_whole_groups(monkeypatch):
    def no_shuffle(*args, **kwargs):
        raise AssertionError("no group straddles partitions: the shuffle should be skipped")

    monkeypatch.setattr(dd.DataFrame, "shuffle", no_shuffle)
    frame = random_bank(5)
    frame = frame.iloc[np.argsort(frame["prompt_id"].to_numpy(), kind="stable")]
    ids = frame["prompt_id"].unique()
    pieces = [frame[frame["prompt_id"].isin(part)] for part in np.array_split(ids, 4)]
    ddf = dd.concat([dd.from_pandas(p, npartitions=1, sort=False) for p in pieces])
    ns = [1, 2, 3, 10, 24]
    expected = bank_curves(frame["reward"].to_numpy(), ns, groups=frame["prompt_id"].to_numpy())
    assert_identical(bank_dask.bank_curves(ddf, ns=ns), expected)


def test_no_group_column():
    frame = random_bank(9, n_groups=3)
    expected = bank_curves(frame["reward"].to_numpy(), [1, 5, 40])
    ddf = dd.from_pandas(frame, npartitions=4, sort=False)
    got = bank_dask.bank_curves(ddf, group=None, ns=[1, 5, 40])
    assert_identical(got, expected)


def test_errors():
    ddf = dd.from_pandas(random_bank(1, n_groups=3), npartitions=2, sort=False)
    with pytest.raises(ValueError, match=r"no column 'score'"):
        bank_dask.bank_curves(ddf, reward="score")
    with pytest.raises(ValueError, match=r"no column 'truth'"):
        bank_dask.bank_curves(ddf, evaluate=["truth"])
    with pytest.raises(ValueError, match=r"ns must be >= 1"):
        bank_dask.bank_curves(ddf, ns=[0])


def test_missing_dask_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(ImportError, match=r"pip install bonkl_fast\[dask\]"):
        bank_dask.bank_curves(None)
