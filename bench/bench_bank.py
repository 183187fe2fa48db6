"""Benchmark of bonkl_fast.bank_curves against a straightforward pandas + gammaln version.

Run:  python bench/bench_bank.py            (full: 1e6 prompts x 16 samples; 1e3 x 1e4)
      python bench/bench_bank.py --quick    (1e4 prompts x 16; 100 x 1e3)

Case A: P prompts x 16 samples (rows shuffled), all n = 1..16, with log-probs.
Case B: P prompts x N samples, ns = 1..N log-spaced.
Case C: case A's bank with one evaluation column (a gold score): bonkl_fast with it
against bonkl_fast without it (the cost of ``evaluate=``), and against a Coste et
al.-style baseline (per prompt, Python big-integer binomials ``math.comb``, proxy
ties broken by sort order, expected gold score only) on the first prompts.
Each method runs in its own child process on the same data (saved once as .npy);
"peak MB" is the peak resident set size during the timed runs above the resident
size before them (Linux: the peak is reset through /proc/self/clear_refs and read
from VmHWM; elsewhere resource.getrusage, which includes loading the data).
"CPU s" is the process CPU time of one run (all threads): on a shared machine it
is steadier than wall time. The pandas version
(``groupby(...).apply`` per prompt, ``scipy.special.gammaln`` binomials, vectorized
over n within a prompt) is far too slow for all prompts: it runs on the first
prompts only and the table compares per-row rates. Both are checked to agree
on those prompts. Times are medians over the repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _machine import machine_line
from _memory import peak_extra
from _timing import cpu_and_wall


def make_bank(prompts: int, samples: int, seed: int):
    """Shuffled rows: integer prompt ids, rewards with some ties, log-probs."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(prompts, dtype=np.int64), samples)
    rewards = np.round(rng.normal(size=groups.shape[0]), 2)  # 2 decimals: ties happen
    logprobs = -rng.gamma(2.0, 20.0, size=groups.shape[0])
    gold = np.round(rewards + rng.normal(size=groups.shape[0]), 1)  # gold = proxy + noise
    perm = rng.permutation(groups.shape[0])
    return groups[perm], rewards[perm], logprobs[perm], gold[perm]


NAMES = ("groups", "rewards", "logprobs", "gold")


# ------------------------------------------------------------------ pandas side


def pandas_curves(frame, ns):
    """What a user writes: per prompt, sort, gammaln binomial weights, ties share equally."""
    import pandas as pd
    from scipy.special import gammaln

    ns = np.asarray(ns, dtype=float)

    def log_binom(a, b):  # log C(a, b)
        return gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1)

    def one(g):
        g = g.sort_values("reward", kind="stable")
        r, lp = g["reward"].to_numpy(), g["logprob"].to_numpy()
        size = r.shape[0]
        n = ns[:, None]
        rank = np.arange(1, size + 1)[None, :]
        low = np.searchsorted(r, r, "left")  # samples strictly below
        high = np.searchsorted(r, r, "right")  # samples at or below
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            w = np.where(rank >= n, np.exp(log_binom(rank - 1, n - 1) - log_binom(size, n)), 0.0)
            cum = np.concatenate([np.zeros((n.shape[0], 1)), np.cumsum(w, axis=1)], axis=1)
            w = (cum[:, high] - cum[:, low]) / (high - low)  # ties share their level's weight
            eps = np.exp(lp)
            a = np.exp(n * np.log1p(-eps))
            b = -np.expm1(n * np.log1p(-eps))
            est_terms = a * (np.log(n) + (n - 1) * np.log1p(-eps) - (n - 1) / n) + np.where(
                b > 0, b * np.log(b / eps), 0.0
            )

            def u(x):
                return np.where(x >= n, np.exp(log_binom(x, n) - log_binom(size - 1, n)), 0.0)

            loss = (u(low) + u(high - 1)).sum(axis=1) / (2 * size)
            level = (high / size) ** n - (low / size) ** n
            share = level / (high - low)  # each tied sample's share of its level
            plug = np.where(level > 0, share * np.log(level * size / (high - low)), 0)
        valid = ns <= size
        out = np.full((4, ns.shape[0]), np.nan)
        out[0] = np.where(valid, w @ r, np.nan)
        out[1] = np.where(ns < size, 1 - loss, np.nan)
        out[2] = np.where(valid, (w * est_terms).sum(axis=1), np.nan)
        out[3] = np.where(valid, plug.sum(axis=1), np.nan)
        return pd.Series(out.ravel())

    result = frame.groupby("prompt_id", sort=False)[["reward", "logprob"]].apply(one)
    return result.to_numpy().reshape(-1, 4, ns.shape[0])


