"""Ctrl-C stops long Monte Carlo runs (issue 14 item 9).

Long runs go in batches of chunks, one kernel call each; Python handles SIGINT
between calls. Each test starts the run in a subprocess, waits until it has
started, sends SIGINT and expects the process to stop (generous timeout, no
timing assertion).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

LONG_SIMULATION = """
import bonkl_fast as bk
args = ([0.5, 0.3, 0.2], [1.0, 2.0, 3.0], 1000)
bk.simulate_best_of_n(*args, 10**5, rng=0)  # compiled or loaded before the long run
print("started", flush=True)
bk.simulate_best_of_n(*args, 10**11, rng=0)  # about an hour
print("finished", flush=True)
"""


def interrupt(command: list[str], marker: str, stream: str = "stdout"):
    """Run ``command``, wait for a line starting with ``marker`` on ``stream``, send SIGINT."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    try:
        for line in getattr(proc, stream):
            seen.append(line)
            if line.startswith(marker):
                break
        time.sleep(1.0)  # well inside the long run
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    if stream == "stdout":
        out = "".join(seen) + out
    else:
        err = "".join(seen) + err
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def test_sigint_stops_a_long_simulation():
    result = interrupt([sys.executable, "-c", textwrap.dedent(LONG_SIMULATION)], "started")
    assert result.stdout.splitlines() == ["started"]
    assert result.returncode != 0
    assert "KeyboardInterrupt" in result.stderr


def test_sigint_stops_bonkl_simulate_with_exit_130():
    command = [sys.executable, "-m", "bonkl_fast.cli", "simulate", "--verbose", "--seed", "1"]
    command += ["--probs", "0.5,0.3,0.2", "--rewards", "1,2,3", "-n", "1000", "--size", "1e11"]
    result = interrupt(command, "simulating", "stderr")
    assert result.returncode == 130, result.stderr[-2000:]
    assert "interrupted" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_direct_method_at_huge_n_is_refused_not_run(bonkl):
    """`bonkl simulate --method direct -n 9007199254740992 --size 2` ignored Ctrl-C for 10 min."""
    args = ["simulate", "--probs", "0.5,0.5", "--rewards", "0,1", "--method", "direct"]
    result = bonkl(*args, "-n", "9007199254740992", "--size", "2")
    assert result.returncode == 2
    assert "direct" in result.stderr and "inverse" in result.stderr
    assert "Traceback" not in result.stderr
