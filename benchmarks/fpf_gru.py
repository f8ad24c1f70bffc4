"""FixedPointFinder and rnndyn on the same GRU trained in PyTorch (issue 23).

FixedPointFinder's own PyTorch flip-flop example says that fixed-point finding in a GRU "is not
working as expected". This script trains a 16-unit `torch.nn.GRU` on the 3-bit flip-flop with
that example's data and training (tests/torch_flipflop.py, `Training(cell="gru")`), runs
FixedPointFinder on `model.rnn` as the example runs it on its RNN (benchmarks/fpf_example.py:
its settings, its own noisy starts, u = 0), and rnndyn's `find_fixed_points` and `skeleton` of
`rd.GRU.from_torch(model.rnn)` from the very same starts. Each of FixedPointFinder's points is
refined by rnndyn's Newton (float64) to tell fixed points from approximations; PyTorch's own
free runs from the starts say where the network's states come to rest.

    FIXED_POINT_FINDER_PATH=/path/to/fixed-point-finder python benchmarks/fpf_gru.py \\
        [--cache /tmp/fpf_gru.pt] [--out report.md]

Everything runs on one thread (torch, BLAS and rnndyn's n_jobs).
"""

from __future__ import annotations

import blas_threads

blas_threads.hold_to_one_thread()

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import fixedpointfinder  # noqa: E402
import numpy as np  # noqa: E402
import rnndyn as rd  # noqa: E402
import torch  # noqa: E402
from fpf_example import TOL_Q, Example, FinderRun, run_finder, trained_model  # noqa: E402
from markdown import table  # noqa: E402

RUN_STEPS = 2_000  # PyTorch's free runs at u = 0
AT_REST = 1e-8  # a run's end this close (max norm) to a stable point rests there
SAME_POINT = 1e-6  # two fixed points this close (max norm, after Newton) are one


def torch_free_run_ends(layer: torch.nn.GRU, starts: np.ndarray) -> np.ndarray:
    """(K, H): where PyTorch's own runs from each start are after RUN_STEPS steps at u = 0."""
    double = layer.double()
    zeros = torch.zeros(starts.shape[0], RUN_STEPS, double.input_size, dtype=torch.float64)
    with torch.no_grad():
        ends = double(zeros, torch.from_numpy(starts)[None])[1][0].numpy()
    layer.float()
    return ends


def refined(net: rd.GRU, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """q (float64) at each of FixedPointFinder's points, and rnndyn's Newton from each alone:
    the points it ends at (M, N) and q there."""
    zero = np.zeros(net.input_size)
    q_before = np.array([0.5 * np.sum(net.velocity(p, zero) ** 2) for p in points])
    ends = [rd.find_fixed_points(net, p[None], zero, n_jobs=1) for p in points]
    return (
        q_before,
        np.array([end.points[0] for end in ends]).reshape(points.shape),
        np.array([end.q[0] for end in ends]),
    )


def distinct(points: np.ndarray) -> np.ndarray:
    """The rows of `points` (M, N) that lie farther than SAME_POINT from every earlier one."""
    kept: list[np.ndarray] = []
    for point in points:
        if all(np.max(np.abs(point - other)) > SAME_POINT for other in kept):
            kept.append(point)
    return np.array(kept).reshape(-1, points.shape[1])


def resting(ends: np.ndarray, stable: np.ndarray) -> int:
    """How many of the runs' ends lie at one of the stable points."""
    if stable.shape[0] == 0:
        return 0
    gaps = np.max(np.abs(ends[:, None] - stable[None]), axis=2)
    return int(np.sum(np.min(gaps, axis=1) <= AT_REST))


def rows(ex: Example, cache: Path | None) -> tuple[str, list[tuple[object, ...]]]:
    """The header line and the table's rows: FixedPointFinder, rnndyn's search, its skeleton."""
    trained = trained_model(ex, cache)
    finder: FinderRun = run_finder(trained.model, trained.valid_hidden, ex)
    net = rd.GRU.from_torch(trained.model.rnn)
    zero = np.zeros(ex.bits)
    clock = time.perf_counter()
    search = rd.find_fixed_points(net, finder.starts, inputs=zero, n_jobs=1)
    middle = time.perf_counter()
    sk = rd.skeleton(net, finder.starts, inputs=zero, n_jobs=1)
    end = time.perf_counter()
    q_before, newton_points, newton_q = refined(net, finder.points)
    moved = np.max(np.abs(newton_points - finder.points), axis=1)
    fpf_fixed = (newton_q <= TOL_Q) & (moved <= 1e-3)
    ends = torch_free_run_ends(trained.model.rnn, finder.starts)
    fpf_stable = newton_points[fpf_fixed & finder.is_stable]
    fpf_distinct = distinct(newton_points[fpf_fixed])
    header = (
        f"A {ex.hidden}-unit `torch.nn.GRU`, {ex.bits}-bit flip-flop, {trained.epochs} epochs "
        f"(loss {trained.final_loss:.1e}); {len(finder.starts):,} starts (FixedPointFinder's "
        f"sample, noise {ex.start_noise}); {RUN_STEPS:,}-step PyTorch free runs from them."
    )
    return header, [
        (
            "FixedPointFinder (float32, Adam)",
            f"{len(finder.points)} ({finder.converged_starts} runs at its q < 1e-12)",
            f"{np.min(finder.q):.1e} to {np.max(finder.q):.1e} (its own); "
            f"{np.min(q_before):.1e} to {np.max(q_before):.1e} (float64)",
            f"{len(fpf_distinct)} distinct ({int(np.sum(fpf_fixed))} points: Newton from "
            "them reaches q <= 1e-20 within 1e-3)",
            f"{int(np.sum(finder.is_stable))} (its call)",
            f"{resting(ends, fpf_stable)} / {len(ends)}",
            f"{finder.seconds:.2f}",
        ),
        (
            "rnndyn `find_fixed_points`",
            len(search),
            f"{np.max(search.q):.1e} at most",
            int(np.sum(search.kind == "fixed")),
            len(search.stable),
            f"{resting(ends, search.stable.points)} / {len(ends)}",
            f"{middle - clock:.2f}",
        ),
        (
            "rnndyn `skeleton`",
            len(sk.fixed_points),
            f"{np.max(sk.fixed_points.q):.1e} at most",
            int(np.sum(sk.fixed_points.kind == "fixed")),
            f"{len(sk)} attractors, {len(sk.edges)} edges, {len(sk.joined())} pairs joined",
            f"{resting(ends, sk.attractor_states)} / {len(ends)}",
            f"{end - middle:.2f}",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, help="save or load the trained weights here")
    parser.add_argument("--out", type=Path, help="write the report here (else print it)")
    args = parser.parse_args()
    if not fixedpointfinder.available():
        raise SystemExit(fixedpointfinder.INSTALL_HINT)
    torch.set_num_threads(1)
    header, found = rows(Example(cell="gru"), args.cache)
    headers = ["tool", "points", "q", "fixed points", "stable", "runs resting there", "seconds"]
    report = f"# FixedPointFinder and rnndyn on a GRU\n\n{header}\n\n{table(headers, found)}\n"
    if args.out is None:
        print(report)
    else:
        args.out.write_text(report)


if __name__ == "__main__":
    main()
