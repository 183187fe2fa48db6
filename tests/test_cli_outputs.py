"""Output files of the ``bonkl`` command are never lost (issue 14, item 2).

Files named by the user are never replaced without ``--force``; only the folder
``reproduce --out`` owns keeps a marker; nothing is written through a symlink;
every file is moved into place whole; unwritable outputs are refused up front.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bonkl_fast.cli import _output
from bonkl_fast.cli._output import CliError, OwnedFolder, check_writable, write_text

PROCESSES = 12


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def leftovers(folder: Path) -> list[str]:
    """Temporary or probe files bonkl left behind."""
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp") or "probe" in p.name]


# ------------------------------------------------------------- user-named files


def test_user_file_never_replaced_without_force(tmp_path):
    path = tmp_path / "curves.csv"
    write_text(path, "first\n", force=False)
    assert path.read_text() == "first\n"
    with pytest.raises(CliError, match="exists; pass --force"):
        write_text(path, "second\n", force=False)  # even a file bonkl wrote itself
    assert path.read_text() == "first\n"
    write_text(path, "third\n", force=True)
    assert path.read_text() == "third\n"
    assert not (tmp_path / _output.MARKER_NAME).exists()  # no marker in the user's folder
    assert leftovers(tmp_path) == []


def test_results_final_csv_does_not_make_final_csv_bonkls(tmp_path):
    """The old marker was read with .split(): "results final.csv" vouched for final.csv."""
    (tmp_path / "final.csv").write_text("the user's own\n")
    write_text(tmp_path / "results final.csv", "bonkl's\n", force=False)
    with pytest.raises(CliError, match="final.csv exists"):
        check_writable(tmp_path / "final.csv", force=False)
    # an owned folder whose marker lists "results final.csv" (one name per line)
    (tmp_path / _output.MARKER_NAME).write_text("results final.csv\nsummary.csv\n")
    folder = OwnedFolder(tmp_path)
    assert folder.names() == {"results final.csv", "summary.csv"}
    with pytest.raises(CliError, match="final.csv exists"):
        folder.check(["final.csv"], force=False)
    folder.check(["results final.csv"], force=False)  # listed: bonkl's to rewrite
    assert (tmp_path / "final.csv").read_text() == "the user's own\n"


def test_results_final_csv_through_bonkl_bank(tmp_path, bonkl):
    bank = tmp_path / "bank.csv"
    bank.write_text("prompt_id,reward\n" + "".join(f"{i % 3},{i % 5}\n" for i in range(30)))
    (tmp_path / "final.csv").write_text("the user's own\n")
    first = bonkl("bank", bank, "--no-logprob", "--csv", "results final.csv", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    second = bonkl("bank", bank, "--no-logprob", "--csv", "final.csv", cwd=tmp_path)
    assert_one_line_error(second, "final.csv", "--force")
    assert (tmp_path / "final.csv").read_text() == "the user's own\n"
    assert second.stdout == ""  # refused before the table was computed


# ---------------------------------------------------------------------- symlinks


@pytest.mark.parametrize("dangling", [False, True])
def test_symlink_at_output_path_refused(tmp_path, dangling):
    target = tmp_path / "elsewhere.txt"
    if not dangling:
        target.write_text("precious\n")
    link = tmp_path / "out.csv"
    link.symlink_to(target)
    for force in (False, True):
        with pytest.raises(CliError, match="symbolic link"):
            write_text(link, "data\n", force=force)
    assert target.read_text() == "precious\n" if not dangling else not target.exists()
    assert link.is_symlink()


@pytest.mark.parametrize("dangling", [False, True])
def test_reproduce_refuses_symlink_in_its_folder(tmp_path, dangling, bonkl):
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "victim.csv"
    if not dangling:
        target.write_text("precious\n")
    (out / "summary.csv").symlink_to(target)
    (out / _output.MARKER_NAME).write_text("summary.csv\n")  # even if bonkl wrote it once
    result = bonkl("reproduce", "--out", out, "--size", "100", "--force")
    assert_one_line_error(result, "summary.csv", "symbolic link")
    assert result.stdout == ""
    assert target.read_text() == "precious\n" if not dangling else not target.exists()


def test_symlinked_marker_refused(tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("x\n")
    (tmp_path / _output.MARKER_NAME).symlink_to(other)
    with pytest.raises(CliError, match="symbolic link"):
        OwnedFolder(tmp_path).check(["summary.csv"], force=False)
    assert other.read_text() == "x\n"


# ------------------------------------------------------------ interrupted writes


class FailingFigure:
    """A figure whose PNG writer dies half way (as on Ctrl-C)."""

    def __init__(self, error: BaseException):
        self.error = error

    def savefig(self, handle, **kwargs):
        handle.write(b"\x89PNG\r\n\x1a\n" + b"half a figure" * 100)
        raise self.error


@pytest.mark.parametrize("error", [KeyboardInterrupt(), OSError(28, "No space left on device")])
def test_interrupted_write_leaves_no_partial_file(tmp_path, error):
    new = tmp_path / "fig.png"
    with pytest.raises(type(error)):
        _output.save_figure(FailingFigure(error), new, force=False)
    assert not new.exists()
    old = tmp_path / "old.png"
    old.write_bytes(b"complete old figure")
    with pytest.raises(type(error)):
        _output.save_figure(FailingFigure(error), old, force=True)
    assert old.read_bytes() == b"complete old figure"
    assert leftovers(tmp_path) == []


def test_interrupted_text_write_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "table.csv"
    write_text(path, "old,complete\n", force=False)

    def dies(handle):
        handle.write(b"new,part")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _output.write_atomic(path, dies, force=True)
    assert path.read_text() == "old,complete\n"
    assert leftovers(tmp_path) == []


# ----------------------------------------------------------- checked up front


def test_unwritable_outputs_refused_before_computing(tmp_path, bonkl):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    result = bonkl("reproduce", "--out", a_file / "out")
    assert_one_line_error(result, str(a_file), "not a folder")
    assert result.stdout == ""  # nothing computed or printed
    result = bonkl("reproduce", "--out", "/proc/bonkl-out")  # read-only even for root
    assert_one_line_error(result, "/proc/bonkl-out")
    assert result.stdout == ""
    with pytest.raises(CliError, match="is a folder"):
        check_writable(tmp_path, force=True)
    with pytest.raises(CliError, match="cannot write /proc/x.csv"):
        check_writable(Path("/proc/x.csv"), force=True)


def test_folder_is_made_when_missing(tmp_path):
    path = tmp_path / "new" / "deeper" / "t.csv"
    check_writable(path, force=False)
    assert not (tmp_path / "new").exists()  # checking creates nothing
    write_text(path, "ok\n", force=False)
    assert path.read_text() == "ok\n"


# -------------------------------------------------------- concurrent processes

WRITER = textwrap.dedent(
    """
    import sys, time
    from bonkl_fast.cli._output import CliError, OwnedFolder, write_text
    folder, index, start = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    while time.time() < start:
        pass
    OwnedFolder(folder).write_text(f"run {index}.csv", f"{index}\\n" * 1000)
    write_text(f"{folder}/user {index}.csv", f"{index}\\n", force=False)
    try:
        write_text(f"{folder}/shared.csv", f"{index}\\n" * 1000, force=False)
        print("won")
    except CliError as exc:
        print("refused:", exc)
    """
)


def test_concurrent_writers_keep_every_entry(tmp_path):
    start = time.time() + 3.0  # all processes start writing at the same moment
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), str(i), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    outputs = [proc.communicate(timeout=300) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), outputs
    names = OwnedFolder(tmp_path).names()
    assert names == {f"run {i}.csv" for i in range(PROCESSES)}
    for i in range(PROCESSES):
        assert (tmp_path / f"run {i}.csv").read_text() == f"{i}\n" * 1000
        assert (tmp_path / f"user {i}.csv").read_text() == f"{i}\n"
    # one writer created shared.csv whole; every other one was refused, none replaced it
    won = [out for out, _ in outputs if out.startswith("won")]
    assert len(won) == 1, outputs
    assert all("shared.csv exists" in out for out, _ in outputs if not out.startswith("won"))
    lines = (tmp_path / "shared.csv").read_text().splitlines()
    assert len(lines) == 1000 and len(set(lines)) == 1
    assert leftovers(tmp_path) == []
    assert os.listdir(tmp_path).count(_output.MARKER_NAME) == 1


def test_marker_that_is_a_folder_refused(tmp_path):
    (tmp_path / _output.MARKER_NAME).mkdir()
    with pytest.raises(CliError, match="is not a file"):
        OwnedFolder(tmp_path).check(["summary.csv"], force=True)
