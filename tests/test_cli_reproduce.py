"""End-to-end tests of ``bonkl reproduce`` and ``bonkl kl`` run as real subprocesses."""

from __future__ import annotations

import csv
import json
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

import bonkl_fast as bk
from bonkl_fast.cli import reference_suite as suite
from bonkl_fast.cli import reproduce

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory, bonkl) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("repro") / "out"
    result = bonkl("reproduce", "--out", str(out), "--size", "20000")
    return out, result


def test_reproduce_writes_every_figure_and_table(reproduced):
    out, result = reproduced
    assert result.returncode == 0, result.stderr
    for name in reproduce.FIGURES:
        width, height = png_size(out / name)
        assert 600 <= width <= 2000 and 400 <= height <= 1500, (name, width, height)
        assert (out / name).stat().st_size > 20_000  # a drawn figure, not an empty canvas
    for name in reproduce.TABLES:
        assert (out / name).stat().st_size > 100


def test_reproduce_csv_equals_library(reproduced):
    out, _ = reproduced
    with open(out / "summary.csv") as handle:
        rows = list(csv.DictReader(handle))
    refs = {ref.name: ref for ref in suite.default_references()}
    assert {row["reference"] for row in rows} == set(refs)
    for row in rows:
        ref, n = refs[row["reference"]], float(row["n"])
        assert float(row["kl_exact"]) == bk.kl_exact(ref.probs, ref.rewards, n)
        assert float(row["kl_bound"]) == bk.kl_bound(n)
        assert float(row["win_rate"]) == bk.win_rate(ref.probs, ref.rewards, n)
        assert float(row["kl_estimate"]) == bk.kl_estimate_expected(ref.probs, ref.rewards, n)


