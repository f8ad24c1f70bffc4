"""Workload 2: fixed points of the trained Table 1 network from `rd.flipflop_starts` (seed 0):
rnndyn's search with full spectra and with the 10 leading eigenvalues, against SciPy's
trust-ncg with NumPy derivatives, a batched NumPy Newton-GMRES and, when it is importable, Golub
& Sussillo's FixedPointFinder (PyTorch; see fixedpointfinder.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import fixedpointfinder
import numpy as np
import numpy_newton
import rnndyn as rd
from markdown import ratio, table
from scipy_trust_ncg import scipy_trust_ncg
from settings import Settings
from timing import Timing, measure, seconds

TOL_Q = 1e-20  # rnndyn's default: q <= 1e-20 is a fixed point


@dataclass(frozen=True)
class SearchRun:
    """One search over the starting states: the time (for all of them, perhaps extrapolated)
    and how many starting states ended as fixed, slow or unconverged."""

    name: str
    threads: str
    total: Timing | None
    states: int
    fixed: int | None = None
    slow: int | None = None
    unconverged: int | None = None
    unique: str = ""
    extrapolated: str = ""
    note: str = ""
    timed_states: int | None = None  # when fewer than `states` were timed and scaled up


@dataclass
class FixedPointResult:
    """Every search's run; `summaries` holds rnndyn's FixedPoints.summary() per variant."""

    runs: list[SearchRun]
    states: int
    summaries: dict[str, str] = field(default_factory=dict)

    def find(self, name: str) -> SearchRun | None:
        """The measured run called `name`."""
        return next((r for r in self.runs if r.name == name and r.total is not None), None)

    def markdown(self) -> str:
        """The section of RESULTS.md."""
        baseline = self.find(LEADING) or self.runs[0]
        rows = []
        for run in self.runs:
            if run.total is None:
                rows.append([run.name, run.threads, run.note] + [""] * 7)
                continue
            time = seconds(run.total.median)
            if run.extrapolated:
                time = f"{time} (extrapolated to {self.states})"
            counts = [("—" if c is None else c) for c in (run.fixed, run.slow, run.unconverged)]
            rows.append(
                [
                    run.name,
                    run.threads,
                    time,
                    run.total.spread(),
                    seconds(run.total.median / self.states),
                    ratio(run.total.median, baseline.total.median),
                    *counts,
                    run.unique,
                ]
            )
        lines = [
            f"{self.states} starting states from `rd.flipflop_starts(net, {self.states}, "
            f"seed=0)` on the network trained in workload 1 (float64, 1 thread). Counts are of "
            f"starting states by where each ended: fixed (q ≤ {TOL_Q:g}), slow (a local "
            "minimum of q above that: the gradient under tolerance) or unconverged. "
            "rnndyn's time includes merging duplicates and linearising every unique point.",
            "",
            table(
                [
                    "search",
                    "threads",
                    "time, median",
                    "spread",
                    "per state",
                    f"÷ {baseline.name}, {baseline.threads} thread(s)",
                    "fixed",
                    "slow",
                    "unconverged",
                    "unique points",
                ],
                rows,
            ),
            "",
        ]
        lines += [f"- {run.name}: {run.extrapolated}" for run in self.runs if run.extrapolated]
        for name, summary in self.summaries.items():
            lines += ["", f"`FixedPoints.summary()`, {name}:", "", "```", summary, "```"]
        return "\n".join(lines)


FULL = 'rnndyn, default method, eigenvalues="full"'
LEADING = "rnndyn, default method, eigenvalues=10"
SCIPY = "SciPy trust-ncg, NumPy derivatives"
NEWTON = "batched NumPy Newton-GMRES (benchmarks/numpy_newton.py)"
FIXED_POINT_FINDER = "FixedPointFinder (Golub & Sussillo), PyTorch, float32, its defaults"
SKELETON = "rnndyn skeleton (attractors, saddles, edges; issue 19)"


def state_counts(fps: rd.FixedPoints) -> tuple[int, int, int]:
    """Starting states that ended at fixed, slow and unconverged points."""
    return tuple(int(fps.count[fps.kind == kind].sum()) for kind in rd.fixedpoints.KINDS)


def unique_counts(fps: rd.FixedPoints) -> str:
    """'7 (3 fixed, 4 slow)': unique points after merging, by kind."""
    parts = [
        f"{int(np.sum(fps.kind == kind))} {kind}"
        for kind in rd.fixedpoints.KINDS
        if np.any(fps.kind == kind)
    ]
    return f"{len(fps)} ({', '.join(parts)})"


def run_rnndyn(
    name: str, net: rd.ESN, starts: np.ndarray, repeats: int, n_jobs: int, eigenvalues: object
) -> tuple[SearchRun, rd.FixedPoints]:
    """`rd.find_fixed_points` with the default method."""
    timing, fps = measure(
        lambda: rd.find_fixed_points(net, starts, n_jobs=n_jobs, eigenvalues=eigenvalues),
        repeats,
        warm_up=lambda: rd.find_fixed_points(net, starts[:2], eigenvalues=eigenvalues),
    )
    fixed, slow, unconverged = state_counts(fps)
    return SearchRun(
        name, str(n_jobs), timing, len(starts), fixed, slow, unconverged, unique_counts(fps)
    ), fps


def run_skeleton(net: rd.ESN, starts: np.ndarray, repeats: int) -> tuple[SearchRun, str]:
    """`rd.skeleton` from the same starts on 2 threads: the search and all it adds."""
    timing, sk = measure(lambda: rd.skeleton(net, starts, n_jobs=2), repeats)
    cube = f"; {len(sk.joined())} pairs joined, {len(sk.unjoined())} adjacent pairs unjoined"
    unique = f"{len(sk.fixed_points)} points, {len(sk)} attractors, {len(sk.edges)} edges{cube}"
    return SearchRun(SKELETON, "2", timing, len(starts), unique=unique), sk.summary()


def run_scipy(net: rd.ESN, starts: np.ndarray, sample: int) -> SearchRun:
    """SciPy's trust-ncg on the first `sample` states, once, extrapolated per state."""
    timing, (_, q) = measure(lambda: scipy_trust_ncg(net, starts[:sample]), 1)
    total = timing.scaled(len(starts) / sample)
    fixed = int(np.sum(q <= TOL_Q))
    how = (
        f"{sample} of the {len(starts)} states timed once "
        f"({seconds(timing.median / sample, like=1.0)} per state), scaled to "
        f"{len(starts)}; of those {sample}, {fixed} reached q ≤ {TOL_Q:g} (median final q "
        f"{np.median(q):.1e}); SciPy does not tell slow points from unconverged ones."
    )
    return SearchRun(SCIPY, "1", total, len(starts), extrapolated=how, note="")


