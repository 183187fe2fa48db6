"""Every command-line mistake is one clear line with exit status 2 (issue 13; issue 14, 10/12)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import bonkl_fast as bk
from bonkl_fast import cli
from bonkl_fast.cli import _common


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


INLINE = ("--probs", "0.5,0.5", "--rewards", "0,1")


@pytest.mark.parametrize(
    "args, fragments",
    [
        (("kl", "--probs", "0.5,0.6", "--rewards", "1,2"), ("--normalize",)),
        (("simulate", "--probs", "0.5,0.6", "--rewards", "1,2"), ("--normalize",)),
        (("kl", *INLINE, "-n", "1,,4"), ("-n", "item 2", "empty")),
        (("kl", *INLINE, "-n", "1,4,"), ("-n", "item 3", "empty")),
        (("kl", "--probs", "0.5,,0.5", "--rewards", "0,1"), ("--probs", "empty")),
        (("kl", *INLINE, "-n", "1_000"), ("-n", "'1_000' is not a number")),
        (("kl", "--probs", "1" + "0" * 400 + ",1", "--rewards", "0,1"), ("--probs", "too large")),
        (("reproduce", "--size", "0", "--no-figures"), ("--size",)),
        (("reproduce", "--size", "2.5", "--no-figures"), ("--size",)),
        (("reproduce", "--seed", "-1"), ("--seed", "'-1'")),
        (("reproduce", "--seed", "x", "--no-figures"), ("--seed", "'x'")),
        (("reproduce", "--seed", str(2**128), "--no-figures"), ("--seed", "at most 2**128 - 1")),
        (("simulate", *INLINE, "-n", "9007199254740993"), ("-n", "9007199254740993", "2**53")),
        (("simulate", *INLINE, "-n", "1e400"), ("-n",)),
        (("simulate", *INLINE, "--seed", "-1"), ("--seed", "'-1'")),
        (("simulate", *INLINE, "--seed", "1.5"), ("--seed",)),
        (("simulate", *INLINE, "-n", "4", "--size", "1e400"), ("--size",)),
        (("simulate", *INLINE, "--size", "2e11"), ("--size", "at most 1e+11 draws per run")),
    ],
)
def test_mistakes_are_one_line_exit_2(tmp_path, args, fragments, bonkl):
    line = assert_one_line_error(bonkl(*args, cwd=tmp_path), *fragments)
    assert "normalize=True" not in line
    assert list(tmp_path.iterdir()) == []  # reproduce refused before writing anything


@pytest.mark.parametrize(
    "args, hint",
    [
        (["reproduce", "--out", "{tmp}/out"], "(or pass --no-figures)"),
        (["bank", "{tmp}/bank.csv", "--plot", "{tmp}/curves.png"], "--plot needs"),
    ],
)
def test_missing_matplotlib_is_one_line_before_any_work(monkeypatch, capsys, tmp_path, args, hint):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    (tmp_path / "bank.csv").write_text("prompt_id,reward\na,1\na,2\n")
    assert cli.main([a.format(tmp=tmp_path) for a in args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "needs matplotlib: pip install 'bonkl_fast[plot]'" in err and hint in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bank.csv"]


@pytest.mark.parametrize(
    "args, advice",
    [
        (["bank", "{path}", "--group-col", "q"], "; name it with --group-col (or --no-group)"),
        (["bank", "{path}", "--logprob-col", "lp"], "--logprob-col (or --no-logprob)"),
        (["bank", "{path}", "--reward-col", "score"], "; name it with --reward-col"),
        (["bank", "{path}", "--eval-col", "gold"], "; name it with --eval-col"),
        (["kl", "--file", "{path}"], "; name it with --prob-col"),
        (["kl", "--file", "{path}", "--prob-col", "reward", "--reward-col", "r"], "--reward-col"),
    ],
)
def test_missing_column_names_its_option(capsys, tmp_path, args, advice):
    path = tmp_path / "d.csv"
    path.write_text("prompt_id,reward\na,1\n")
    assert cli.main([a.format(path=path) for a in args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no column" in err and err.rstrip().endswith(advice)


def test_negative_numbers_are_values(bonkl):
    result = bonkl("kl", "--probs", "0.5,0.5", "--rewards", "-1,2", "-n", "1,4", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["kl_exact"] == bk.kl_exact([0.5, 0.5], [-1, 2], [1, 4]).tolist()
    result = bonkl("kl", "--probs", "0.5,0.5", "--rewards=-1e5,-2", "-n", "4", "--json")
    assert json.loads(result.stdout)["win_rate"] == [bk.win_rate([0.5, 0.5], [-1e5, -2], 4)]
    result = bonkl("kl", "--probs", "0.5,0.5", "--rewards", "-.5,-1e-3", "-n", "-3")
    assert_one_line_error(result, ">= 1")  # -3 reached the library as a value of -n


def test_attach_negative_values():
    attach = cli.attach_negative_values
    assert attach(["--rewards", "-1,2"]) == ["--rewards=-1,2"]
    assert attach(["-n", "-3", "--json"]) == ["-n-3", "--json"]
    assert attach(["--rewards", "1,2", "--json"]) == ["--rewards", "1,2", "--json"]
    assert attach(["--", "-1"]) == ["--", "-1"]


def test_integers_parsed_exactly():
    assert _common.parse_number("9007199254740993", "-n") == 2**53 + 1
    assert _common.parse_number("1e6", "-n") == 10**6
    assert isinstance(_common.parse_number("2.0", "-n"), int)
    assert _common.parse_number("2.5", "-n") == 2.5
    assert _common.parse_number("inf", "-n") == float("inf")  # the library refuses inf
    for huge in ("1e999", "-1e309", "9" * 400):  # finite as written: not silently inf
        with pytest.raises(_common.CliError, match="too large for a 64-bit float"):
            _common.parse_number(huge, "-n")
    assert not isinstance(_common.parse_number("2.0000000000000001", "-n"), int)
    for bad in ("nan", "1_000", "0x10", ""):
        with pytest.raises(_common.CliError, match="is not a number"):
            _common.parse_number(bad, "-n")
    assert _common.parse_count("1e3", "--size", 2) == 1000


@pytest.mark.parametrize(
    "error", [OverflowError("int too large"), ValueError("bad\nvalue"), RecursionError("deep")]
)
def test_library_errors_become_one_line(monkeypatch, capsys, error):
    from bonkl_fast.cli import kl

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(kl, "compute", fail)
    assert cli.main(["kl", "--probs", "1", "--rewards", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("bonkl kl: error: ")


def test_huge_json_and_long_csv_field_one_line(tmp_path, bonkl):
    path = tmp_path / "d.json"
    path.write_text('{"prob": [1e309, 1], "reward": [0, 1]}')
    assert_one_line_error(bonkl("kl", "--file", path), "d.json")
    path = tmp_path / "d.csv"
    path.write_text('prob,reward\n1,"' + "1" * 200_000 + '"\n')
    assert_one_line_error(bonkl("kl", "--file", path))
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    assert_one_line_error(bonkl("kl", "--file", path), "deep.json")


IMPORTS = """
import sys
from bonkl_fast import cli
try:
    cli.main(sys.argv[1:])
