"""Peak resident memory of a piece of work, for the benchmarks' "peak MB" lines.

On Linux the kernel's peak counter is reset through ``/proc/self/clear_refs`` and
read from ``VmHWM``, so the peak is that of the work alone; elsewhere
``resource.getrusage`` gives the process's peak so far, which may include
earlier work (the lines say which was used).
"""

from __future__ import annotations

import resource
import sys


def _status(field: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    return 0


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS counter (Linux >= 4.0); False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def rss_now() -> int:
    """Resident set size now, bytes (0 where /proc is missing)."""
    try:
        return _status("VmRSS:")
    except OSError:
        return 0


def peak_extra(fn):
    """Run ``fn()``; return ``(result, bytes of peak RSS above the RSS before it, exact)``."""
    exact = reset_peak()
    before = rss_now()
    result = fn()
    if exact:
        peak = _status("VmHWM:")
    else:  # ru_maxrss is in kB on Linux, bytes on macOS
        scale = 1 if sys.platform == "darwin" else 1024
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    return result, max(peak - before, 0), exact
