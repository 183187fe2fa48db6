"""``bonkl simulate`` end to end: the real command in a subprocess, on files the tests write."""

from __future__ import annotations

import json

import pytest

from bonkl_fast.simulation import simulate_best_of_n


def test_inline_json_matches_the_library(bonkl):
    proc = bonkl(
        "simulate",
        "--probs",
        "0.5,0.3,0.2",
        "--rewards",
        "1,2,3",
        "-n",
        "16",
        "--size",
        "2e4",
        "--seed",
        "3",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    out = json.loads(proc.stdout)
    expected = simulate_best_of_n([0.5, 0.3, 0.2], [1, 2, 3], 16, 20_000, rng=3).to_dict()
    assert out["seed"] == 3 and out["outcomes"] == 3
    for key, value in expected.items():
        assert out[key] == value, key


def test_table_output_from_csv_and_json_files(tmp_path, bonkl):
    csv_file = tmp_path / "dist.csv"
    csv_file.write_text("name,p,score\na,0.25,0\nb,0.25,1\nc,0.5,1\n")
    proc = bonkl(
        "simulate",
        "--file",
        csv_file,
        "--prob-col",
        "p",
        "--reward-col",
        "score",
        "-n",
        "1e3",
        "--size",
        "1000",
        "--seed",
        "1",
        "--method",
        "direct",
    )
    assert proc.returncode == 0, proc.stderr
    assert "n = 1,000, 1,000 draws, method direct" in proc.stdout
    assert "KL (nats)" in proc.stdout and "seed 1" in proc.stdout

    json_file = tmp_path / "dist.json"
    json_file.write_text(json.dumps({"prob": [0.25, 0.25, 0.5], "reward": [0, 1, 1]}))
    jsonl_file = tmp_path / "dist.jsonl"
    jsonl_file.write_text(
        '{"prob": 0.25, "reward": 0}\n{"prob": 0.25, "reward": 1}\n\n{"prob": 0.5, "reward": 1}\n'
    )
    outputs = []
    for path in (json_file, jsonl_file):
        proc = bonkl(
            "simulate", "--file", path, "-n", "4", "--size", "500", "--seed", "2", "--json"
        )
        assert proc.returncode == 0, proc.stderr
        outputs.append(json.loads(proc.stdout))
    assert outputs[0] == outputs[1]
    assert outputs[0]["kl"] == simulate_best_of_n([0.25, 0.25, 0.5], [0, 1, 1], 4, 500, rng=2).kl


@pytest.mark.parametrize(
    "content, args, message",
    [
        (
            "prob,reward\n0.5,1\n0.3,abc\n0.2,3\n",
            [],
            "row 2, line 3, column 'reward': 'abc' is not a number",
        ),
        ("prob,reward\n0.5,1\n0.5,\n", [], "row 2, line 3, column 'reward': missing value"),
        ("prob,reward\n0.5,1\n0.5\n", [], "row 2, line 3: 1 fields, expected 2"),
        (
            "prob,reward\n0.5,1\n-0.5,2\n1.0,3\n",
            [],
            "row 2, line 3, column 'prob': probability -0.5 is negative",
        ),
        ("prob,reward\n0.5,1\nnan,2\n", [], "column 'prob': 'nan' is not a finite number"),
        (
            "p,reward\n0.5,1\n0.5,2\n",
            [],
            "no column 'prob' (columns: p, reward); name it with --prob-col",
        ),
        ("prob,reward\n", [], "no data rows"),
        ("", [], "empty file"),
        ("prob,reward\n0.5,1\n0.4,2\n", [], "probs sum to 0.9"),
        ("prob,reward\n0.5,1\n0.5,2\n", ["-n", "2.5"], "-n: expected an integer >= 1, got '2.5'"),
        ("prob,reward\n0.5,1\n0.5,2\n", ["-n", "0"], "-n: expected an integer >= 1, got '0'"),
        ("prob,reward\n0.5,1\n0.5,2\n", ["--size", "1"], "--size: expected an integer >= 2"),
        ("prob,reward\n0.5,1\n0.5,2\n", ["--size", "lots"], "--size: 'lots' is not a number"),
    ],
)
def test_bad_input_one_line_error_exit_2(tmp_path, content, args, message, bonkl):
    path = tmp_path / "dist.csv"
    path.write_text(content)
    proc = bonkl("simulate", "--file", path, "--size", "100", *args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("bonkl simulate: error: ")
    assert message in lines[0]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--file", "missing.csv"], "missing.csv: no such file"),
        (["--probs", "0.5,0.5"], "--rewards is missing"),
        ([], "no distribution given"),
        (["--probs", "0.5,0.5", "--rewards", "0,1", "--file", "x.csv"], "either --file or --probs"),
        (["--probs", "0.5,x", "--rewards", "0,1"], "--probs: 'x' is not a number"),
        (["--probs", "0.5,0.5", "--rewards", "0,1,2"], "rewards has 3 entries but probs has 2"),
        (["--probs", "0.5,0.4", "--rewards", "0,1"], "pass --normalize"),
    ],
)
def test_bad_arguments(tmp_path, args, message, bonkl):
    proc = bonkl("simulate", *args, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and message in proc.stderr, proc.stderr


def test_bad_json_file(tmp_path, bonkl):
    path = tmp_path / "dist.json"
    path.write_text('[{"prob": 0.5, "reward": 1}, {"prob": 0.5, "reward": }]')
    proc = bonkl("simulate", "--file", path)
    assert proc.returncode == 2
    assert "dist.json: invalid JSON at line 1 column" in proc.stderr


def test_normalize_and_help(bonkl):
    proc = bonkl(
        "simulate",
        "--probs",
        "2,3,5",
        "--rewards",
        "0,1,2",
        "--normalize",
        "-n",
        "3",
        "--size",
        "100",
        "--seed",
        "0",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    assert (
        json.loads(proc.stdout)["kl"]
        == simulate_best_of_n([0.2, 0.3, 0.5], [0, 1, 2], 3, 100, rng=0).kl
    )
    help_text = bonkl("simulate", "--help").stdout
    assert "--method" in help_text and "examples:" in help_text and "--prob-col" in help_text
