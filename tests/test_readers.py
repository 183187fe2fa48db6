"""The one reader (bonkl_fast.io): pyarrow vs standard library, every format, issues 13 and 14.

Every file-reading defect of issue 14 (#1, #4, #10, #12) and issue 13 (directories,
separators, .tsv) has a regression test here; the pyarrow fast path is checked
against the standard-library reader, which defines what is accepted.
"""

from __future__ import annotations

import json
import re
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bonkl_fast.io as io_module
from bonkl_fast.bank import bank_curves
from bonkl_fast.cli import main
from bonkl_fast.io import read_bank, read_reference

ARROW = ("pyarrow", "pyarrow.csv", "pyarrow.json", "pyarrow.compute", "pyarrow.parquet")


@pytest.fixture(params=["pyarrow", "stdlib"])
def reader(request, monkeypatch):
    """Run the test with pyarrow, then as if pyarrow were not installed."""
    if request.param == "stdlib":
        for name in ARROW:
            monkeypatch.setitem(sys.modules, name, None)  # import fails like when missing
    return request.param


def both_readers(read, path, **kwargs):
    """``read(path)`` with pyarrow and without: ``(result, result)`` or ``(message, message)``."""
    out = []
    for blocked in (False, True):
        with pytest.MonkeyPatch.context() as mp:
            if blocked:
                for name in ARROW:
                    mp.setitem(sys.modules, name, None)
            try:
                out.append(read(path, **kwargs))
            except ValueError as exc:
                out.append(str(exc))
    return out


def same(a, b):
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    a, b = (
        (a if isinstance(a, tuple) else (a.rewards, a.logprobs, a.groups)),
        (b if isinstance(b, tuple) else (b.rewards, b.logprobs, b.groups)),
    )
    for x, y in zip(a, b, strict=True):
        assert (x is None) == (y is None)
        if x is not None:
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)


# ---- pyarrow and the standard library agree ------------------------------------------------

TOKENS = ["1", "-2.5", " 3 ", "+4", ".5", "5.", "1e3", "1E-2", "0", "-0", "00012", "1_000",
          "0x10", "inf", "-Infinity", "nan", "NaN", "1e309", "true", "", "1.5e", "1d5", "1,5",
          "abc", "9007199254740993", "18446744073709551615", "-9223372036854775808"]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    rewards=st.lists(st.sampled_from(TOKENS), min_size=1, max_size=5),
    logprob=st.sampled_from(["-1", "0", "0.5", "-1e309", "x", ""]),
    group=st.sampled_from(["a", "", "1", "é"]),
    sep=st.sampled_from([",", ";", "\t"]),
)
def test_csv_pyarrow_equals_stdlib(tmp_path_factory, rewards, logprob, group, sep):
    path = tmp_path_factory.mktemp("csv") / "b.csv"
    rows = [sep.join(['"' + r + '"' if sep in r else r, logprob, group]) for r in rewards]
    path.write_text(sep.join(["reward", "logprob", "prompt_id"]) + "\n" + "\n".join(rows) + "\n")
    same(*both_readers(read_bank, path))


JSON_VALUES = [1, -2.5, 0, 2**53, 2**53 + 1, 2**63, -(2**63), 1.5, True, None, "1.5", [1], {"a": 1}]


@settings(max_examples=60, deadline=None)
@given(
    rewards=st.lists(st.sampled_from(JSON_VALUES), min_size=1, max_size=5),
    ids=st.sampled_from([["a", "b"], [1, 2], ["a", 1], [True, 1], [1.5, 2], ["", "a"]]),
    suffix=st.sampled_from([".jsonl", ".json"]),
)
def test_json_lines_pyarrow_equals_stdlib(tmp_path_factory, rewards, ids, suffix):
    path = tmp_path_factory.mktemp("jsonl") / f"b{suffix}"
    lines = [json.dumps({"prompt_id": ids[i % 2], "reward": r}) for i, r in enumerate(rewards)]
    path.write_text("\n".join(lines) + "\n")
    same(*both_readers(read_bank, path))


