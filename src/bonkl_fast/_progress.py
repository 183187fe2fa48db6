"""The one progress reporter of long runs: the library's draws and the CLI's stages."""

from __future__ import annotations

import math
import sys
import time

__all__ = ["Progress"]


class Progress:
    """Progress on stderr once a run has lasted ``delay`` seconds; silent before.

    Two ways to report: :meth:`update` draws a bar of ``done / total`` (the
    library's Monte Carlo draws), :meth:`stage` names the next of ``total``
    stages as ``[k/N] what`` (the ``bonkl`` command). On a terminal the line is
    overwritten; elsewhere each report is a line of its own (rate-limited for
    bars; stages only with ``verbose=True``, so pipes and logs stay clean).
    """

    def __init__(
        self, total: int, label: str, delay: float = 1.0, stream=None, verbose: bool = False
    ):
        self.total, self.label, self.delay, self.verbose = total, label, delay, verbose
        self.stream = sys.stderr if stream is None else stream
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.perf_counter()
        self.last = -math.inf
        self.shown = False
        self.stages_done = 0

    def stage(self, what: str) -> None:
        """Report the start of the next stage, ``[k/N] what``."""
        self.stages_done += 1
        line = f"[{self.stages_done}/{self.total}] {what}"
        if self.verbose:
            self.stream.write(line + "\n")
        elif self.tty:
            end = "\n" if self.stages_done == self.total else ""
            self.stream.write(f"\r{line:<72}{end}")
        else:
            return
        self.stream.flush()

    def update(self, done: int) -> None:
        now = time.perf_counter()
        elapsed = now - self.start
        if elapsed < self.delay or (
            now - self.last < (0.2 if self.tty else 5.0) and done < self.total
        ):
            return
        self.last, self.shown = now, True
        frac = done / self.total if self.total else 1.0
        eta = elapsed * (1 - frac) / frac if frac > 0 else float("nan")
        bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
        text = f"{self.label} [{bar}] {100 * frac:5.1f}%  {done:,}/{self.total:,}  "
        text += f"{elapsed:.0f}s elapsed, {eta:.0f}s left"
        self.stream.write(("\r" + text) if self.tty else (text + "\n"))
        self.stream.flush()

    def close(self) -> None:
        if self.shown and self.tty:
            self.stream.write("\n")
            self.stream.flush()
