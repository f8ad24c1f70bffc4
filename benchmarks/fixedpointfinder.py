"""Golub & Sussillo's FixedPointFinder (PyTorch) on an rnndyn ESN: an optional comparator.

FixedPointFinder is not a dependency and none of its code is here: this adapter imports it when
it is present, from the folder named by FIXED_POINT_FINDER_PATH (its repository has no
packaging; its modules import each other as top-level modules) or from sys.path, with torch
installed (`pip install torch==2.13.0`, the CPU wheel).

FixedPointFinder looks for states with x = cell(x). The cell given to it here is one step
x ← x + F(x) of the closed loop at a constant input, F(x) = -x + W_c tanh(x) + B u + b, so its
fixed points are the zeros of F and its q = ½|x - cell(x)|² is rnndyn's q = ½|F(x)|² exactly
(a cell that took an Euler step x + (dt/τ) F would scale q by (dt/τ)²). It runs with every one
of its defaults (float32, Adam from lr 1.0 with its plateau schedule, at most 5,000 joint
iterations, tol_q 1e-12 in these units, Jacobians at the unique points and their full
eigendecompositions), except verbose=False, on one torch thread and one BLAS thread.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import os
import sys
import time
import warnings
from dataclasses import dataclass
from types import ModuleType

import numpy as np
import rnndyn as rd
from threadpoolctl import threadpool_limits

PATH_VARIABLE = "FIXED_POINT_FINDER_PATH"
MODULE = "FixedPointFinderTorch"
INSTALL_HINT = (
    f"pip install torch==2.13.0, and put a checkout of github.com/mattgolub/fixed-point-finder "
    f"on the path: {PATH_VARIABLE}=/path/to/fixed-point-finder"
)


@dataclass(frozen=True)
class FixedPointFinderRun:
    """One FixedPointFinder search: wall time (of `find_fixed_points`, everything it does),
    rnndyn's q = ½|F|² in float64 at each starting state's final (float32) point, the number
    of unique points it reports, whether it eigendecomposed their Jacobians, its iteration
    count (joint optimisation: one for all states) and the seconds of its phases."""

    seconds: float
    q: np.ndarray
    unique_points: int
    decomposed_jacobians: bool
    iterations: int
    max_iterations: int
    phase_seconds: dict[str, float]


def _add_path() -> None:
    folder = os.environ.get(PATH_VARIABLE)
    if folder and folder not in sys.path:
        sys.path.insert(0, folder)


def available() -> bool:
    """Whether FixedPointFinderTorch (and torch) can be imported."""
    _add_path()
    return all(importlib.util.find_spec(name) is not None for name in ("torch", MODULE))


def _module() -> ModuleType:
    _add_path()
    return importlib.import_module(MODULE)


def closed_loop_cell(net: rd.ESN, dtype: str = "float32"):
    """A torch module with nn.RNN's call convention, (inputs (K, 1, I), state (1, K, N)) →
    (outputs (K, 1, N), next state (1, K, N)), whose step is x + F(x) = W_c tanh(x) + B u + b."""
    import torch

    if net.activation != "tanh":
        raise ValueError(f"the cell is written for tanh, not {net.activation!r}")

    def frozen(weights: np.ndarray) -> torch.nn.Parameter:
        values = torch.as_tensor(np.asarray(weights, np.float64), dtype=getattr(torch, dtype))
        return torch.nn.Parameter(values, requires_grad=False)

    class ClosedLoopCell(torch.nn.Module):
        batch_first = True  # FixedPointFinder reads it to find the time axis of `inputs`

        def __init__(self) -> None:
            super().__init__()
            self.closed_loop = frozen(net.closed_loop_matrix())
            self.input = frozen(net.input)
            self.offset = frozen(net.offset())  # b: the offset at u = 0

        def forward(self, inputs, state):
            drive = inputs.squeeze(1) @ self.input.T + self.offset  # (K, N)
            following = torch.tanh(state) @ self.closed_loop.T + drive  # (1, K, N)
            return following.transpose(0, 1), following

    return ClosedLoopCell()


def find_fixed_points(
    net: rd.ESN, starts: np.ndarray, inputs: np.ndarray | None = None
) -> FixedPointFinderRun:
    """Run FixedPointFinderTorch with its defaults from each row of `starts` (K, N), K ≥ 2,
    at a constant input (zeros if None), on one torch thread."""
    import torch

    finder_class = getattr(_module(), MODULE)
    starts = np.asarray(starts, np.float64)
    if starts.ndim != 2 or len(starts) < 2:  # its joint loss squeezes a batch of one away
        raise ValueError("starts must be (K, N) with K >= 2")
    u = np.zeros(net.n_inputs) if inputs is None else np.asarray(inputs, np.float64)
    cell = closed_loop_cell(net)
    finder = finder_class(cell, verbose=False)

    phases: dict[str, float] = {}

    def timed(name: str, method):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - start

        return wrapper

    finder._run_joint_optimization = timed("optimisation", finder._run_joint_optimization)
    finder._compute_recurrent_jacobians = timed("Jacobians", finder._compute_recurrent_jacobians)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        # it prints some lines whatever `verbose` says, and hands its scheduler a tensor
        # that requires grad (a UserWarning every run)
        with (
            threadpool_limits(limits=1),
            contextlib.redirect_stdout(io.StringIO()),
            warnings.catch_warnings(),
        ):
            warnings.filterwarnings("ignore", "Converting a tensor with requires_grad", UserWarning)
            start = time.perf_counter()
            unique, every = finder.find_fixed_points(
                starts.astype(finder.np_dtype), u[None, :].astype(finder.np_dtype)
            )
            seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    phases["the rest (eigendecompositions, duplicates)"] = seconds - sum(phases.values())
    points = np.asarray(every.xstar, np.float64)
    velocity = np.tanh(points) @ net.closed_loop_matrix().T + net.offset(u) - points
    return FixedPointFinderRun(
        seconds=seconds,
        q=0.5 * np.sum(velocity**2, axis=1),
        unique_points=int(unique.n),
        decomposed_jacobians=bool(unique.has_decomposed_jacobians),
        iterations=int(np.max(every.n_iters)),
        max_iterations=int(finder.max_iters),
        phase_seconds=phases,
    )


def evenly_spaced(starts: np.ndarray, count: int) -> np.ndarray:
    """`count` rows spread evenly over `starts` (flipflop_starts puts its fastest states last,
    so the first rows alone would leave them out)."""
    return starts[np.linspace(0, len(starts) - 1, min(count, len(starts))).astype(int)]


def main() -> None:
    """Time it on states spread over a saved network's `flipflop_starts(net, 256, seed=0)`:
    python benchmarks/fixedpointfinder.py NET.npz [STATES]."""
    net = rd.ESN.load(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    starts, _ = rd.flipflop_starts(net, 256, seed=0)
    run = find_fixed_points(net, evenly_spaced(starts, count))
    print(
        f"{count} states: {run.seconds:.2f} s ({run.seconds / count:.2f} s per state), "
        f"{run.iterations} iterations, {run.unique_points} unique points, decomposed "
        f"Jacobians: {run.decomposed_jacobians}"
    )
    print("phases: " + ", ".join(f"{k} {v:.2f} s" for k, v in run.phase_seconds.items()))
    print(
        f"q (rnndyn's units, float64 at its float32 points): min {run.q.min():.2e}, median "
        f"{np.median(run.q):.2e}, max {run.q.max():.2e}; q <= 1e-20: {np.sum(run.q <= 1e-20)}"
        f", <= 1e-12: {np.sum(run.q <= 1e-12)}, <= 1e-10: {np.sum(run.q <= 1e-10)}"
    )


if __name__ == "__main__":
    main()
