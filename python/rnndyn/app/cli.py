"""The `rnndyn` command: thin glue over the public API.

rnndyn flipflop --bits 3 --out DIR            train, test and analyse one network
rnndyn reproduce --figure all --quick --out DIR  the paper's figures 2 and 5-9
rnndyn fixed-points NET.npz --out DIR         analyse a saved network

flipflop and fixed-points also find the network's skeleton from the same starts (unless
--no-skeleton): skeleton.npz, "skeleton" in summary.json, skeleton.png.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..analysis.pca import PCA
from ..dynamics.graph import Skeleton
from ..dynamics.skeletonize import skeleton
from ..fixedpoints.result import FixedPoints, concatenate
from ..fixedpoints.search import find_fixed_points
from ..fixedpoints.starts import flipflop_starts, sample_states
from ..networks.activations import RATE_ACTIVATIONS
from ..networks.esn import ESN, RunResult
from ..tasks import FlipFlop
from .recipes import TABLE1, Table1, train_flipflop
from .reports import describe_skeleton, json_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure, SubFigure


def flipflop(args: argparse.Namespace) -> dict[str, Any]:
    """Train a Table 1 network on the n-bit flip-flop (for `flipflop_train_steps(bits)` steps
    unless --train-steps), test it, find its fixed points and its skeleton, and write the
    network, its history, the fixed points, the skeleton, summary.json and the figures."""
    out = _folder(args.out)
    clock = _Clock()
    table = Table1(
        args.n,
        args.g,
        args.alpha,
        args.tau,
        args.dt,
        args.train_every,
        args.train_steps,
        args.test_steps,
    )
    trained = train_flipflop(
        args.bits,
        args.seed,
        table,
        args.activation,
        snapshot_every=args.snapshot_every,
        progress=args.progress,
        n_jobs=args.n_jobs,
        clock=clock,
    )
    net, history, test = trained.net, trained.history, trained.test
    assert test.targets is not None  # the run of a task's sample has its targets
    summary: dict[str, Any] = {
        "bits": args.bits,
        "n": args.n,
        "seed": args.seed,
        "train_steps": table.training_steps(args.bits),
        "test_steps": args.test_steps,
        "train_mse_last_1000": float((history.errors[-1000:] ** 2).mean()),
        "test_mse": test.mse,
        "test_accuracy": FlipFlop.accuracy(test.outputs, test.targets),
    }
    net.save(out / "network.npz")
    history.save(out / "history.npz")
    fps, tour, sk = None, None, None
    if args.states > 0:
        with clock("fixed_points"):
            starts, tour = flipflop_starts(net, args.states, seed=args.seed)
            fps = find_fixed_points(net, starts, n_jobs=args.n_jobs, progress=args.progress)
        assert tour.targets is not None  # the tour runs through patterns with targets
        summary["pattern_tour_accuracy"] = FlipFlop.accuracy(tour.outputs, tour.targets)
        summary["fixed_points"] = _describe(fps, net)
        fps.save(out / "fixed_points.npz")
        sk = _skeleton(args, net, starts, clock, out, summary)
    if args.figures:
        with clock("figures"):
            from .. import plot

            _save(
                plot.training(history, test, train_targets=trained.train_targets),
                out / "training.png",
            )
            if fps is not None and tour is not None:
                _figures(net, fps, tour, sk, out)
    summary["seconds"] = clock.seconds
    return _write(out, summary)


def reproduce(args: argparse.Namespace) -> dict[str, Any]:
    """The paper's figures, quick or at full size."""
    from .study import FIGURES, FULL, QUICK, Study

    figures = FIGURES if args.figure == "all" else (int(args.figure),)
    networks = args.networks if args.networks is not None else 3 if args.quick else 10
    study = Study(
        _folder(args.out),
        QUICK if args.quick else FULL,
        seed=args.seed,
        n_jobs=args.n_jobs,
        progress=args.progress,
        log=lambda message: print(message, file=sys.stderr, flush=True),
        networks=networks,
    )
    return study.run(figures)


