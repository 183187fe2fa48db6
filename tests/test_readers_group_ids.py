"""Group ids follow one rule in every file format (issue 14): strings or integers.

CSV ids are text (``true`` and ``1.5`` are the strings they read as); JSON and
Parquet ids are strings or integers, and booleans and floats are refused with
an error naming the file and the column. The Dask path groups a DataFrame as
the in-memory :func:`bonkl_fast.bank_curves` groups its arrays.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bonkl_fast.io import read_bank

REWARDS = [1.0, 2.0, 3.0, 4.0]


def write_parquet(path, ids):
    pq.write_table(pa.table({"prompt_id": ids, "reward": REWARDS}), path)


@pytest.mark.parametrize(
    ("ids", "kind"),
    [
        (pa.array([True, False, True, False]), "bool"),
        (pa.array([1.0, 2.0, 1.0, 2.0]), "double"),
        (pa.array([1.5, 2.5, 1.5, 2.5], pa.float32()), "float"),
        (pa.array([0, 1, 0, 1], pa.timestamp("ns")), "timestamp"),
        (pa.array([0, 1, 0, 1], pa.date32()), "date32"),
    ],
)
def test_parquet_group_ids_of_other_types_are_refused(tmp_path, ids, kind):
    path = tmp_path / "bank.parquet"
    write_parquet(path, ids)
    with pytest.raises(ValueError) as info:
        read_bank(path)
    message = str(info.value)
    assert str(path) in message and "column 'prompt_id'" in message and kind in message
    assert "strings or integers" in message and "store the column as strings or int64" in message


@pytest.mark.parametrize(
    ("ids", "shown"), [([True, False, True, False], "true"), ([1.0, 2.0, 1.0, 2.0], "1.0")]
)
@pytest.mark.parametrize("layout", ["lines", "document"])
def test_json_group_ids_of_other_types_are_refused(tmp_path, ids, shown, layout):
    if layout == "lines":
        path = tmp_path / "bank.jsonl"
        rows = [{"prompt_id": g, "reward": r} for g, r in zip(ids, REWARDS, strict=True)]
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    else:
        path = tmp_path / "bank.json"
        path.write_text(json.dumps({"prompt_id": ids, "reward": REWARDS}))
    with pytest.raises(ValueError) as info:
        read_bank(path)
    message = str(info.value)
    assert str(path) in message and "column 'prompt_id'" in message
    assert f"group id {shown} is not a string or an integer" in message


@pytest.mark.parametrize(
    "ids",
    [
        [7, 3, 7, 3],
        ["q7", "q3", "q7", "q3"],
    ],
)
def test_string_and_integer_ids_read_alike_in_json_and_parquet(tmp_path, ids):
    jsonl = tmp_path / "bank.jsonl"
    rows = [{"prompt_id": g, "reward": r} for g, r in zip(ids, REWARDS, strict=True)]
    jsonl.write_text("".join(json.dumps(row) + "\n" for row in rows))
    from_json = read_bank(jsonl).groups
    kinds = (pa.int64(), pa.int32(), pa.uint64()) if isinstance(ids[0], int) else (pa.string(),)
    for kind in kinds:
        path = tmp_path / f"bank_{kind}.parquet"
        write_parquet(path, pa.array(ids, kind))
        from_parquet = read_bank(path).groups
        assert from_parquet.tolist() == from_json.tolist() == ids
    dictionary = tmp_path / "bank_dictionary.parquet"  # dictionary-encoded: the value type rules
    write_parquet(dictionary, pa.array(ids).dictionary_encode())
    assert read_bank(dictionary).groups.tolist() == ids


def test_csv_group_ids_are_text(tmp_path):
    """CSV has no types: ids that look like booleans or floats are the strings they read as."""
    path = tmp_path / "bank.csv"
    path.write_text("prompt_id,reward\ntrue,1\n1.5,2\ntrue,3\n1.50,4\n")
    groups = read_bank(path).groups
    assert groups.dtype.kind == "U" and groups.tolist() == ["true", "1.5", "true", "1.50"]


@pytest.mark.parametrize(
    "ids",
    [
        np.array([True, False, True, False]),
        np.array([1.5, 2.5, 1.5, 2.5]),
        np.array([7, 3, 7, 3]),
        np.array(["q7", "q3", "q7", "q3"]),
    ],
)
def test_dask_groups_as_the_in_memory_function(ids):
    """The Dask path takes a DataFrame, as bank_curves takes arrays: same groups, same curves."""
    import dask.dataframe as dd
    import pandas as pd

    from bonkl_fast import bank_curves
    from bonkl_fast.dask import bank_curves as dask_bank_curves

    want = bank_curves(np.array(REWARDS), [1, 2], groups=ids)
    frame = pd.DataFrame({"prompt_id": ids, "reward": REWARDS})
    got = dask_bank_curves(dd.from_pandas(frame, npartitions=2), ns=[1, 2])
    assert got.groups.tolist() == want.groups.tolist()
    assert np.array_equal(got.expected_reward, want.expected_reward)


def test_dask_refuses_missing_ids_as_the_in_memory_function():
    import dask.dataframe as dd
    import pandas as pd

    from bonkl_fast import bank_curves
    from bonkl_fast.dask import bank_curves as dask_bank_curves

    ids = np.array([1.0, np.nan, 1.0, 2.0])
    with pytest.raises(ValueError, match="missing id"):
        bank_curves(np.array(REWARDS), [1], groups=ids)
    frame = pd.DataFrame({"prompt_id": ids, "reward": REWARDS})
    with pytest.raises(ValueError, match="missing id"):
        dask_bank_curves(dd.from_pandas(frame, npartitions=2), ns=[1])