except SystemExit:
    pass
print(sorted(m for m in ("numba", "scipy", "matplotlib") if m in sys.modules), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [["--version"], ["--help"], *([c, "--help"] for c in cli.COMMANDS)],
)
def test_version_and_help_import_no_kernels(args):
    result = subprocess.run(
        [sys.executable, "-c", IMPORTS, *args], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "[]"
    assert ("bonkl " + bk.__version__ if args == ["--version"] else "usage:") in result.stdout


def test_parse_float_list_values():
    np.testing.assert_array_equal(_common.parse_float_list(" 1, 4 ,1e6", "-n"), [1, 4, 1e6])


def test_interrupt_inside_numba_is_exit_130(monkeypatch, capsys):
    """Ctrl-C during a Numba call arrives as SystemError caused by KeyboardInterrupt."""
    from bonkl_fast.cli import kl

    def interrupted(*args, **kwargs):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise SystemError("CPUDispatcher returned a result with an exception set") from exc

    monkeypatch.setattr(kl, "compute", interrupted)
    assert cli.main(["kl", "--probs", "1", "--rewards", "0"]) == 130
    assert capsys.readouterr().err == "bonkl: interrupted\n"

    def other(*args, **kwargs):
        raise SystemError("a real bug")

    monkeypatch.setattr(kl, "compute", other)
    with pytest.raises(SystemError, match="a real bug"):  # bugs keep their traceback
        cli.main(["kl", "--probs", "1", "--rewards", "0"])


@pytest.mark.parametrize(
    "args, option, value",
    [
        (("simulate", *INLINE, "-n", "9007199254740992.5", "--size", "10"), "-n", None),
        (("simulate", *INLINE, "-n", "2.0000000000000001", "--size", "10"), "-n", None),
        (("simulate", *INLINE, "-n", "2", "--size", "10.000000000000001"), "--size", None),
        (("reproduce", "--size", "10.000000000000001", "--no-figures"), "--size", None),
        (("bank", "{bank}", "--ns", "1,2.0000000000000001"), "--ns", "2.0000000000000001"),
        (("bank", "{bank}", "--ns", "1,1.5"), "--ns", "1.5"),
    ],
)
def test_integer_options_refuse_non_integers_exactly(tmp_path, args, option, value, bonkl):
    """A float would round these to integers (2**53, 2, 10): the exact text is checked."""
    bank = tmp_path / "bank.csv"
    bank.write_text("prompt_id,reward\na,1\na,2\n")
    args = [a.format(bank=bank) for a in args]
    value = value or args[args.index(option) + 1]
    line = assert_one_line_error(bonkl(*args, cwd=tmp_path), f"{option}: ", repr(value))
    assert "integer" in line


LONG = "9" * 400


@pytest.mark.parametrize(
    "args",
    [
        ("kl", *INLINE, "-n", LONG + ",,4"),
        ("kl", *INLINE, "-n", "x" * 400),
        ("kl", "--probs", "0.5," + "y" * 400, "--rewards", "0,1"),
        ("simulate", *INLINE, "--seed", "z" * 400),
        ("simulate", *INLINE, "--size", "1" + "0" * 300),
        ("simulate", *INLINE, "--method", "w" * 400),  # argparse's own message
        ("kl", "--file", "v" * 400 + ".csv"),  # the OS's message, naming the path
        ("kl", "--file", "{bank}", "--prob-col", "u" * 400),  # the reader's message
        ("bank", "{bank}", "--reward-col", "t" * 400),
        ("kl", "--file", "{bank}", "--prob-col", "a " * 200),  # words, each short
        ("kl", "--file", "{bank}", "--sep", "b " * 200),
        ("bank", "{bank}", "--plot", "c " * 200 + ".png"),
        ("kl", "d " * 200),  # argparse: unrecognized arguments
        ("kl", *INLINE, *["e"] * 200),
    ],
)
def test_echoed_values_are_cut(tmp_path, args, bonkl):
    bank = tmp_path / "bank.csv"
    bank.write_text("prompt_id,reward,prob\na,1,1\n")
    line = assert_one_line_error(bonkl(*[a.format(bank=bank) for a in args], cwd=tmp_path))
    assert len(line) < 240 and "..." in line, line


def test_direct_limit_names_the_options(bonkl):
    """The library's limit on method='direct', said in command-line words, checked first."""
    from bonkl_fast.sampling import MAX_DIRECT_DRAWS

    n = 2**14
    size = MAX_DIRECT_DRAWS // n + 1  # just over the limit
    with pytest.raises(ValueError, match="method='direct'"):  # the library refuses too
        bk.simulate_best_of_n([0.5, 0.5], [0, 1], n, size, rng=0, method="direct")
    for n_text, size_text in ((str(n), str(size)), ("1e9", "100")):
        result = bonkl("simulate", *INLINE, "--method", "direct", "-n", n_text, "--size", size_text)
        line = assert_one_line_error(
            result, "--method direct", "-n ", "--size ", "--method inverse"
        )
        assert "--probs" not in line and "method='direct'" not in line


@pytest.mark.parametrize("value", [LONG, "1e400", "-1e400"])
def test_huge_n_same_message_in_kl_and_simulate(value, bonkl):
    lines = [
        assert_one_line_error(bonkl(command, *INLINE, "-n", value), "too large for a 64-bit float")
        for command in ("kl", "simulate")
    ]
    assert lines[0].replace("bonkl kl", "bonkl simulate") == lines[1]
    assert lines[1].startswith("bonkl simulate: error: -n: ")


@pytest.mark.parametrize(
    "args, prefix",
    [
        (("kl", *INLINE, "-n", "-2"), "bonkl kl: error: -n: "),
        (("kl", *INLINE, "-n", "4,0.5"), "bonkl kl: error: -n: "),
        (("simulate", *INLINE, "-n", "-2"), "bonkl simulate: error: -n: "),
        (("bank", "{bank}", "--ns", "0"), "bonkl bank: error: --ns: "),
        (("bank", "{bank}", "--ns", "1,-inf"), "bonkl bank: error: --ns: "),
    ],
)
def test_range_errors_name_their_option(tmp_path, args, prefix, bonkl):
    bank = tmp_path / "bank.csv"
    bank.write_text("prompt_id,reward\na,1\na,2\n")
    line = assert_one_line_error(bonkl(*[a.format(bank=bank) for a in args]), ">= 1")
    assert line.startswith(prefix), line


def test_usage_errors_are_one_line(bonkl):
    line = assert_one_line_error(bonkl("simulate", *INLINE, "--method", "fast"), "--method")
    assert "invalid choice: 'fast'" in line and "bonkl simulate --help" in line
    assert_one_line_error(bonkl("frobnicate"), "invalid choice: 'frobnicate'")
    assert_one_line_error(bonkl("kl", "--rewards"), "--rewards", "expected one argument")


def test_a_reader_that_leaves_early_is_not_an_error():
    """``bonkl kl ... | head -c 1``: the pipe closes mid-table; no error line, exit 141."""
    ns = ",".join(str(n) for n in range(1, 6001))
    command = [sys.executable, "-m", "bonkl_fast.cli", "kl", "--probs", ".5,.5"]
    command += ["--rewards", "0,1", "-n", ns]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.read(1)
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    lines = [line for line in err.decode().splitlines() if "compiling kernels" not in line]
    assert lines == [] and proc.returncode == 141