def coste_style(frame, ns):
    """Expected gold score of best-of-n per prompt with exact big-integer binomials (the way
    Coste et al.'s public code does it): sort by proxy (ties by sort order), weight rank i by
    comb(i - 1, n - 1) / comb(N, n) in Python integers."""
    import math

    out = []
    for _, g in frame.groupby("prompt_id", sort=False):
        g = g.sort_values("reward", kind="stable")
        gold = g["gold"].tolist()
        size = len(gold)
        row = []
        for n in ns:
            if n > size:
                row.append(math.nan)
                continue
            denominator = math.comb(size, n)  # exact integers, one true division per weight
            row.append(sum(math.comb(i, n - 1) / denominator * x for i, x in enumerate(gold)))
        out.append(row)
    return np.array(out)


# ------------------------------------------------------------------ children


def child(method: str, data: Path, ns, repeats: int, prompts: int | None) -> dict:
    groups, rewards, logprobs, gold = (np.load(data / f"{name}.npy") for name in NAMES)
    if prompts is not None:
        keep = groups < prompts  # ids are 0..P-1: the first `prompts` prompts, rows in file order
        groups, rewards, logprobs, gold = groups[keep], rewards[keep], logprobs[keep], gold[keep]
    if method in ("bonkl", "bonkl-eval"):
        from bonkl_fast.bank import bank_curves

        scores = {"gold": gold} if method == "bonkl-eval" else None
        warm = {"gold": gold[:64]} if scores else None
        bank_curves(rewards[:64], [1, 2], logprobs=logprobs[:64], groups=groups[:64], evaluate=warm)

        def run():
            return bank_curves(rewards, ns, logprobs=logprobs, groups=groups, evaluate=scores)
    elif method == "coste":
        import pandas as pd

        frame = pd.DataFrame({"prompt_id": groups, "reward": rewards, "gold": gold})

        def run():
            return coste_style(frame, ns)
    else:
        import pandas as pd

        frame = pd.DataFrame({"prompt_id": groups, "reward": rewards, "logprob": logprobs})

        def run():
            return pandas_curves(frame, ns)

    (cpu, times), extra, _ = peak_extra(lambda: cpu_and_wall(run, repeats))
    return {
        "rows": int(rewards.shape[0]),
        "prompts": int(np.unique(groups).shape[0]),
        "median_s": float(np.median(times)),
        "times": times,
        "cpu_s": float(np.median(cpu)),
        "peak_extra_mb": extra / 2**20,
    }


def run_child(method, data, ns, repeats, prompts=None) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        method,
        "--data",
        str(data),
        "--ns",
        ",".join(map(str, ns)),
        "--repeats",
        str(repeats),
    ]
    if prompts is not None:
        command += ["--prompts", str(prompts)]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def agreement(data: Path, ns, prompts: int) -> float:
    """Max abs difference between the two methods on the first prompts (all four curves)."""
    import pandas as pd

    from bonkl_fast.bank import bank_curves

    groups = np.load(data / "groups.npy")
    keep = groups < prompts
    g, r, lp = (np.load(data / f"{name}.npy")[keep] for name in NAMES[:3])
    mine = bank_curves(r, ns, logprobs=lp, groups=g)
    theirs = pandas_curves(pd.DataFrame({"prompt_id": g, "reward": r, "logprob": lp}), ns)
    ours = np.stack([mine.expected_reward, mine.win_rate, mine.kl_estimate, mine.kl_plugin], 1)
    both = np.isfinite(ours) & np.isfinite(theirs)
    assert (np.isfinite(ours) == np.isfinite(theirs)).all()
    return float(np.max(np.abs(ours[both] - theirs[both])))


