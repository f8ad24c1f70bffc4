"""The `rnndyn` command: thin glue over the public API."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .fixedpoints import FixedPoints, find_fixed_points
from .initial_states import sample_states
from .network import ESN
from .tasks import FlipFlop
from .training import train_force


def flipflop(args: argparse.Namespace) -> dict[str, object]:
    """Train a Table 1 network on the n-bit flip-flop, test it, and write the results."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    task = FlipFlop(args.bits, seed=args.seed)
    net = ESN(args.n, args.bits, args.bits, g=args.g, tau=args.tau, dt=args.dt,
              activation=args.activation, seed=args.seed)
    started = time.perf_counter()
    history = train_force(net, task.sample(args.train_steps), train_every=args.train_every,
                          alpha=args.alpha, snapshot_every=args.snapshot_every,
                          progress=args.progress)
    train_seconds = time.perf_counter() - started
    test = net.run(task.sample(args.test_steps), progress=args.progress)
    summary: dict[str, object] = {
        "bits": args.bits, "n": args.n, "seed": args.seed,
        "train_steps": args.train_steps, "test_steps": args.test_steps,
        "train_seconds": round(train_seconds, 3),
        "train_mse_last_1000": float((history.errors[-1000:] ** 2).mean()),
        "test_mse": test.mse,
        "test_accuracy": FlipFlop.accuracy(test.outputs, test.targets),
    }
    if args.states > 0:
        # start from a test run that holds every pattern, so that no memory goes unsampled
        tour = net.run(task.sample_patterns())
        summary["pattern_tour_accuracy"] = FlipFlop.accuracy(tour.outputs, tour.targets)
        started = time.perf_counter()
        starts = sample_states(tour.states, args.states, seed=args.seed)
        fps = find_fixed_points(net, starts, n_jobs=args.n_jobs, progress=args.progress)
        summary["fixed_point_seconds"] = round(time.perf_counter() - started, 3)
        summary["fixed_points"] = _describe(fps, net)
        fps.save(out / "fixed_points.npz")
    net.save(out / "network.npz")
    history.save(out / "history.npz")
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _describe(fps: FixedPoints, net: ESN) -> dict[str, object]:
    """Counts by kind and label, and the outputs z = W_o φ(x) of the stable fixed points."""
    kinds, kind_counts = np.unique(fps.kind, return_counts=True)
    fixed = fps[fps.kind == "fixed"]
    labels, label_counts = np.unique(fixed.label, return_counts=True)
    stable = fps.stable
    return {
        "unique_points": len(fps),
        "by_kind": {str(k): int(c) for k, c in zip(kinds, kind_counts, strict=True)},
        "fixed_by_label": {str(k): int(c) for k, c in zip(labels, label_counts, strict=True)},
        "stable_fixed_points": len(stable),
        "max_q_of_fixed_points": float(fixed.q.max()) if len(fixed) else None,
        "stable_outputs": np.round(net.output_of(stable.points), 3).tolist(),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rnndyn", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    flip = commands.add_parser("flipflop", help="train, test and analyse an n-bit flip-flop")
    flip.add_argument("--bits", type=int, default=3)
    flip.add_argument("--n", type=int, default=1000, help="number of units")
    flip.add_argument("--seed", type=int, default=0)
    flip.add_argument("--g", type=float, default=1.5)
    flip.add_argument("--tau", type=float, default=10.0)
    flip.add_argument("--dt", type=float, default=1.0)
    flip.add_argument("--alpha", type=float, default=1.0)
    flip.add_argument("--activation", choices=["tanh", "logistic"], default="tanh")
    flip.add_argument("--train-every", type=int, default=2)
    flip.add_argument("--train-steps", type=int, default=30_000)
    flip.add_argument("--test-steps", type=int, default=5_000)
    flip.add_argument("--snapshot-every", type=int, default=100)
    flip.add_argument("--states", type=int, default=256,
                      help="starting states for the fixed-point search (0: none)")
    flip.add_argument("--n-jobs", type=int, default=2, help="threads for the fixed points")
    flip.add_argument("--out", default="results", help="output folder")
    flip.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True)
    flip.set_defaults(run=flipflop)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = args.run(args)
    except (ValueError, TypeError) as exc:
        print(f"rnndyn: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
