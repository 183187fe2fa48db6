"""``bonkl bank FILE``: best-of-n curves from a file of scored samples (MATH §7, §11)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from . import _common, _output
from ._common import CliError

EXAMPLES = """\
  bonkl bank samples.csv
  bonkl bank samples.jsonl --reward-col score --group-col question --ns 1,2,4,8,16
  bonkl bank samples.parquet --eval-col gold --plot overoptimization.png --csv curves.csv
  bonkl bank samples.csv --eval-col gold --eval-col human --json
"""


def register(subparsers) -> None:
    parser = _common.new_command(
        subparsers,
        "bank",
        "Best-of-n expected reward, win rate and KL for every n, from N scored samples "
        "per prompt (CSV, JSON Lines or Parquet; one row per sample); with --eval-col, "
        "the score and win rate under other scores (gold reward, human label) of the "
        "sample best-of-n picks by the reward, with standard errors across prompts.",
        EXAMPLES,
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="the bank of scored samples")
    parser.add_argument(
        "--reward-col",
        default="reward",
        metavar="NAME",
        help="reward column best-of-n selects by (default: reward)",
    )
    parser.add_argument(
        "--logprob-col",
        metavar="NAME",
        help="sequence log-prob column, natural log (default: logprob, when the file has it)",
    )
    parser.add_argument(
        "--no-logprob", action="store_true", help="ignore log-probs: skip the KL estimate"
    )
    parser.add_argument(
        "--group-col",
        default="prompt_id",
        metavar="NAME",
        help="prompt/group id column (default: prompt_id)",
    )
    parser.add_argument("--no-group", action="store_true", help="all rows form one group")
    parser.add_argument(
        "--eval-col",
        action="append",
        default=[],
        metavar="NAME",
        help="another score of each sample to evaluate the pick by (repeatable), e.g. gold",
    )
    parser.add_argument("--sep", metavar="CHAR", help="CSV separator (default: detected)")
    parser.add_argument(
        "--ns",
        metavar="LIST",
        help="n values, e.g. 1,2,4,8 (default: 1..32, then 4 per doubling up to min N)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--csv", type=Path, metavar="OUT", help="write the averaged curves and sems as CSV"
    )
    parser.add_argument(
        "--plot",
        type=Path,
        metavar="OUT.png",
        help="plot score and win rate against KL, with 95%% bands (needs matplotlib)",
    )
    _common.add_output_flags(parser)
    parser.set_defaults(func=run)


def _read(args: argparse.Namespace):
    from .. import io

    try:
        return io.read_bank(
            args.file,
            reward=args.reward_col,
            logprob=None if args.no_logprob else (args.logprob_col or io.LOGPROB),
            group=None if args.no_group else args.group_col,
            evaluate=args.eval_col,
            sep=args.sep,
        )
    except (ImportError, OSError, ValueError) as exc:
        flags = {column: "--eval-col" for column in args.eval_col}
        flags[args.group_col] = "--group-col (or --no-group)"
        flags[args.logprob_col] = "--logprob-col (or --no-logprob)"
        flags[args.reward_col] = "--reward-col"
        raise _common.reading_error(exc, flags) from None


def run(args: argparse.Namespace) -> int:
    from ..bank import bank_curves

    for out in (args.csv, args.plot):
        if out is not None:
            _output.check_writable(out, args.force)
    if args.plot is not None and args.plot.suffix.lower() != ".png":
        raise CliError(f"{args.plot}: --plot writes a PNG file; give it a .png name")
    if args.plot is not None:
        _common.require_matplotlib("--plot")
    ns = (
        None
        if args.ns is None
        else _common.parse_float_list(args.ns, "--ns", minimum=1, integers=True)
    )
    bank = _read(args)
    _common.say(args, f"read {bank.rewards.shape[0]} samples from {args.file}")
    curves = bank_curves(
        bank.rewards, ns, logprobs=bank.logprobs, groups=bank.groups, evaluate=bank.evaluate or None
    )
    _check_ns_fit(curves)
    sizes = curves.n_samples
    if args.json:
        result = {"file": str(args.file), **curves.to_dict()}
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{args.file}: {sizes.shape[0]} groups, {int(sizes.sum())} samples, "
            f"N from {int(sizes.min())} to {int(sizes.max())}; KL in nats, means over groups"
        )
        print(curves.to_markdown(), end="")
    if args.csv is not None:
        _output.write_text(args.csv, curves.to_csv(), args.force)
        _common.say(args, f"wrote {args.csv}")
    if args.plot is not None:
        from ..bank_plot import bank_figure

        _output.save_figure(bank_figure(curves, title=args.file.name), args.plot, args.force)
        _common.say(args, f"wrote {args.plot}")
    return 0


def _check_ns_fit(curves) -> None:
    """Refuse n values larger than every group (they would be rows of NaN over 0 groups)."""
    largest = int(curves.n_samples.max())
    too_big = curves.ns[curves.ns > largest]
    if too_big.size:
        raise CliError(
            f"--ns {too_big[0]} exceeds every group's size (largest N = {largest}); "
            "best-of-n from a bank needs n <= N"
        )