def fixed_points(args: argparse.Namespace) -> dict[str, Any]:
    """Fixed points (and the skeleton) of a saved network: starts from a tour of every pattern
    for a flip-flop network (inputs = outputs), else from a zero-input run from random
    states."""
    out = _folder(args.out)
    net = ESN.load(args.network)
    clock = _Clock()
    with clock("fixed_points"):
        if net.n_inputs == net.n_outputs:
            starts, run = flipflop_starts(net, args.states, seed=args.seed)
        else:
            run = _free_runs(net, args.seed)
            starts = sample_states(run.states, args.states, seed=args.seed)
        fps = find_fixed_points(net, starts, n_jobs=args.n_jobs, progress=args.progress)
    fps.save(out / "fixed_points.npz")
    summary: dict[str, Any] = {
        "network": str(args.network),
        "n": net.size,
        "inputs": net.n_inputs,
        "outputs": net.n_outputs,
        "fixed_points": _describe(fps, net),
    }
    sk = _skeleton(args, net, starts, clock, out, summary)
    if args.figures:
        with clock("figures"):
            _figures(net, fps, run, sk, out)
    summary["seconds"] = clock.seconds
    return _write(out, summary)


# -- the parts ---------------------------------------------------------------------------------
class _Clock:
    """Wall time of named steps: `with clock("train"): ...`; `seconds` holds them and a total."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._started = time.perf_counter()
        self._name = ""

    def __call__(self, name: str) -> _Clock:
        self._name = name
        return self

    def __enter__(self) -> None:
        self._step = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.seconds.pop("total", None)  # kept last
        self.seconds[self._name] = round(time.perf_counter() - self._step, 2)
        self.seconds["total"] = round(time.perf_counter() - self._started, 2)


def _describe(fps: FixedPoints, net: ESN) -> dict[str, Any]:
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
        "saddles_with_1_unstable_dim": int(np.sum(fixed.unstable_dims == 1)),
        "max_q_of_fixed_points": float(fixed.q.max()) if len(fixed) else None,
        "stable_outputs": np.round(net.output_of(stable.points), 3).tolist(),
    }


def _free_runs(net: ESN, seed: int) -> RunResult:
    """2000 steps at zero input from a random state (N(0, 1) per unit)."""
    copy = net.copy()
    copy.state = np.random.default_rng(seed).standard_normal(net.size)
    return copy.run(np.zeros((2000, net.n_inputs)))


# points this close are one (find_fixed_points' and skeleton's default tol_unique)
_TOL_UNIQUE = 1e-3


def _skeleton(
    args: argparse.Namespace,
    net: ESN,
    starts: np.ndarray,
    clock: _Clock,
    out: Path,
    summary: dict[str, Any],
) -> Skeleton | None:
    """With --skeleton: the skeleton from `starts` (timed as "skeleton"), saved as
    skeleton.npz and described in summary["skeleton"]; else None."""
    if not args.skeleton:
        return None
    with clock("skeleton"):
        sk = skeleton(net, starts, n_jobs=args.n_jobs)
    sk.save(out / "skeleton.npz")
    summary["skeleton"] = describe_skeleton(sk, net)
    return sk


def _figures(net: ESN, fps: FixedPoints, run: RunResult, sk: Skeleton | None, out: Path) -> None:
    """phase_portrait.png: `run` and the fixed points in the run's top 3 PCs, with the
    skeleton's fixed points and the branches of its 1-saddles; skeleton.png: the skeleton's
    graph."""
    from .. import plot

    if sk is not None:  # the skeleton's points too, so that each branch starts at a marker
        fps = concatenate([fps, sk.fixed_points], _TOL_UNIQUE)
    pca = PCA(3).fit(run.states)
    ax = plot.phase_portrait(
        pca,
        run.states,
        fps[fps.kind != "unconverged"],
        skeleton=sk,
        system=None if sk is None else net,
    )
    ax.set_title(
        f"N = {net.size}: {len(fps.stable)} stable points, "
        f"{int(np.sum(fps.unstable_dims[fps.kind == 'fixed'] > 0))} saddles"
    )
    _save(ax.figure, out / "phase_portrait.png")
    if sk is not None:
        ax = plot.skeleton_graph(sk, net.output_of(sk.attractor_states))
        ax.set_title(f"N = {net.size}: {len(sk)} attractors, {len(sk.edges)} 1-saddles")
        _save(ax.figure, out / "skeleton.png")


def _save(fig: Figure | SubFigure, path: Path) -> None:
    from ..plot._common import pyplot

    root = fig.figure  # fig itself (an Axes' figure is typed as possibly a subfigure)
    root.savefig(path, dpi=120)
    pyplot().close(root)


def _folder(path: str) -> Path:
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write(out: Path, summary: dict[str, Any]) -> dict[str, Any]:
    (out / "summary.json").write_text(json_text(summary))
    return summary


def _skeleton_option(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--skeleton",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also the skeleton (attractors, saddles, edges) from the same starts",
    )


def _reproduce_parser(
    again: argparse.ArgumentParser, common: Callable[[argparse.ArgumentParser, str], None]
) -> None:
    """The options of `rnndyn reproduce`; `common` adds --seed, --out and the like."""
    again.add_argument("--figure", choices=["2", "5", "6", "7", "8", "9", "all"], default="all")
    again.add_argument(
        "--quick",
        action="store_true",
        help="smaller searches and sweeps: minutes instead of the full sizes",
    )
    again.add_argument(
        "--networks",
        type=int,
        default=None,
        metavar="K",
        help="seeded networks per condition for the claims of figures 6-9 (default: 3 with "
        "--quick, else 10)",
    )
    common(again, "figures")
    again.set_defaults(run=reproduce)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnndyn", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def common(sub: argparse.ArgumentParser, out: str) -> None:
        sub.add_argument("--seed", type=int, default=0)
        sub.add_argument(
            "--n-jobs", type=int, default=2, help="threads for training, runs and fixed points"
        )
        sub.add_argument("--out", default=out, help="output folder")
        sub.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True)

    flip = commands.add_parser("flipflop", help="train, test and analyse an n-bit flip-flop")
    flip.add_argument("--bits", type=int, default=3)
    flip.add_argument("--n", type=int, default=TABLE1.n, help="number of units")
    flip.add_argument("--g", type=float, default=TABLE1.g)
    flip.add_argument("--tau", type=float, default=TABLE1.tau)
    flip.add_argument("--dt", type=float, default=TABLE1.dt)
    flip.add_argument("--alpha", type=float, default=TABLE1.alpha)
    flip.add_argument("--activation", choices=list(RATE_ACTIVATIONS), default="tanh")
    flip.add_argument("--train-every", type=int, default=TABLE1.train_every)
    flip.add_argument(
        "--train-steps",
        type=int,
        default=TABLE1.train_steps,
        help="FORCE steps (default: Table 1's 30,000 up to 3 bits, doubled for each bit "
        "beyond, see rnndyn.app.recipes.flipflop_train_steps)",
    )
    flip.add_argument("--test-steps", type=int, default=TABLE1.test_steps)
    flip.add_argument("--snapshot-every", type=int, default=100)
    flip.add_argument(
        "--states",
        type=int,
        default=256,
        help="starting states for the fixed-point search (0: none)",
    )
    flip.add_argument("--figures", action=argparse.BooleanOptionalAction, default=True)
    _skeleton_option(flip)
    common(flip, "results")
    flip.set_defaults(run=flipflop)

    again = commands.add_parser("reproduce", help="the paper's figures 2 and 5-9")
    _reproduce_parser(again, common)

    fixed = commands.add_parser("fixed-points", help="analyse a saved network (.npz)")
    fixed.add_argument("network", help="a network saved by ESN.save or `rnndyn flipflop`")
    fixed.add_argument("--states", type=int, default=256, help="starting states")
    fixed.add_argument("--figures", action=argparse.BooleanOptionalAction, default=True)
    _skeleton_option(fixed)
    common(fixed, "fixed_points")
    fixed.set_defaults(run=fixed_points)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = args.run(args)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"rnndyn: error: {exc}", file=sys.stderr)
        return 2
    print(json_text(result), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
