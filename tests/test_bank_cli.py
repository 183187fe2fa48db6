"""End-to-end tests of ``bonkl bank`` in a subprocess: output, files, exit codes, errors."""

from __future__ import annotations

import csv
import json
import struct
import subprocess
import sys

import numpy as np
import pytest

from bonkl_fast.bank import bank_curves

RNG = np.random.default_rng(2026)
GROUPS = np.repeat(np.arange(12), 9)
REWARDS = RNG.integers(0, 6, GROUPS.shape[0]).astype(float)
LOGPROBS = np.round(-RNG.exponential(3.0, GROUPS.shape[0]), 6)


@pytest.fixture(scope="session", autouse=True)
def warm_bank_kernels():
    bank_curves([0.0, 1.0, 1.0], logprobs=[-1.0, -2.0, -3.0], groups=[0, 0, 1])


@pytest.fixture
def bank_csv(tmp_path):
    path = tmp_path / "bank.csv"
    rows = "".join(f"{g},{r},{lp}\n" for g, r, lp in zip(GROUPS, REWARDS, LOGPROBS, strict=True))
    path.write_text("prompt_id,reward,logprob\n" + rows)
    return path


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("bonkl bank: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24]), len(data)


def test_table_csv_and_plot(bank_csv, tmp_path, bonkl):
    out_csv, out_png = tmp_path / "out" / "curves.csv", tmp_path / "out" / "curves.png"
    result = bonkl("bank", bank_csv, "--csv", out_csv, "--plot", out_png, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "12 groups, 108 samples, N from 9 to 9" in result.stdout
    header = (
        "| n | groups_counted | groups_counted_win_rate | kl_bound | kl_estimate | kl_plugin "
        "| expected_reward "
        "| win_rate |"
    )
    assert header in result.stdout
    assert "win rate is NaN where n >= N" in result.stdout  # n = 9 = N says why
    expected = bank_curves(REWARDS, logprobs=LOGPROBS, groups=GROUPS)
    with open(out_csv) as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["n"]) for r in rows] == list(range(1, 10))
    for column, values in [
        ("kl_estimate", expected.mean_kl_estimate),
        ("kl_plugin", expected.mean_kl_plugin),
        ("expected_reward", expected.mean_expected_reward),
        ("win_rate", expected.mean_win_rate),
        ("kl_bound", expected.kl_bound),
    ]:
        # equal up to rounding: a Numba cache compiled against an older core (caches do not
        # track callee modules) may differ from a fresh compile in the last bit
        np.testing.assert_allclose(
            [float(r[column]) for r in rows], values, rtol=1e-14, atol=1e-300, err_msg=column
        )
    (width, height), size = png_size(out_png)
    assert width >= 600 and height >= 400 and size > 20_000
    for column, values in [
        ("expected_reward_sem", expected.sem_expected_reward),
        ("win_rate_sem", expected.sem_win_rate),
    ]:
        got = np.array([float(r[column]) for r in rows])
        np.testing.assert_allclose(got, values, rtol=1e-12, atol=1e-15, err_msg=column)
    # an existing output is replaced only with --force
    again = bonkl("bank", bank_csv, "--csv", out_csv, "--ns", "1,3", cwd=tmp_path)
    assert_one_line_error(again, "curves.csv exists", "--force")
    again = bonkl("bank", bank_csv, "--csv", out_csv, "--ns", "1,3", "--force", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert out_csv.read_text().count("\n") == 3


def test_refuses_to_overwrite_foreign_files(bank_csv, tmp_path, bonkl):
    mine = tmp_path / "mine.csv"
    mine.write_text("keep me\n")
    result = bonkl("bank", bank_csv, "--csv", mine, cwd=tmp_path)
    assert_one_line_error(result, "mine.csv exists", "--force")
    assert mine.read_text() == "keep me\n"
    forced = bonkl(
        "bank", bank_csv, "--csv", mine, "--force", "--no-logprob", "--ns", "2", cwd=tmp_path
    )
    assert forced.returncode == 0, forced.stderr
    header = (
        "n,groups_counted,groups_counted_win_rate,kl_bound,kl_plugin,kl_plugin_sem,expected_reward,"
        "expected_reward_sem,win_rate,win_rate_sem"
    )
    assert mine.read_text().splitlines()[0] == header


def test_jsonl_with_custom_columns(tmp_path, bonkl):
    path = tmp_path / "bank.jsonl"
    path.write_text(
        "".join(
            json.dumps({"q": f"q{g}", "score": r}) + "\n"
            for g, r in zip(GROUPS, REWARDS, strict=True)
        )
    )
    result = bonkl(
        "bank",
        path,
        "--group-col",
        "q",
        "--reward-col",
        "score",
        "--no-logprob",
        "--ns",
        "1,2,9",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "kl_estimate" not in result.stdout
    # summary, header, rule, three rows, a blank line and why the win rate is NaN at n = 9
    assert result.stdout.count("\n") == 8


@pytest.mark.parametrize(
    ("make", "extra", "fragments"),
    [
        (None, [], ["missing.csv: no such file"]),
        (
            "prompt_id,reward,logprob\na,1,-1\nb,x,-2\n",
            [],
            ["row 2, line 3, column 'reward'", "'x'"],
        ),
        ("prompt_id,reward\na,1\n", ["--logprob-col", "lp"], ["no column 'lp'", "--no-logprob"]),
        ("prompt_id,reward\na,1\n", ["--eval-col", "gold"], ["no column 'gold'", "--eval-col"]),
        (
            "prompt_id,reward\na,1\na,2\nb,3\n",
            ["--ns", "1,2,100"],
            ["--ns 100 exceeds every group's size (largest N = 2)"],
        ),
        (
            "prompt_id,reward,logprob\na,1,-1\na,2,-1\n",
            ["--ns", "1.5"],
            ["--ns: expected integers >= 1", "'1.5'"],
        ),
        ("prompt_id,reward,logprob\na,1,-1\n", ["--plot", "x.svg"], ["x.svg", ".png"]),
    ],
)
def test_errors_are_one_line(tmp_path, make, extra, fragments, bonkl):
    path = tmp_path / "missing.csv"
    if make is not None:
        path = tmp_path / "bank.csv"
        path.write_text(make)
    assert_one_line_error(bonkl("bank", path, *extra, cwd=tmp_path), *fragments)


def write_gold_bank(path):
    gold = np.round(REWARDS + RNG.normal(size=REWARDS.shape[0]), 1)
    rows = "".join(
        f"{g},{r},{lp},{e},{-e}\n"
        for g, r, lp, e in zip(GROUPS, REWARDS, LOGPROBS, gold, strict=True)
    )
    path.write_text("prompt_id,reward,logprob,gold,human\n" + rows)
    return gold


def test_eval_cols_json_csv_and_plot(tmp_path, bonkl):
    path = tmp_path / "gold.csv"
    gold = write_gold_bank(path)
    out_csv, out_png = tmp_path / "curves.csv", tmp_path / "over.png"
    args = ["--eval-col", "gold", "--eval-col", "human", "--ns", "1,2,4,9"]
    result = bonkl("bank", path, *args, "--json", "--csv", out_csv, "--plot", out_png, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    expected = bank_curves(
        REWARDS,
        [1, 2, 4, 9],
        logprobs=LOGPROBS,
        groups=GROUPS,
        evaluate={"gold": gold, "human": -gold},
    )
    assert data["n"] == [1, 2, 4, 9] and data["n_groups"] == 12
    for name in ("gold", "human"):
        for key, values in [
            (f"evaluated[{name}]", expected.mean_evaluated[name]),
            (f"evaluated[{name}]_sem", expected.sem_evaluated[name]),
            (f"evaluated_win_rate[{name}]", expected.mean_evaluated_win_rate[name]),
            (f"evaluated_win_rate[{name}]_sem", expected.sem_evaluated_win_rate[name]),
        ]:
            got = np.array([np.nan if v is None else v for v in data[key]], dtype=float)
            np.testing.assert_allclose(got, values, rtol=1e-12, atol=1e-15, err_msg=key)
    assert data["evaluated_win_rate[gold]"][-1] is None  # n = N: null in JSON, not NaN
    assert any("held out" in note for note in data["notes"])
    assert "win_rate_sem" in data and "kl_estimate_sem" in data
    with open(out_csv) as handle:
        header = next(csv.reader(handle))
    assert "evaluated[gold]" in header and "evaluated_win_rate[human]_sem" in header
    (width, height), size = png_size(out_png)
    assert width >= 1000 and height >= 400 and size > 30_000


def test_table_says_when_groups_change_with_n(tmp_path, bonkl):
    path = tmp_path / "uneven.csv"
    path.write_text(
        "prompt_id,reward\n"
        + "".join(f"{g},{r}\n" for g, r in [("a", 1), ("a", 2), ("a", 3), ("b", 0), ("b", 5)])
    )
    result = bonkl("bank", path, "--ns", "1,2,3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "| 3 | 1* |" in result.stdout and "groups averaged change with n" in result.stdout


def test_bank_figure_leaves_pyplot_alone():
    code = (
        "import sys, matplotlib; before = matplotlib.get_backend(); "
        "from bonkl_fast.bank import bank_curves; from bonkl_fast.bank_plot import bank_figure; "
        "c = bank_curves([0., 1, 2, 3], groups=[0, 0, 1, 1], evaluate={'g': [1., 0, 0, 1]}); "
        "fig = bank_figure(c, 'g', title='t'); "
        "assert type(fig).__name__ == 'Figure' and len(fig.axes) == 2; "
        "assert 'matplotlib.pyplot' not in sys.modules; "
        "assert matplotlib.get_backend() == before; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "MPLBACKEND": "svg"},
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
