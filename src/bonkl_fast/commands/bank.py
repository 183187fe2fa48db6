"""``bonkl bank FILE``: best-of-n curves from a file of scored samples (MATH §7)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from . import _common
from ._common import CliError

EXAMPLES = """\
  bonkl bank samples.csv
  bonkl bank samples.jsonl --reward-col score --group-col question --ns 1,2,4,8,16
  bonkl bank samples.parquet --no-logprob --csv curves.csv --plot curves.png
"""


def register(subparsers) -> None:
    parser = _common.new_command(
        subparsers,
        "bank",
        "Best-of-n expected reward, win rate and KL for every n, from N scored samples "
        "per prompt (CSV, JSON Lines or Parquet; one row per sample).",
        EXAMPLES,
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="the bank of scored samples")
    parser.add_argument(
        "--reward-col", default="reward", metavar="NAME", help="reward column (default: reward)"
    )
    parser.add_argument(
        "--logprob-col",
        default="logprob",
        metavar="NAME",
        help="sequence log-prob column, natural log (default: logprob)",
    )
    parser.add_argument(
        "--no-logprob", action="store_true", help="the file has no log-probs: skip the KL estimate"
    )
    parser.add_argument(
        "--group-col",
        default="prompt_id",
        metavar="NAME",
        help="prompt/group id column (default: prompt_id)",
    )
    parser.add_argument("--no-group", action="store_true", help="all rows form one group")
    parser.add_argument("--ns", metavar="LIST", help="n values, e.g. 1,2,4,8 (default: 1..min N)")
    parser.add_argument("--csv", type=Path, metavar="OUT", help="write the averaged curves as CSV")
    parser.add_argument(
        "--plot",
        type=Path,
        metavar="OUT.png",
        help="plot expected reward against the KL bound, estimate and plug-in KL",
    )
    _common.add_output_flags(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..bank import bank_curves
    from ..io import read_bank

    for out in (args.csv, args.plot):
        if out is not None:
            _common.check_writable(out, args.force)
    if args.plot is not None and args.plot.suffix.lower() != ".png":
        raise CliError(f"{args.plot}: --plot writes a PNG file; give it a .png name")
    ns = None if args.ns is None else _common.parse_float_list(args.ns, "--ns")
    try:
        bank = read_bank(
            args.file,
            reward=args.reward_col,
            logprob=None if args.no_logprob else args.logprob_col,
            group=None if args.no_group else args.group_col,
        )
    except ImportError as exc:
        raise CliError(str(exc)) from None
    except ValueError as exc:
        message = str(exc)
        if "no column" in message:
            message = message.split("; choose")[0] + (
                "; choose it with --reward-col/--logprob-col/--group-col "
                "(or --no-logprob, --no-group)"
            )
        raise CliError(message) from None
    _common.say(args, f"read {bank.rewards.shape[0]} samples from {args.file}")
    curves = bank_curves(bank.rewards, ns, logprobs=bank.logprobs, groups=bank.groups)
    sizes = curves.n_samples
    print(
        f"{args.file}: {sizes.shape[0]} groups, {int(sizes.sum())} samples, "
        f"N from {int(sizes.min())} to {int(sizes.max())}; KL in nats, means over groups"
    )
    print(curves.to_markdown(), end="")
    if args.csv is not None:
        _common.write_text(args.csv, curves.to_csv(), args.force)
        _common.say(args, f"wrote {args.csv}")
    if args.plot is not None:
        _plot(curves, args.plot, title=args.file.name)
        _common.say(args, f"wrote {args.plot}")
    return 0


def _plot(curves, path: Path, title: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise CliError("--plot needs matplotlib; pip install bonkl_fast[plot]") from None
    reward = curves.mean_expected_reward
    series = [("folklore bound log n - (n-1)/n", curves.kl_bound, "o--")]
    if curves.mean_kl_estimate is not None:
        series.append(("KL estimate (from log-probs)", curves.mean_kl_estimate, "s-"))
    series.append(("plug-in KL (resampling the bank)", curves.mean_kl_plugin, "^-"))
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for label, kl, style in series:
        keep = np.isfinite(kl) & np.isfinite(reward)
        ax.plot(kl[keep], reward[keep], style, label=label, markersize=4)
    ax.set_xlabel("KL(best-of-n || reference) [nats]")
    ax.set_ylabel("expected reward of best-of-n (mean over prompts)")
    ax.set_title(f"best-of-n from {title}")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    plt.close(fig)
    _common.record_output(path)