def run_newton(net: rd.ESN, starts: np.ndarray, count: int) -> SearchRun:
    """The batched NumPy Newton-GMRES on `count` states, once (extrapolated if fewer)."""
    subset = starts[:count]
    timing, result = measure(
        lambda: numpy_newton.newton_gmres(net.closed_loop_matrix(), net.offset(), subset), 1
    )
    fixed = int(np.sum(result.q <= TOL_Q))
    how = ""
    if count < len(starts):
        how = f"{count} states timed, scaled to {len(starts)}."
    return SearchRun(
        NEWTON,
        "1",
        timing.scaled(len(starts) / count),
        len(starts),
        fixed=fixed,
        unconverged=count - fixed,
        extrapolated=how,
        unique=f"max final q {result.q.max():.1e}",
    )


def run_fixed_point_finder(net: rd.ESN, starts: np.ndarray, sample: int) -> SearchRun:
    """FixedPointFinder (PyTorch) with its defaults on `sample` states spread over `starts`,
    once, on one thread, extrapolated per state; a 'not installed' row if it is missing."""
    if not fixedpointfinder.available():
        return SearchRun(
            FIXED_POINT_FINDER,
            "—",
            None,
            len(starts),
            note=f"not installed ({fixedpointfinder.INSTALL_HINT})",
        )
    # at least two: FixedPointFinder's joint loss squeezes a batch of one away
    subset = fixedpointfinder.evenly_spaced(starts, max(sample, 2))
    result = fixedpointfinder.find_fixed_points(net, subset)
    count = len(subset)
    fixed = int(np.sum(result.q <= TOL_Q))
    phases = ", ".join(
        f"{name} {seconds(time, like=1.0)}" for name, time in result.phase_seconds.items()
    )
    scaling = (
        ""
        if count == len(starts)
        else (
            f", scaled to {len(starts)} (its joint Adam steps cost less per state in larger "
            "batches, so this errs high; Jacobians and eigendecompositions scale with the points)"
        )
    )
    how = (
        f"{count} of the {len(starts)} states, spread evenly over them, timed once on one "
        f"thread ({seconds(result.seconds / count, like=1.0)} per state: {phases}){scaling}. "
        f"It stopped after {result.iterations} of its at most {result.max_iterations} joint Adam "
        f"iterations (it stops once every state has q < its tol_q, 1e-12 by default, or a q "
        f"that no longer changes). Of those {count}, {fixed} reached q ≤ {TOL_Q:g}, "
        f"{int(np.sum(result.q <= 1e-10))} q ≤ 1e-10; final q from {result.q.min():.1e} to "
        f"{result.q.max():.1e} (median {np.median(result.q):.1e}), evaluated in float64 at its "
        "float32 points. Its cell is one step x + F(x), so its q = ½|x - cell(x)|² is "
        "rnndyn's q = ½|F|² (factor 1). It reported "
        f"{result.unique_points} unique point(s) and "
        f"{'did' if result.decomposed_jacobians else 'did not'} eigendecompose their "
        "Jacobians (all eigenvalues and eigenvectors, float32); it does not tell slow points "
        "from unconverged ones."
    )
    return SearchRun(
        FIXED_POINT_FINDER,
        "1",
        Timing((result.seconds,)).scaled(len(starts) / count),
        len(starts),
        fixed=fixed,
        extrapolated=how,
        unique=f"{result.unique_points} (of {count} timed); max final q {result.q.max():.1e}",
        timed_states=count,
    )


