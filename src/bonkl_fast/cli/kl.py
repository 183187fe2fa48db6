"""``bonkl kl``: exact best-of-n KL, bound, estimator, saturation and win rate."""

from __future__ import annotations

import json

from ._common import new_command, parse_float_list
from ._distribution import add_distribution_flags, distribution_from_args

EXAMPLES = """\
  bonkl kl --probs 0.5,0.3,0.2 --rewards 1,2,3 -n 1,4,16,1e6
  bonkl kl --file answers.csv -n 1,10,100 --json
  bonkl kl --file dist.json --prob-col p --reward-col score
"""

COLUMNS = (
    "n",
    "kl_exact",
    "kl_bound",
    "kl_estimate",
    "kl_saturation",
    "win_rate",
    "win_rate_bound",
)


def register(subparsers) -> None:
    parser = new_command(
        subparsers,
        "kl",
        "Exact best-of-n KL and win rate of a discrete reference, next to the folklore values.",
        EXAMPLES,
    )
    add_distribution_flags(parser)
    parser.add_argument(
        "-n",
        dest="ns",
        default="1,2,4,8,16,64,256,1024,1e4,1e6",
        help="comma-separated n values, any real n >= 1 (default: 1,2,4,...,1e6)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=run)


def compute(probs, rewards, ns, *, normalize: bool = False) -> dict:
    """All columns of ``bonkl kl`` as a dict of lists (what ``--json`` prints)."""
    from ..exact import kl_bound, win_rate_bound
    from ..reference import Reference

    reference = Reference(probs, rewards, normalize=normalize)  # validated and sorted once
    kl, win = reference.kl_and_win_rate(ns)
    return {
        "n": ns.tolist(),
        "kl_exact": kl.tolist(),
        "kl_bound": kl_bound(ns).tolist(),
        "kl_estimate": reference.kl_estimate_expected(ns).tolist(),
        "kl_saturation": [reference.saturation] * len(ns),
        "win_rate": win.tolist(),
        "win_rate_bound": win_rate_bound(ns).tolist(),
    }


def run(args) -> int:
    from .reference_suite import format_table

    probs, rewards = distribution_from_args(args)
    ns = parse_float_list(args.ns, "-n", minimum=1)
    result = compute(probs, rewards, ns, normalize=args.normalize)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        rows = list(zip(*(result[c] for c in COLUMNS), strict=True))
        print(format_table(rows, COLUMNS))
    return 0


__all__ = ["compute", "register", "run"]
