"""Benchmark of bonkl_fast.read_bank against pandas reading the same file.

Run:  python bench/bench_io.py            (1e6 rows: prompt id, reward, log-prob)
      python bench/bench_io.py --quick    (1e5 rows)

Each reader runs in its own child process on the same files (written once):
``read_bank`` with pyarrow, ``read_bank`` with the standard library only (pyarrow
blocked; CSV only), and what a user would write with pandas (``read_csv``,
``read_json(lines=True)``, ``read_parquet``). "peak MB" is the child's peak
resident set size during the timed runs above its size before them
(``_memory.peak_extra``). "CPU s" is the process CPU time of one run (all threads),
steadier than wall time on a shared machine. Times are medians over the
repeats; the ratios are read_bank's time over pandas' on the same file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _machine import machine_line
from _memory import peak_extra

READERS = {
    "csv": ("read_bank", "read_bank stdlib", "pandas.read_csv"),
    "jsonl": ("read_bank", "pandas.read_json"),
    "parquet": ("read_bank", "pandas.read_parquet"),
}


def write_files(folder: Path, rows: int, seed: int = 0) -> dict:
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "prompt_id": [f"q{i}" for i in rng.integers(0, rows // 16, size=rows)],
            "reward": np.round(rng.normal(size=rows), 4),
            "logprob": -rng.gamma(2.0, 20.0, size=rows),
        }
    )
    paths = {kind: folder / f"bank.{kind}" for kind in READERS}
    frame.to_csv(paths["csv"], index=False)
    frame.to_json(paths["jsonl"], orient="records", lines=True)
    frame.to_parquet(paths["parquet"], index=False)
    return paths


def child(method: str, path: str, repeats: int) -> None:
    """Time ``method`` on ``path`` in this process; print JSON (seconds, peak MB, rows)."""
    if method.endswith("stdlib"):
        for name in ("pyarrow", "pyarrow.csv", "pyarrow.json", "pyarrow.compute"):
            sys.modules[name] = None  # import fails like when pyarrow is missing
    import pandas as pd

    from bonkl_fast.io import read_bank

    def run():
        if method.startswith("read_bank"):
            return read_bank(path).rewards.shape[0]
        if method == "pandas.read_csv":
            return len(pd.read_csv(path))
        if method == "pandas.read_parquet":
            return len(pd.read_parquet(path))
        return len(pd.read_json(path, lines=True))

    run()  # imports and first-call costs are not timed
    times, cpu = [], []

    def timed():
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            rows = run()
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        return rows

    rows, peak, _ = peak_extra(timed)
    result = {"seconds": np.median(times), "cpu": np.median(cpu), "peak_mb": peak / 2**20}
    print(json.dumps({"rows": rows, **{k: float(v) for k, v in result.items()}}))


def measure(method: str, path: Path, repeats: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", method, str(path), str(repeats)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1e5 rows instead of 1e6")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return
    rows = 10**5 if args.quick else 10**6
    repeats = 3 if args.quick else 5
    print(machine_line("pandas", "pyarrow"))
    print(f"{rows:,} rows (prompt_id str, reward, logprob); median of {repeats} runs\n")
    print("| file    | reader              | wall s | CPU s | peak MB | wall ratio | CPU ratio |")
    print("|---------|---------------------|--------|-------|---------|------------|-----------|")
    with tempfile.TemporaryDirectory() as folder:
        paths = write_files(Path(folder), rows)
        for kind, methods in READERS.items():
            results = {m: measure(m, paths[kind], 1 if "stdlib" in m else repeats) for m in methods}
            assert len({r["rows"] for r in results.values()}) == 1, results
            pandas = results[methods[-1]]
            for method, r in results.items():
                print(
                    f"| {kind:<7} | {method:<19} | {r['seconds']:6.3f} | {r['cpu']:5.3f} | "
                    f"{r['peak_mb']:7.0f} | {r['seconds'] / pandas['seconds']:10.2f} | "
                    f"{r['cpu'] / pandas['cpu']:9.2f} |"
                )


if __name__ == "__main__":
    main()