def run(settings: Settings, net: rd.ESN, log: Callable[[str], None] = print) -> FixedPointResult:
    """Every search from the same starting states."""
    s = settings
    starts, _ = rd.flipflop_starts(net, s.fixed_point_states, seed=0)
    runs, summaries = [], {}
    for name, n_jobs, eigenvalues in ((FULL, 2, "full"), (LEADING, 2, 10), (LEADING, 1, 10)):
        log(f"  fixed points: {name}, {n_jobs} thread(s)")
        result, fps = run_rnndyn(name, net, starts, s.fixed_point_repeats, n_jobs, eigenvalues)
        runs.append(result)
        summaries.setdefault(name, fps.summary())
    log("  fixed points: the skeleton, 2 threads")
    skeleton, summaries[SKELETON] = run_skeleton(net, starts, s.skeleton_repeats)
    runs.append(skeleton)
    log(f"  fixed points: SciPy trust-ncg on {s.scipy_states} states")
    runs.append(run_scipy(net, starts, s.scipy_states))
    log(f"  fixed points: batched NumPy Newton-GMRES on {s.newton_states} states")
    runs.append(run_newton(net, starts, s.newton_states))
    log(f"  fixed points: FixedPointFinder on {s.fpf_states} states")
    runs.append(run_fixed_point_finder(net, starts, s.fpf_states))
    return FixedPointResult(runs, len(starts), summaries)