@pytest.mark.parametrize(
    "text",
    [
        '{"reward": 1, "prompt_id": "a"}{"reward": 2, "prompt_id": "a"}\n',  # two on a line
        '{"reward": 1, "prompt_id": "a"}\n\n{"reward": 2, "prompt_id": "b"}',  # blank, no final \n
        '{"reward": 1, "prompt_id": "a", "reward": 2}\n{"reward": 1, "prompt_id": "a"}\n',
        '{"reward": 1, "prompt_id": "a", "x": 1, "x": 2}\n{"reward": 1, "prompt_id": "a"}\n',
        '{"reward": 1, "prompt_id": "a", "logprob": -1}\n{"reward": 2, "prompt_id": "a"}\n',
        '{"reward": 1, "prompt_id": "a"}\n{"reward": 2, "prompt_id": "a", "logprob": -1}\n',
        '{"reward": 1, "prompt_id": "a", "t": "x"}\n{"reward": 2, "prompt_id": "a", "t": 3}\n',
    ],
)
def test_json_lines_edge_cases_agree(tmp_path, text):
    path = tmp_path / "b.jsonl"
    path.write_text(text)
    same(*both_readers(read_bank, path))


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".json"])
def test_plain_files_are_read_by_pyarrow_alone(tmp_path, monkeypatch, suffix):
    path = tmp_path / f"b{suffix}"
    sep = "\t" if suffix == ".tsv" else ","
    if suffix in (".csv", ".tsv"):
        path.write_text(f"prompt_id{sep}reward{sep}logprob\na{sep}1{sep}-1\nb{sep}2.5{sep}-2\n")
    else:
        path.write_text(
            '{"prompt_id": "a", "reward": 1, "logprob": -1, "meta": {"x": [1]}}\r\n'
            '{"prompt_id": "b", "reward": 2.5, "logprob": -2, "meta": {"x": []}}'
        )
    expected = read_bank(path)

    def refuse(*args, **kwargs):
        raise AssertionError("the standard-library reader ran")

    monkeypatch.setattr(io_module, "text_columns", refuse)
    same(read_bank(path), expected)
    assert expected.groups.dtype.kind == "U" and expected.rewards.dtype == np.float64


# ---- one reader for every format ---------------------------------------------------------

PROBS, REWARDS = [0.5, 0.3, 0.2], [1.0, 2.5, -3.0]


