"""Tests of bonkl_fast.io.read_bank: formats, column options, documented errors."""

from __future__ import annotations

import json
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bonkl_fast.bank import bank_curves
from bonkl_fast.io import read_bank

REWARDS = [0.5, 1.0, -2.0, 1.0, 3.25, 0.0]
LOGPROBS = [-1.0, -2.5, -0.5, -10.0, -3.0, -7.0]
GROUPS = ["q1", "q2", "q1", "q2", "q1", "q3"]


@pytest.fixture(scope="session", autouse=True)
def warm_bank_kernels():
    bank_curves([0.0, 1.0, 1.0], logprobs=[-1.0, -2.0, -3.0], groups=[0, 0, 1])


def write_csv(path, rows, header="prompt_id,reward,logprob"):
    path.write_text(header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


def sample_rows():
    return list(zip(GROUPS, REWARDS, LOGPROBS, strict=True))


def check_bank(bank, groups=GROUPS):
    np.testing.assert_array_equal(bank.rewards, REWARDS)
    np.testing.assert_array_equal(bank.logprobs, LOGPROBS)
    assert list(bank.groups) == list(groups)
    expected = bank_curves(REWARDS, logprobs=LOGPROBS, groups=GROUPS)
    got = bank.curves()
    np.testing.assert_array_equal(got.expected_reward, expected.expected_reward)
    np.testing.assert_array_equal(got.kl_estimate, expected.kl_estimate)


def test_csv(tmp_path):
    check_bank(read_bank(write_csv(tmp_path / "b.csv", sample_rows()), logprob="logprob"))


def test_jsonl(tmp_path):
    path = tmp_path / "b.jsonl"
    lines = [
        json.dumps({"prompt_id": g, "reward": r, "logprob": lp, "text": "x"})
        for g, r, lp in sample_rows()
    ]
    path.write_text("\n".join(lines[:3]) + "\n\n" + "\n".join(lines[3:]) + "\n")  # blank line
    check_bank(read_bank(path, logprob="logprob"))


def test_parquet(tmp_path):
    path = tmp_path / "b.parquet"
    pq.write_table(pa.table({"prompt_id": GROUPS, "reward": REWARDS, "logprob": LOGPROBS}), path)
    check_bank(read_bank(path, logprob="logprob"))


def test_custom_columns_and_integer_ids(tmp_path):
    path = tmp_path / "b.jsonl"
    ids = [7, 3, 7, 3, 7, 11]
    path.write_text(
        "".join(
            json.dumps({"id": i, "score": r, "lp": lp}) + "\n"
            for i, r, lp in zip(ids, REWARDS, LOGPROBS, strict=True)
        )
    )
    bank = read_bank(path, reward="score", logprob="lp", group="id")
    assert bank.groups.dtype.kind == "i"
    check_bank(bank, groups=ids)


def test_no_group_no_logprob(tmp_path):
    bank = read_bank(write_csv(tmp_path / "b.csv", sample_rows()), logprob=None, group=None)
    assert bank.groups is None and bank.logprobs is None
    assert bank.curves().n_samples.tolist() == [6]


@pytest.mark.parametrize(
    ("name", "content", "kwargs", "match"),
    [
        (
            "b.csv",
            "prompt_id,score\na,1\n",
            {},
            "b\\.csv: no column 'reward' \\(columns: prompt_id, score\\)",
        ),
        (
            "b.csv",
            "prompt_id,reward\na,1\nb,oops\n",
            {},
            "b\\.csv: row 2, line 3, column 'reward': 'oops' is not a number",
        ),
        (
            "b.csv",
            "prompt_id,reward\na,1\nb,\n",
            {},
            r"row 2, line 3, column 'reward': missing value \(empty field\)",
        ),
        (
            "b.csv",
            "prompt_id,reward\na,nan\n",
            {},
            "row 1, line 2, column 'reward': 'nan' is not a finite",
        ),
        (
            "b.csv",
            "prompt_id,reward,logprob\na,1,-1\na,2,0.5\n",
            {"logprob": "logprob"},
            "row 2, line 3, column 'logprob': '0.5' is not a finite log-probability <= 0",
        ),
        (
            "b.csv",
            "prompt_id,reward\na,1\n,2\n",
            {},
            "row 2, line 3, column 'prompt_id': missing group id",
        ),
        ("b.csv", "prompt_id,reward\na,1,3\n", {}, r"row 1, line 2: 3 fields, expected 2"),
        ("b.csv", "prompt_id,reward\n", {}, r"b\.csv: no data rows"),
        ("b.csv", "", {}, r"b\.csv: empty file"),
        (
            "b.jsonl",
            '{"prompt_id": 1, "reward": 2}\n{"prompt_id": 1, "reward": 2\n',
            {},
            "b\\.jsonl: line 2: invalid JSON at column 29",
        ),
        (
            "b.jsonl",
            '{"prompt_id": 1, "reward": 2}\n{"prompt_id": 1}\n',
            {},
            "row 2, line 2: no column 'reward'",
        ),
        (
            "b.jsonl",
            '{"prompt_id": 1, "reward": true}\n',
            {},
            "row 1, line 1, column 'reward': true is a boolean, not a number",
        ),
        (
            "b.jsonl",
            '{"prompt_id": 1, "reward": null}\n',
            {},
            "row 1, line 1, column 'reward': missing value \\(null\\)",
        ),
        ("b.jsonl", "[1, 2]\n", {}, r"line 1: expected a JSON object"),
        ("b.txt", "x", {}, r"b\.txt: unknown file type '\.txt'"),
        ("b.parquet", "not parquet", {}, r"b\.parquet: not a readable Parquet file"),
    ],
)
def test_bad_files(tmp_path, name, content, kwargs, match):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ValueError, match=match):
        read_bank(path, **kwargs)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.csv: no such file"):
        read_bank(tmp_path / "nope.csv")


def test_parquet_missing_column_and_nulls(tmp_path):
    path = tmp_path / "b.parquet"
    pq.write_table(pa.table({"prompt_id": ["a", "b"], "score": [1.0, 2.0]}), path)
    with pytest.raises(ValueError, match=r"no column 'reward' \(columns: prompt_id, score\)"):
        read_bank(path)
    pq.write_table(pa.table({"prompt_id": ["a", "b", "c"], "reward": [1.0, None, 2.0]}), path)
    with pytest.raises(ValueError, match=r"b\.parquet: row 2, column 'reward': missing value"):
        read_bank(path)


def test_parquet_without_pyarrow(tmp_path, monkeypatch):
    path = tmp_path / "b.parquet"
    pq.write_table(pa.table({"prompt_id": ["a"], "reward": [1.0]}), path)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)  # import fails like when missing
    with pytest.raises(ImportError, match=r"pip install bonkl_fast\[parquet\]"):
        read_bank(path)
