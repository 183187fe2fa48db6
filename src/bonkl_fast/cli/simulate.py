"""``bonkl simulate``: Monte Carlo best-of-n next to the exact values."""

from __future__ import annotations

import json
import secrets

from ._common import CliError, new_command, parse_count, say
from ._distribution import add_distribution_flags, distribution_from_args

EXAMPLES = """\
  bonkl simulate --probs 0.5,0.3,0.2 --rewards 1,2,3 -n 16
  bonkl simulate --file answers.csv -n 1e9 --size 1e7 --seed 1 --json
  bonkl simulate --file dist.json --prob-col p --reward-col score -n 4 --method direct
"""


def register(subparsers) -> None:
    parser = new_command(
        subparsers,
        "simulate",
        "Monte Carlo best-of-n (KL, win rate, reward, estimator) next to the exact values.",
        EXAMPLES,
    )
    add_distribution_flags(parser)
    parser.add_argument(
        "-n", dest="n", default="16", help="best-of-n, one integer >= 1 (default: 16)"
    )
    parser.add_argument("--size", default="1e6", help="number of best-of-n draws (default: 1e6)")
    parser.add_argument(
        "--seed",
        default=None,
        help="random seed (default: a fresh one, printed with the results)",
    )
    parser.add_argument(
        "--method",
        choices=("inverse", "direct"),
        default="inverse",
        help="inverse: O(log K) per draw (default); direct: n reference draws per "
        "selection, the literal procedure",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=run)


MAX_SIZE = 10**11  # draws per run: about an hour here, and its per-chunk seeds fit in memory


def run(args) -> int:
    from ..sampling import MAX_DIRECT_DRAWS
    from ..simulation import simulate_best_of_n

    probs, rewards = distribution_from_args(args)
    source = args.file if args.file is not None else "--probs/--rewards"
    n = parse_count(args.n, "-n", 1, 2**53, "2**53 (exact in a 64-bit float)")
    size = parse_count(args.size, "--size", 2, MAX_SIZE, f"{MAX_SIZE:.0e} draws per run")
    if args.method == "direct" and n * size > MAX_DIRECT_DRAWS:
        raise CliError(
            f"--method direct: -n {n:,} x --size {size:,} = {n * size:.3g} reference draws, "
            f"more than its limit {MAX_DIRECT_DRAWS:.3g} (seconds of work); use the default "
            "--method inverse (the same distribution, O(log K) per draw) or smaller -n or --size"
        )
    seed = secrets.randbits(32) if args.seed is None else parse_count(args.seed, "--seed", 0)
    say(args, f"simulating best-of-{args.n} with {size:,} draws, seed {seed}")
    try:
        result = simulate_best_of_n(
            probs,
            rewards,
            n,
            size,
            rng=seed,
            method=args.method,
            progress=True,
            normalize=args.normalize,
        )
    except ValueError as exc:
        raise CliError(f"{source}: {exc}") from None
    if args.json:
        print(
            json.dumps(
                {**result.to_dict(), "seed": seed, "outcomes": int(probs.shape[0])}, indent=2
            )
        )
    else:
        print(f"reference: {probs.shape[0]:,} outcomes from {source}; seed {seed}")
        print(result)
    return 0


__all__ = ["register", "run"]