def write_reference(path, probs=PROBS, rewards=REWARDS):
    records = [{"prob": p, "reward": r} for p, r in zip(probs, rewards, strict=True)]
    suffix = path.suffix
    if suffix in (".csv", ".tsv"):
        sep = "\t" if suffix == ".tsv" else ","
        path.write_text(
            f"prob{sep}reward\n"
            + "".join(f"{p}{sep}{r}\n" for p, r in zip(probs, rewards, strict=True))
        )
    elif suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
    elif suffix == ".parquet":
        pq.write_table(pa.table({"prob": probs, "reward": rewards}), path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_read_reference_every_format(tmp_path, reader, suffix):
    path = write_reference(tmp_path / f"d{suffix}")
    if suffix == ".parquet" and reader == "stdlib":
        with pytest.raises(ImportError, match=r"pip install bonkl_fast\[parquet\]"):
            read_reference(path)
        return
    probs, rewards = read_reference(path)
    assert probs.dtype == rewards.dtype == np.float64
    np.testing.assert_array_equal(probs, PROBS)
    np.testing.assert_array_equal(rewards, REWARDS)


@pytest.mark.parametrize(
    "text",
    [
        json.dumps({"prob": PROBS, "reward": REWARDS, "name": "answers"}),  # object of columns
        json.dumps([{"prob": p, "reward": r} for p, r in zip(PROBS, REWARDS, strict=True)]),
        "\n".join(
            json.dumps({"prob": p, "reward": r}) for p, r in zip(PROBS, REWARDS, strict=True)
        ),
        json.dumps({"prob": PROBS, "reward": REWARDS}, indent=2),
    ],
)
def test_json_document_and_json_lines_mean_the_same(tmp_path, reader, text):
    path = tmp_path / "d.json"
    path.write_text(text)
    probs, rewards = read_reference(path)
    np.testing.assert_array_equal(probs, PROBS)
    np.testing.assert_array_equal(rewards, REWARDS)
    bank_path = tmp_path / "b.json"
    bank_path.write_text(text)
    assert read_bank(bank_path, reward="prob", logprob=None, group=None).rewards.tolist() == PROBS


def test_read_bank_reads_logprob_when_present(tmp_path, reader):
    path = tmp_path / "b.csv"
    path.write_text("prompt_id,reward,logprob\na,1,-1\na,2,-3\n")
    assert read_bank(path).logprobs.tolist() == [-1.0, -3.0]
    assert read_bank(path, logprob=None).logprobs is None
    path.write_text("prompt_id,reward\na,1\na,2\n")
    assert read_bank(path).logprobs is None  # the default column is optional
    with pytest.raises(ValueError, match="no column 'logprob'"):
        read_bank(path, logprob="logprob")  # a named column is not
    with pytest.raises(ValueError, match="no column 'lp'"):
        read_bank(path, logprob="lp")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_evaluate_columns_reach_bank_curves(tmp_path, reader, suffix):
    rewards, gold, groups = [0.5, 1.0, -2.0, 1.0], [3, 1, 2, 0], ["a", "a", "b", "b"]
    path = tmp_path / f"b{suffix}"
    table = {"prompt_id": groups, "reward": rewards, "gold": gold}
    if suffix == ".csv":
        path.write_text(
            "prompt_id,reward,gold\n"
            + "".join(f"{g},{r},{v}\n" for g, r, v in zip(groups, rewards, gold, strict=True))
        )
    elif suffix == ".jsonl":
        path.write_text(
            "".join(
                json.dumps(dict(zip(table, row, strict=True))) + "\n"
                for row in zip(*table.values(), strict=True)
            )
        )
    elif reader == "stdlib":
        return  # Parquet needs pyarrow
    else:
        pq.write_table(pa.table(table), path)
    bank = read_bank(path, evaluate=["gold"])
    assert list(bank.evaluate) == ["gold"] and bank.evaluate["gold"].dtype == np.float64
    np.testing.assert_array_equal(bank.evaluate["gold"], gold)
    expected = bank_curves(rewards, groups=groups, evaluate={"gold": gold})
    got = bank.curves()
    np.testing.assert_array_equal(got.evaluated["gold"], expected.evaluated["gold"])
    np.testing.assert_array_equal(got.expected_reward, expected.expected_reward)
    assert read_bank(path).evaluate == {}


# ---- issue 14 #1: integers are not merged into ties -------------------------------------


def test_parquet_int64_rewards_keep_their_dtype(tmp_path):
    big = [2**53, 2**53 + 1, 0]
    path = tmp_path / "b.parquet"
    pq.write_table(pa.table({"prompt_id": ["a"] * 3, "reward": pa.array(big, pa.int64())}), path)
    bank = read_bank(path)
    assert bank.rewards.dtype == np.int64 and bank.rewards.tolist() == big
    pq.write_table(pa.table({"prob": [0.5, 0.3, 0.2], "reward": pa.array(big, pa.uint64())}), path)
    assert read_reference(path)[1].dtype == np.uint64


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_text_integers_beyond_2_53_are_read_exactly(tmp_path, reader, suffix):
    big = [2**53, 2**53 + 1, 0]
    path = tmp_path / f"d{suffix}"
    if suffix == ".csv":
        path.write_text("prob,reward\n" + "".join(f"0.25,{r}\n" for r in big))
    else:
        path.write_text("".join(json.dumps({"prob": 0.25, "reward": r}) + "\n" for r in big))
    rewards = read_reference(path)[1]
    assert rewards.dtype == np.int64 and rewards.tolist() == big
    with open(path, "a") as handle:  # a non-integer beside them: float64 would merge two rewards
        handle.write("0.25,0.5\n" if suffix == ".csv" else '{"prob": 0.25, "reward": 0.5}\n')
    with pytest.raises(ValueError, match=r"row 2, line \d, column 'reward': integer .* not exact"):
        read_reference(path)


# ---- issue 14 #4: duplicate column names --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("d.csv", "prob,reward,reward\n0.5,1,2\n0.5,2,1\n"),
        ("d.json", '{"prob": [0.5, 0.5], "reward": [1, 2], "reward": [2, 1]}'),
        ("d.json", '[{"prob": 0.5, "reward": 1, "reward": 2}]'),
        ("d.jsonl", '{"prob": 1, "reward": 1}\n{"prob": 0.5, "reward": 1, "reward": 2}\n'),
    ],
)
def test_duplicate_columns_are_refused(tmp_path, reader, name, text):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ValueError, match="'reward' appears (twice|2 times); rename"):
        read_reference(path)
    bank = tmp_path / ("b" + path.suffix)
    bank.write_text(text)
    with pytest.raises(ValueError, match="'reward' appears (twice|2 times); rename"):
        read_bank(bank, group="prob")