def test_reproduce_tables_integers_and_exact_values(reproduced):
    out, _ = reproduced
    with open(out / "summary.csv") as handle:
        ns = [row["n"] for row in csv.DictReader(handle)]
    assert "1000000" in ns and "1" in ns and not any("." in n or "e" in n for n in ns)
    markdown = (out / "summary.md").read_text()
    assert "| 1,000,000 |" in markdown and "1e+" not in markdown and ".0 |" not in markdown
    ref = suite.few_answers()
    with open(out / "monte_carlo.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == suite.MC_COLUMNS
    for row in rows:
        n = int(row["n"])
        assert row["reference"] == ref.name and row["draws"] == "20000"
        assert float(row["kl_exact"]) == bk.kl_exact(ref.probs, ref.rewards, n)
        assert float(row["win_rate_exact"]) == bk.win_rate(ref.probs, ref.rewards, n)
        exact = bk.simulate_best_of_n(ref.probs, ref.rewards, n, 20000, rng=0)  # any seed
        assert float(row["kl_se_exact"]) == exact.kl_se_exact
        assert float(row["win_rate_se_exact"]) == exact.win_rate_se_exact
    table = bk.frontier(ref.probs, ref.rewards, suite.FRONTIER_NS)
    with open(out / "frontier.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["reference", *table.columns()]  # one column per meaning
    for i, row in enumerate(rows):
        assert row["reference"] == ref.name and row["n"] == str(suite.FRONTIER_NS[i])
        for column in table.columns():
            assert float(row[column]) == float(getattr(table, column)[i]), column


def test_reproduce_prints_summary_table(reproduced):
    _, result = reproduced
    lines = result.stdout.splitlines()
    assert lines[0].split() == list(suite.TABLE_COLUMNS)
    assert any(line.startswith("binary top=0.0001") and " 1,000 " in line for line in lines)


def test_reproduce_refuses_to_overwrite_foreign_file(tmp_path, bonkl):
    out = tmp_path / "out"
    out.mkdir()
    mine = out / "summary.csv"
    mine.write_text("my precious data\n")
    result = bonkl("reproduce", "--out", str(out))
    assert result.returncode == 2
    assert "summary.csv" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert mine.read_text() == "my precious data\n"
    assert not (out / "fig1_uniform_kl.png").exists()  # refused before writing anything


def test_reproduce_reruns_over_its_own_files(reproduced, bonkl):
    out, _ = reproduced
    result = bonkl("reproduce", "--out", str(out), "--size", "1000")
    assert result.returncode == 0, result.stderr


def test_kl_inline_json_equals_library(bonkl):
    result = bonkl(
        "kl", "--probs", "0.5,0.3,0.2", "--rewards", "1,2,2", "-n", "1,4,16,1e6", "--json"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    ns = np.array([1, 4, 16, 1e6])
    p, r = [0.5, 0.3, 0.2], [1, 2, 2]
    assert data["n"] == ns.tolist()
    assert data["kl_exact"] == bk.kl_exact(p, r, ns).tolist()
    assert data["win_rate"] == bk.win_rate(p, r, ns).tolist()
    assert data["kl_saturation"] == [bk.kl_saturation(p, r)] * 4


@pytest.mark.parametrize(
    "args, message",
    [
        (["kl", "--probs", "0.5,0.6", "--rewards", "1,2"], "sum to"),
        (["kl", "--probs", "0.5,0.5", "--rewards", "1,2", "-n", "0.5"], ">= 1"),
        (["kl", "--probs", "0.5,0.5", "--rewards", "1,x"], "'x'"),
        (["kl", "--probs", "0.5,0.5", "--rewards", "1,2,3"], "rewards"),
        (["reproduce", "--size", "0"], "--size"),
        (["reproduce", "--size", "0", "--no-figures"], "--size"),
        (["reproduce", "--seed", "-1"], "--seed"),
    ],
)
def test_bad_input_one_line_exit_2(args, message, tmp_path, bonkl):
    result = bonkl(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_version_and_help(bonkl):
    result = bonkl("--version")
    assert result.returncode == 0 and bk.__version__ in result.stdout
    for command in ("reproduce", "kl"):
        result = bonkl(command, "--help")
        assert result.returncode == 0 and "examples:" in result.stdout


def test_kl_from_csv_file_equals_library(tmp_path, bonkl):
    path = tmp_path / "answers.csv"
    path.write_text("answer,prob,reward\nyes,0.6,1\nno,0.3,0\nmaybe,0.1,1\n")
    result = bonkl("kl", "--file", str(path), "-n", "2,1000", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    p, r = [0.6, 0.3, 0.1], [1, 0, 1]
    assert data["kl_exact"] == bk.kl_exact(p, r, [2, 1000]).tolist()
    assert data["kl_estimate"] == bk.kl_estimate_expected(p, r, [2, 1000]).tolist()


def test_kl_malformed_row_names_file_row_and_column(tmp_path, bonkl):
    path = tmp_path / "answers.csv"
    path.write_text("prob,reward\n0.5,1\n0.5,high\n")
    result = bonkl("kl", "--file", str(path))
    assert result.returncode == 2
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert "answers.csv" in line and "row 2" in line and "reward" in line


def test_kl_missing_file_and_column(tmp_path, bonkl):
    result = bonkl("kl", "--file", str(tmp_path / "nope.csv"))
    assert result.returncode == 2 and "nope.csv" in result.stderr
    path = tmp_path / "d.csv"
    path.write_text("p,reward\n1,0\n")
    result = bonkl("kl", "--file", str(path))
    assert result.returncode == 2 and "prob" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_reproduce_refuses_before_printing(tmp_path, bonkl):
    out = tmp_path / "out"
    out.mkdir()
    (out / "fig4_frontier.png").write_bytes(b"not bonkl's")
    result = bonkl("reproduce", "--out", str(out))
    assert result.returncode == 2 and result.stdout == ""
    result = bonkl("reproduce", "--out", str(tmp_path / "other"), "--size", "1e14")
    assert result.returncode == 2 and result.stdout == "" and "--size" in result.stderr
    assert not (tmp_path / "other").exists()