def case(label, prompts, samples, ns, pandas_prompts, repeats, seed, rows_out):
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        arrays = make_bank(prompts, samples, seed)
        for name, arr in zip(NAMES, arrays, strict=True):
            np.save(data / f"{name}.npy", arr)
        fast = run_child("bonkl", data, ns, repeats)
        slow = run_child("pandas", data, ns, max(1, repeats // 2), prompts=pandas_prompts)
        diff = agreement(data, ns, min(pandas_prompts, 200))
    rate_fast = fast["rows"] / fast["median_s"]
    rate_slow = slow["rows"] / slow["median_s"]
    cpu_ratio = (slow["cpu_s"] / slow["rows"]) / (fast["cpu_s"] / fast["rows"])
    rows_out.append(
        f"| {label} | {len(ns)} | bonkl_fast | {fast['rows']:,} | {fast['median_s']:.2f} | "
        f"{fast['cpu_s']:.2f} | {rate_fast:,.0f} | {fast['peak_extra_mb']:,.0f} | |"
    )
    rows_out.append(
        f"| {label} | {len(ns)} | pandas+gammaln ({slow['prompts']:,} prompts) | "
        f"{slow['rows']:,} | {slow['median_s']:.2f} | {slow['cpu_s']:.2f} | {rate_slow:,.0f} | "
        f"{slow['peak_extra_mb']:,.0f} | **{rate_fast / rate_slow:,.0f}x** wall per row, "
        f"{cpu_ratio:,.0f}x CPU per row (max abs diff {diff:.1e}) |"
    )
    print("\n".join(rows_out[-2:]), file=sys.stderr, flush=True)  # progress


def coste_agreement(data: Path, ns, prompts: int) -> float:
    """Max abs difference from the Coste-style values on the first prompts, with the proxy's
    ties broken by sort order (as that code does) by passing the stable-sort ranks as rewards."""
    import pandas as pd

    from bonkl_fast.bank import bank_curves

    groups = np.load(data / "groups.npy")
    keep = groups < prompts
    g, r, gold = (np.load(data / f"{name}.npy")[keep] for name in ("groups", "rewards", "gold"))
    frame = pd.DataFrame({"prompt_id": g, "reward": r, "gold": gold})
    theirs = coste_style(frame, ns)
    order = np.lexsort((np.arange(r.shape[0]), r, g))  # by group, reward, then row (stable)
    ranks = np.empty(r.shape[0])
    ranks[order] = np.arange(r.shape[0])  # distinct, in each group's stable-sort order
    ours = bank_curves(ranks, ns, groups=g, evaluate={"gold": gold}).evaluated["gold"]
    return float(np.max(np.abs(ours - theirs)))


def evaluation_case(label, prompts, ns, coste_prompts, repeats, seed, rows_out):
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        for name, arr in zip(NAMES, make_bank(prompts, 16, seed), strict=True):
            np.save(data / f"{name}.npy", arr)
        plain = run_child("bonkl", data, ns, repeats)
        scored = run_child("bonkl-eval", data, ns, repeats)
        coste = run_child("coste", data, ns, max(1, repeats // 2), prompts=coste_prompts)
        diff = coste_agreement(data, ns, min(coste_prompts, 200))
    rate = scored["rows"] / scored["median_s"]
    rate_coste = coste["rows"] / coste["median_s"]
    for name, result, note in [
        ("bonkl_fast, no evaluation", plain, ""),
        (
            "bonkl_fast, evaluate={'gold': ...}",
            scored,
            f"evaluation costs **{scored['median_s'] / plain['median_s']:.2f}x** the time "
            f"(CPU {scored['cpu_s'] / plain['cpu_s']:.2f}x)",
        ),
        (
            f"Coste-style big integers ({coste['prompts']:,} prompts, gold score only)",
            coste,
            f"**{rate / rate_coste:,.0f}x** wall per row (max abs diff {diff:.1e})",
        ),
    ]:
        rows_out.append(
            f"| {label} | {len(ns)} | {name} | {result['rows']:,} | {result['median_s']:.2f} | "
            f"{result['cpu_s']:.2f} | {result['rows'] / result['median_s']:,.0f} | "
            f"{result['peak_extra_mb']:,.0f} | {note} |"
        )
    print("\n".join(rows_out[-3:]), file=sys.stderr, flush=True)


def large_prompt_case(size, n, rows_out):
    """One prompt of ``size`` samples and one n: where big-integer binomials hurt most."""
    import pandas as pd

    from bonkl_fast.bank import bank_curves

    groups, rewards, _, gold = make_bank(1, size, 4)
    frame = pd.DataFrame({"prompt_id": groups, "reward": rewards, "gold": gold})
    bank_curves(rewards[:64], [1], evaluate={"gold": gold[:64]})  # JIT warm
    times = []
    for _ in range(5):
        start = time.perf_counter()
        ours = bank_curves(rewards, [n], evaluate={"gold": gold})
        times.append(time.perf_counter() - start)
    fast = float(np.median(times))
    start = time.perf_counter()
    theirs = coste_style(frame, [n])
    slow = time.perf_counter() - start
    tie = abs(ours.evaluated["gold"][0, 0] - theirs[0, 0])  # tie-break differs: not 0
    rows_out.append(
        f"| 1 prompt x {size:,}, n = {n}, one evaluation column | 1 | bonkl_fast (all four "
        f"curves + gold score and win rate) vs Coste-style (gold score only) | {size:,} | "
        f"{fast:.4f} | | | | **{slow / fast:,.0f}x** ({slow:.2f} s; difference {tie:.1e} from "
        "breaking proxy ties by sort order) |"
    )
    print(rows_out[-1], file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--child", choices=["bonkl", "bonkl-eval", "pandas", "coste"], help=argparse.SUPPRESS
    )
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ns", help=argparse.SUPPRESS)
    parser.add_argument("--prompts", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        ns = np.array([int(x) for x in args.ns.split(",")])
        print(json.dumps(child(args.child, args.data, ns, args.repeats, args.prompts)))
        return
    print(machine_line("pandas", "scipy"))
    print(
        f"command: python bench/bench_bank.py{' --quick' if args.quick else ''}"
        f" --repeats {args.repeats}; load average before: {os.getloadavg()[0]:.2f}\n"
    )
    rows = [
        "| case | len(ns) | method | rows | median s | CPU s | rows/s | peak MB | speedup |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    quick = (10_000, 100, 1_000)
    a_prompts, b_prompts, b_samples = quick if args.quick else (1_000_000, 1_000, 10_000)
    case(
        f"{a_prompts:,} prompts x 16, n = 1..16",
        a_prompts,
        16,
        np.arange(1, 17),
        500 if args.quick else 2_000,
        args.repeats,
        1,
        rows,
    )
    ns_b = np.unique(np.geomspace(1, b_samples, 41).round().astype(int))
    case(
        f"{b_prompts:,} prompts x {b_samples:,}, log-spaced n",
        b_prompts,
        b_samples,
        ns_b,
        5 if args.quick else 10,
        args.repeats,
        2,
        rows,
    )
    evaluation_case(
        f"{a_prompts:,} prompts x 16, n = 1..16, one evaluation column",
        a_prompts,
        np.arange(1, 17),
        200 if args.quick else 2_000,
        args.repeats,
        3,
        rows,
    )
    size = 1_000 if args.quick else 12_600
    large_prompt_case(size, size // 2, rows)
    print("\n".join(rows))
    print(
        f"\nload average after: {os.getloadavg()[0]:.2f} (2 cores; above ~0.5 other work "
        "competes for the CPU and wall times grow)"
    )


if __name__ == "__main__":
    main()