def test_duplicate_parquet_columns_are_refused(tmp_path):
    path = tmp_path / "b.parquet"
    columns = [pa.array(["a", "b"]), pa.array([1.0, 2.0]), pa.array([2.0, 1.0])]
    pq.write_table(pa.Table.from_arrays(columns, names=["prompt_id", "reward", "reward"]), path)
    with pytest.raises(ValueError, match="column 'reward' appears 2 times; rename all but one"):
        read_bank(path)


def test_an_unused_duplicate_column_is_harmless(tmp_path, reader):
    path = tmp_path / "b.csv"
    path.write_text("prompt_id,note,reward,note\na,x,1,y\nb,x,2,y\n")
    assert read_bank(path).rewards.tolist() == [1.0, 2.0]


# ---- issue 14 #10: clear errors for huge fields, huge numbers, deep nesting, bad bytes ---------


def test_csv_field_over_131072_characters(tmp_path, reader):
    import csv

    limit = csv.field_size_limit()
    path = tmp_path / "b.csv"
    path.write_text("prompt_id,text,reward\na,short,1\nb," + "x" * 200_000 + ",2\n")
    assert read_bank(path).rewards.tolist() == [1.0, 2.0]
    path.write_text("prompt_id,text,reward\na,short,1\nb," + "x" * 200_000 + ",oops\n")
    with pytest.raises(ValueError, match=r"b\.csv: row 2, line 3, column 'reward': 'oops' is not"):
        read_bank(path)
    assert csv.field_size_limit() == limit  # the csv module's global limit is restored


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        (
            "d.json",
            '{"prob": [1], "reward": [1e309]}',
            r"row 1, column 'reward': inf is not a finite",
        ),
        (
            "d.jsonl",
            '{"prob": 1, "reward": 1e309}\n',
            r"row 1, line 1, column 'reward': inf is not",
        ),
        (
            "d.csv",
            "prob,reward\n1,1e309\n",
            r"row 1, line 2, column 'reward': '1e309' is not a finite",
        ),
        ("d.json", "[" * 100_000 + "]" * 100_000, r"d\.json: JSON nested too deeply"),
        (
            "d.jsonl",
            '{"prob": ' + "[" * 100_000 + "]" * 100_000 + "}\n",
            r"line 1: JSON nested too deeply",
        ),
        ("d.json", "[" * 100_000, r"d\.json: (JSON nested too deeply|invalid JSON)"),
        ("d.json", '{"prob": [1], "reward": [' + "9" * 5000 + "]}", r"d\.json: invalid JSON"),
        (
            "d.csv",
            "prob,reward\n1," + "9" * 5000 + "\n",
            r"line 2, column 'reward': '9+\.\.\.' \(5000 characters\) is not a",
        ),
        (
            "d.csv",
            "prob,reward\n1," + "9" * 390 + "\n",
            r"line 2, column 'reward': '9+\.\.\.' \(390 characters\) is beyond",
        ),
    ],
)
def test_huge_numbers_and_deep_nesting_are_one_line_errors(tmp_path, reader, name, text, match):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        read_reference(path)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".json"])
def test_non_utf8_file_is_named(tmp_path, reader, suffix):
    path = tmp_path / f"d{suffix}"
    text = "prob,reward\n0.5,1\n" if suffix == ".csv" else '{"prob": 0.5, "reward": 1}\n'
    path.write_bytes(text.encode() + "caf\xe9,0.5\n".encode("latin-1"))
    where = "row 2, line 3, column 'prob': " if suffix == ".csv" else ""
    with pytest.raises(ValueError, match=rf"d{suffix}: {where}not UTF-8 text \(byte 0xe9"):
        read_reference(path)


def test_non_utf8_bytes_in_a_column_not_read(tmp_path, reader):
    path = tmp_path / "b.csv"
    path.write_bytes(b"prompt_id,text,reward\na,caf\xe9,1\nb,\xff\xfe,2\n")
    assert read_bank(path).rewards.tolist() == [1.0, 2.0]
    path.write_bytes(b"prompt_id,text,reward\na,x,1\nb\xff,y,2\n")
    with pytest.raises(
        ValueError, match=r"row 2, line 3, column 'prompt_id': not UTF-8 text \(byte 0xff"
    ):
        read_bank(path)


