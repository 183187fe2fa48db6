"""The machine description every benchmark prints next to its table."""

from __future__ import annotations

import importlib
import os
import platform
from pathlib import Path


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo (or platform.processor())."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return cpu


def machine_line(*extra_packages: str) -> str:
    """``machine: CPU, cores, OS, Python, NumPy, Numba (threads, layer), extras, load``.

    ``extra_packages`` (e.g. ``"pandas"``, ``"pyarrow"``) add their versions. The
    load average is part of the line because the ratios depend on it.
    """
    import numba
    import numpy as np

    versions = [f"Python {platform.python_version()}", f"NumPy {np.__version__}"]
    versions.append(f"Numba {numba.__version__} ({numba.get_num_threads()} threads)")
    for name in extra_packages:
        versions.append(f"{name} {importlib.import_module(name).__version__}")
    load = "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    return (
        f"machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.machine()}; {', '.join(versions)}; {load}"
    )