# ---- issue 14 #12: not-quite-numbers are refused ------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("b.jsonl", '{"prompt_id": "a", "reward": true}\n', "true is a boolean, not a number"),
        ("b.jsonl", '{"prompt_id": "a", "reward": false}\n', "false is a boolean, not a number"),
        ("b.csv", "prompt_id,reward\na,1_000\n", "'1_000' is not a number"),
        ("b.csv", "prompt_id,reward\na,0x10\n", "'0x10' is not a number"),
        ("b.jsonl", '{"prompt_id": "a", "reward": "1.5"}\n', "'1.5' is a string, not a number"),
        ("b.json", '{"prompt_id": ["a"], "reward": ["1.5"]}', "'1.5' is a string, not a number"),
        ("b.jsonl", '{"prompt_id": 1, "reward": 1}\n{"prompt_id": true, "reward": 1}\n',
         "row 2, line 2, column 'prompt_id': group id true is not a string or an integer"),
        ("b.jsonl", '{"prompt_id": 1.5, "reward": 1}\n', "group id 1.5 is not a string"),
        ("b.jsonl", '{"prompt_id": null, "reward": 1}\n', "missing group id"),
    ],
)  # fmt: skip
def test_not_plain_numbers_are_refused(tmp_path, reader, name, text, match):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        read_bank(path)


@pytest.mark.parametrize(
    "column",
    [
        pa.array([0, 1], pa.timestamp("ns")),
        pa.array([True, False]),
        pa.array(["1.5", "2"]),
        pa.array([1, 2], pa.decimal128(5, 1)),
    ],
)
def test_parquet_reward_column_of_other_types_is_refused(tmp_path, column):
    path = tmp_path / "b.parquet"
    pq.write_table(pa.table({"prompt_id": ["a", "b"], "reward": column}), path)
    with pytest.raises(ValueError, match=re.escape(f"column 'reward' has type {column.type}, not")):
        read_bank(path)


# ---- issue 13: directories, separators, .tsv ---------------------------------------------


def test_directories_say_so(tmp_path, capsys):
    for name in ("adir", "dir.csv"):
        (tmp_path / name).mkdir()
        for read in (read_bank, read_reference):
            with pytest.raises(IsADirectoryError, match=rf"{name}: is a directory"):
                read(tmp_path / name)
        assert main(["bank", str(tmp_path / name)]) == 2
        assert main(["kl", "--file", str(tmp_path / name)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 2 and all(f"{name}: is a directory" in line for line in err)


@pytest.mark.parametrize("sep", [";", "\t", ","])
@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_separator_is_detected(tmp_path, reader, sep, suffix):
    path = tmp_path / f"b{suffix}"
    rows = [["prompt_id", "completion_id", "reward"], ["q1", "c1", "1.5"], ["q1", "c2", "-2"]]
    path.write_text("".join(sep.join(row) + "\n" for row in rows))
    bank = read_bank(path)
    assert bank.rewards.tolist() == [1.5, -2.0] and bank.groups.tolist() == ["q1", "q1"]
    assert read_bank(path, sep=sep).rewards.tolist() == [1.5, -2.0]


def test_separator_hint_in_missing_column_message(tmp_path, reader):
    path = tmp_path / "b.csv"
    path.write_text("prompt_id;completion_id;score\nq1;c1;1\n")
    with pytest.raises(
        ValueError,
        match=r"no column 'reward' \(columns: prompt_id, completion_id, score, "
        r"read as semicolon-separated\)",
    ):
        read_bank(path)
    with pytest.raises(ValueError, match="sep must be one character"):
        read_bank(path, sep=";;")


def test_decimal_comma_in_semicolon_file_is_refused(tmp_path, reader):
    path = tmp_path / "b.csv"
    path.write_text("prompt_id;reward\nq1;1,5\n")
    with pytest.raises(ValueError, match=r"row 1, line 2, column 'reward': '1,5' is not a number"):
        read_bank(path)


@pytest.mark.parametrize(
    "ids",
    [["a", "bb", "ccc"], ["é", "a", "日本"], ["x" * 300, "y", "z"], ["q 1", " q1", "q1 "]],
)
def test_string_ids_pyarrow_equals_stdlib(tmp_path, ids):
    path = tmp_path / "b.csv"
    path.write_text("prompt_id,reward\n" + "".join(f"{g},{i}\n" for i, g in enumerate(ids)))
    fast, slow = both_readers(read_bank, path)
    same(fast, slow)
    assert fast.groups.tolist() == ids and fast.groups.dtype == np.asarray(ids).dtype
    for kind in (pa.string(), pa.large_string()):  # Parquet string ids: the same str array
        parquet = tmp_path / "b.parquet"
        table = pa.table({"prompt_id": pa.array(ids, kind), "reward": range(len(ids))})
        pq.write_table(table, parquet)
        groups = read_bank(parquet).groups
        assert groups.dtype == fast.groups.dtype and groups.tolist() == ids


def test_quoted_newlines_in_a_text_column(tmp_path):
    path = tmp_path / "b.csv"
    text = '"first line\nq9,5,-1\nlast, with ""quotes"""'  # looks like a row once split at \n
    path.write_text(f"prompt_id,text,reward\nq1,{text},1.5\nq2,plain,2\n")
    fast, slow = both_readers(read_bank, path)
    same(fast, slow)
    assert fast.groups.tolist() == ["q1", "q2"] and fast.rewards.tolist() == [1.5, 2.0]


def test_bonkl_kl_reads_every_format_alike(tmp_path, capsys):
    rows = list(zip(PROBS, REWARDS, strict=True))
    files = {
        "semicolon.csv": "prob;reward\n" + "".join(f"{p};{r}\n" for p, r in rows),
        "tabs.tsv": "prob\treward\n" + "".join(f"{p}\t{r}\n" for p, r in rows),
        "lines.json": "".join(json.dumps({"prob": p, "reward": r}) + "\n" for p, r in rows),
        "columns.json": json.dumps({"prob": PROBS, "reward": REWARDS}),
    }
    outputs = []
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        for extra in ([], ["--sep", ";"] if name.endswith("csv") else ["--sep", "tab"]):
            assert main(["kl", "--file", str(tmp_path / name), "-n", "2,8", "--json", *extra]) == 0
            outputs.append(json.loads(capsys.readouterr().out))
    assert all(out == outputs[0] for out in outputs)
    assert main(["kl", "--file", str(tmp_path / "semicolon.csv"), "--sep", ";;"]) == 2
    assert "sep must be one character" in capsys.readouterr().err


@pytest.mark.parametrize(
    "ids",
    [
        pa.array([0, None, 2], pa.timestamp("ns")),  # NaT
        pa.array([1.0, float("nan"), 2.0]),
        pa.array(["a", "", "b"]),
        pa.array(["a", None, "b"]),
    ],
)
def test_parquet_missing_group_ids_are_refused(tmp_path, ids):
    path = tmp_path / "b.parquet"
    pq.write_table(pa.table({"prompt_id": ids, "reward": [1.0, 2.0, 3.0]}), path)
    with pytest.raises(
        ValueError, match=r"b\.parquet: row 2, column 'prompt_id': missing group id"
    ):
        read_bank(path)


def test_logprob_in_some_json_records_only_is_an_error(tmp_path, reader):
    path = tmp_path / "b.jsonl"
    path.write_text(
        '{"reward": 1, "prompt_id": "a"}\n{"reward": 2, "prompt_id": "a", "logprob": -1}\n'
    )
    with pytest.raises(
        ValueError, match=r"row 1, line 1: no column 'logprob' \(keys: reward, prom"
    ):
        read_bank(path)
    assert read_bank(path, logprob=None).rewards.tolist() == [1.0, 2.0]


def test_other_separator_named_in_missing_column_message(tmp_path, reader):
    path = tmp_path / "b.csv"
    path.write_text("prompt_id|reward\nq1|1\n")
    assert read_bank(path, sep="|").rewards.tolist() == [1.0]
    with pytest.raises(ValueError, match=r"no column 'score' .*read as '\|'-separated"):
        read_bank(path, reward="score", sep="|")


@pytest.mark.parametrize(
    "field",
    ['"a"b', 'a"b', '"a""b"', ' "b"', '" a "', '""', '"x,y"', "'q'", 'a\\"b', '"a\r\nb"', '"é"'],
)
def test_csv_quoting_pyarrow_equals_stdlib(tmp_path, field):
    path = tmp_path / "b.csv"
    path.write_bytes(f"prompt_id,reward\n{field},1\nz,2\n".encode())
    same(*both_readers(read_bank, path))
