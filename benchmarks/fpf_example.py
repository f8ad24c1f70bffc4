"""Golub & Sussillo's own PyTorch flip-flop example, analysed by FixedPointFinder and by rnndyn.

FixedPointFinder's repository ships a PyTorch example (examples/torch/run_FlipFlop.py): a
16-unit tanh `torch.nn.RNN` trained on the 3-bit flip-flop, whose fixed points it then seeks
from 1,024 noisy states of the trained network's validation trials. This script redoes that
example with its own code (the example's numbers, restated below; none of its code), runs
FixedPointFinder as the example does, and then rnndyn from the very same starts:
`find_fixed_points` and `skeleton` of `rd.RNN.from_torch(model.rnn)` at u = 0.

Each of FixedPointFinder's points (float32, q ~ 1e-14) is refined by rnndyn's Newton (float64)
from where it left it, to tell true zeros from approximations, and the points of all tools are
matched by distance after refinement. Free runs of the map from the same starts say where the
network's states actually rest: at fixed points, or on period-2 cycles h(t) = h(t-2) ≠ h(t-1)
(issue 20 reports that this example keeps its memories on stable 2-cycles). With the same
torch seed, the training here gives the example's own FlipFlop.train's weights exactly.

    FIXED_POINT_FINDER_PATH=/path/to/fixed-point-finder python benchmarks/fpf_example.py \\
        [--cache /tmp/fpf_flipflop.pt] [--out report.md]

Everything runs on one thread (torch, BLAS and rnndyn's n_jobs).
"""

from __future__ import annotations

import blas_threads

blas_threads.hold_to_one_thread()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import importlib  # noqa: E402
import io  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import fixedpointfinder  # noqa: E402
import numpy as np  # noqa: E402
import rnndyn as rd  # noqa: E402
import torch  # noqa: E402
from markdown import table  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from torch_flipflop import FlipFlopNet, Training, flipflop_trials, train  # noqa: E402


@dataclass(frozen=True)
class Example(Training):
    """The example's settings: its training (Training) and its fixed-point search."""

    starts: int = 1024
    start_noise: float = 0.5  # standard deviation of the Gaussian noise on sampled states
    fpf_max_iters: int = 10_000
    fpf_lr_init: float = 1.0
    fpf_outlier_distance_scale: float = 10.0


# q <= TOL_Q: a fixed point (rnndyn's default); points of two tools closer than MATCH (after
# refinement, both at q <= 1e-20, so the same zero agrees to ~1e-10) are the same point
TOL_Q = 1e-20
MATCH = 1e-6
# free runs: steps, and how close h(t) must come back to h(t - k) to count as period k
RUN_STEPS = 5_000
MAX_PERIOD = 8
PERIOD_TOL = 1e-8
# two runs' ends are on the same orbit when some phase of one is this close to the other
SAME_ORBIT = 1e-5


# -- the example's network -----------------------------------------------------------------------


@dataclass(frozen=True)
class Trained:
    """The trained model, its validation trials' hidden states (trials, T, N) and mean squared
    error, and how it was trained (or that it came from the cache)."""

    model: FlipFlopNet
    valid_hidden: np.ndarray
    valid_mse: float
    epochs: int
    final_loss: float
    seconds: float
    cached: bool


def cached_record(cache: Path | None, ex: Example) -> dict | None:
    """What `cache` holds, if it holds weights trained with the settings `ex`."""
    if cache is None or not cache.exists():
        return None
    record = torch.load(cache)
    return record if record["example"] == asdict(ex) else None


def trained_model(ex: Example, cache: Path | None) -> Trained:
    """Train as the example does (and save the weights to `cache`), or load the weights
    `cache` holds for the same settings."""
    rng = np.random.RandomState(ex.data_seed)
    train_data = flipflop_trials(rng, ex.train_trials, ex)
    valid_data = flipflop_trials(rng, ex.valid_trials, ex)
    torch.manual_seed(ex.seed)
    model = FlipFlopNet(ex)
    record = cached_record(cache, ex)
    cached = record is not None
    if record is not None:
        model.load_state_dict(record["weights"])
    else:
        clock = time.perf_counter()
        epochs, loss = train(model, train_data, ex)
        seconds = time.perf_counter() - clock
        record = {"epochs": epochs, "final_loss": loss, "seconds": seconds}
        if cache is not None:
            torch.save({**record, "example": asdict(ex), "weights": model.state_dict()}, cache)
    with torch.no_grad():
        outputs, hidden = model(torch.from_numpy(valid_data["inputs"]))
    return Trained(
        model=model,
        valid_hidden=hidden.numpy(),
        valid_mse=float(np.mean((outputs.numpy() - valid_data["targets"]) ** 2)),
        epochs=record["epochs"],
        final_loss=record["final_loss"],
        seconds=record["seconds"],
        cached=cached,
    )


# -- FixedPointFinder, as the example runs it ----------------------------------------------------


@dataclass(frozen=True)
class FinderRun:
    """FixedPointFinder's starts (K, N), its unique points (M, N) (float32, as float64), its
    q there (its own, float32), whether it calls them stable, its iterations and time."""

    starts: np.ndarray
    points: np.ndarray
    q: np.ndarray
    is_stable: np.ndarray
    converged_starts: int
    iterations: int
    seconds: float


def run_finder(model: FlipFlopNet, valid_hidden: np.ndarray, ex: Example) -> FinderRun:
    """The example's search: its finder on `model.rnn` with its settings (quiet), its own
    sample of noisy starts, at u = 0. It prints whatever `verbose` says, and hands its
    scheduler a tensor that requires grad (a UserWarning each run): both are silenced."""
    finder_class = getattr(
        importlib.import_module(fixedpointfinder.MODULE), fixedpointfinder.MODULE
    )
    finder = finder_class(
        model.rnn,
        max_iters=ex.fpf_max_iters,
        lr_init=ex.fpf_lr_init,
        outlier_distance_scale=ex.fpf_outlier_distance_scale,
        verbose=False,
        super_verbose=False,
    )
    starts = finder.sample_states(valid_hidden, n_inits=ex.starts, noise_scale=ex.start_noise)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Converting a tensor with requires_grad", UserWarning)
        clock = time.perf_counter()
        unique, every = finder.find_fixed_points(starts, np.zeros((1, ex.bits)))
        seconds = time.perf_counter() - clock
    return FinderRun(
        starts=np.asarray(starts, np.float64),
        points=np.asarray(unique.xstar, np.float64),
        q=np.asarray(unique.qstar, np.float64),
        is_stable=np.asarray(unique.is_stable, bool),
        converged_starts=int(np.sum(every.qstar < finder.tol_q)),
        iterations=int(np.max(every.n_iters)),
        seconds=seconds,
    )


# -- rnndyn ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refined:
    """Newton (rnndyn, float64) from each of some points: where it ends (M, N), q there, how
    far it moved, and q at the point it started from (float64)."""

    points: np.ndarray
    q: np.ndarray
    moved: np.ndarray
    q_before: np.ndarray

    @property
    def is_zero(self) -> np.ndarray:
        """Newton reached q <= TOL_Q near where it started: the point was a fixed point."""
        return (self.q <= TOL_Q) & (self.moved <= 1e-3)


def refine(rnn: rd.RNN, points: np.ndarray) -> Refined:
    """Newton from each point alone (a search from several would merge what they reach)."""
    inputs = np.zeros(rnn.input.shape[1])
    ends = [rd.find_fixed_points(rnn, point[None], inputs, n_jobs=1) for point in points]
    finals = np.array([end.points[0] for end in ends]).reshape(points.shape)
    residual = rnn_step(rnn, points) - points
    return Refined(
        points=finals,
        q=np.array([end.q[0] for end in ends]),
        moved=np.linalg.norm(finals - points, axis=1),
        q_before=0.5 * np.sum(residual**2, axis=1),
    )


def rnn_step(rnn: rd.RNN, states: np.ndarray) -> np.ndarray:
    """One step of the map at u = 0 for each row of `states` (K, N)."""
    bias = 0.0 if rnn.bias is None else rnn.bias
    return np.tanh(states @ rnn.recurrent.T + bias)


def multipliers(rnn: rd.RNN, orbit: np.ndarray) -> np.ndarray:
    """Eigenvalues of the map's Jacobian along an orbit (k, N) (one row: a fixed point; k rows
    h_1 → ... → h_k → h_1: a k-cycle's monodromy matrix), by modulus, largest first."""
    product = np.eye(rnn.size)
    for state in orbit:
        following = rnn_step(rnn, state[None])[0]
        product = ((1 - following**2)[:, None] * rnn.recurrent) @ product
    values = np.linalg.eigvals(product)
    return values[np.argsort(-np.abs(values))]


@dataclass(frozen=True)
class RnndynRun:
    """rnndyn's search and skeleton from the finder's starts, with their times."""

    search: rd.FixedPoints
    skeleton: rd.Skeleton
    search_seconds: float
    skeleton_seconds: float


def run_rnndyn(rnn: rd.RNN, starts: np.ndarray) -> RnndynRun:
    """`find_fixed_points` and `skeleton` at u = 0 from `starts`, on one thread."""
    inputs = np.zeros(rnn.input.shape[1])
    clock = time.perf_counter()
    search = rd.find_fixed_points(rnn, starts, inputs=inputs, n_jobs=1)
    middle = time.perf_counter()
    skeleton = rd.skeleton(rnn, starts, inputs=inputs, n_jobs=1)
    end = time.perf_counter()
    return RnndynRun(search, skeleton, middle - clock, end - middle)


# -- matching and free runs -----------------------------------------------------------------------


def catalogue(sets: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One list of distinct points (P, N) from several sets of rows, and for each set the row
    of the list that each of its rows is (within MATCH of an earlier one, or new)."""
    points = np.zeros((0, next(iter(sets.values())).shape[1]))
    where = {}
    for name, rows in sets.items():
        index = []
        for row in rows:
            distance = np.linalg.norm(points - row, axis=1)
            if distance.size and distance.min() <= MATCH:
                index.append(int(distance.argmin()))
            else:
                points = np.vstack([points, row])
                index.append(len(points) - 1)
        where[name] = np.array(index, dtype=int)
    return points, where


def free_runs(rnn: rd.RNN, starts: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Iterate the map at u = 0 from each start; returns each run's period (its smallest k <=
    MAX_PERIOD with |h(T) - h(T-k)| <= PERIOD_TOL, 0 for none) and its last states h(T), ...,
    h(T - MAX_PERIOD) (K, MAX_PERIOD + 1, N)."""
    states = starts.copy()
    last = np.zeros((MAX_PERIOD + 1, *starts.shape))
    for step in range(steps):
        states = rnn_step(rnn, states)
        if step >= steps - MAX_PERIOD - 1:
            last[steps - 1 - step] = states
    last = last.transpose(1, 0, 2)
    gaps = np.linalg.norm(last[:, 1:] - last[:, :1], axis=2)  # (K, MAX_PERIOD): k = 1, 2, ...
    settled = gaps <= PERIOD_TOL
    period = np.where(settled.any(axis=1), settled.argmax(axis=1) + 1, 0)
    return period, last


def distinct_orbits(period: np.ndarray, last: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """The distinct periodic orbits the runs end on, each (its states (k, N) in the map's
    order, how many runs end on it); one orbit, entered at any of its states, counts once."""
    orbits: list[tuple[np.ndarray, int]] = []
    for k, states in zip(period, last, strict=True):
        if k == 0:
            continue
        orbit = states[:k][::-1]
        for i, (known, count) in enumerate(orbits):
            if len(known) == k and any(
                np.abs(np.roll(orbit, shift, axis=0) - known).max() <= SAME_ORBIT
                for shift in range(k)
            ):
                orbits[i] = (known, count + 1)
                break
        else:
            orbits.append((orbit, 1))
    return orbits


# -- the pipeline ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Findings:
    """What the report says: the runs (the last of each tool's repeats), the distinct fixed
    points of all tools (`points`, P × N, by index then norm) with the map's multipliers at
    each (P × N, largest first) and the row of `points` each tool's fixed points are, the free
    runs' periods and orbits, and each step's seconds."""

    ex: Example
    trained: Trained
    rnn: rd.RNN
    finder: FinderRun
    rnndyn: RnndynRun
    refined: Refined
    points: np.ndarray
    point_multipliers: np.ndarray
    where: dict[str, np.ndarray]
    period: np.ndarray
    orbits: list[tuple[np.ndarray, int]]
    run_steps: int
    times: dict[str, list[float]]

    def outputs(self, states: np.ndarray) -> np.ndarray:
        """The model's readout of states (K, N)."""
        readout = self.trained.model.readout
        weights = readout.weight.detach().double().numpy()
        return states @ weights.T + readout.bias.detach().double().numpy()

    @property
    def index(self) -> np.ndarray:
        """(P,) each point's index: its multipliers outside the unit circle."""
        return np.sum(np.abs(self.point_multipliers) > 1, axis=1)


def ordered_catalogue(
    rnn: rd.RNN, sets: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """`catalogue` of the sets with its points ordered by index (multipliers outside the unit
    circle), then by norm, the multipliers at each, and each set's rows renumbered to match."""
    points, where = catalogue(sets)
    values = np.array([multipliers(rnn, p[None]) for p in points]).reshape(len(points), -1)
    index = np.sum(np.abs(values) > 1, axis=1)
    order = np.lexsort((np.linalg.norm(points, axis=1), index))
    rank = np.argsort(order)
    return points[order], values[order], {name: rank[rows] for name, rows in where.items()}


def run_tools(
    trained: Trained, ex: Example, repeats: int
) -> tuple[rd.RNN, FinderRun, RnndynRun, dict[str, list[float]]]:
    """FixedPointFinder, then rnndyn from its starts, `repeats` times each (the same results
    every time); the last runs and every run's seconds."""
    finders = [run_finder(trained.model, trained.valid_hidden, ex) for _ in range(repeats)]
    rnn = rd.RNN.from_torch(trained.model.rnn)
    runs = [run_rnndyn(rnn, finders[-1].starts) for _ in range(repeats)]
    times = {
        "FixedPointFinder `find_fixed_points`": [run.seconds for run in finders],
        "rnndyn `find_fixed_points`": [run.search_seconds for run in runs],
        "rnndyn `skeleton`": [run.skeleton_seconds for run in runs],
    }
    return rnn, finders[-1], runs[-1], times


def analyse(ex: Example, cache: Path | None, run_steps: int, repeats: int) -> Findings:
    """Train (or load), run the tools, Newton from FixedPointFinder's points, the catalogue of
    all fixed points, and the free runs."""
    trained = trained_model(ex, cache)
    rnn, finder, rnndyn, times = run_tools(trained, ex, repeats)
    clock = time.perf_counter()
    refined = refine(rnn, finder.points)
    times["rnndyn's Newton from each of FixedPointFinder's points"] = [time.perf_counter() - clock]
    skeleton_points = rnndyn.skeleton.fixed_points
    points, point_multipliers, where = ordered_catalogue(
        rnn,
        {
            "fpf": refined.points[refined.is_zero],
            "search": rnndyn.search.points[rnndyn.search.kind == "fixed"],
            "skeleton": skeleton_points.points[skeleton_points.kind == "fixed"],
        },
    )
    clock = time.perf_counter()
    period, last = free_runs(rnn, finder.starts, run_steps)
    times[f"free runs ({run_steps:,} steps, NumPy)"] = [time.perf_counter() - clock]
    return Findings(
        ex=ex,
        trained=trained,
        rnn=rnn,
        finder=finder,
        rnndyn=rnndyn,
        refined=refined,
        points=points,
        point_multipliers=point_multipliers,
        where=where,
        period=period,
        orbits=distinct_orbits(period, last),
        run_steps=run_steps,
        times=times,
    )


# -- the report -----------------------------------------------------------------------------------


def signed(values: np.ndarray) -> str:
    """(+1.00, -0.98, ...)"""
    return "(" + ", ".join(f"{v:+.2f}" for v in values) + ")"


def multiplier_text(value: complex) -> str:
    """A multiplier: real, or real ± imaginary i."""
    if abs(value.imag) < 1e-12:
        return f"{value.real:+.3f}"
    return f"{value.real:+.3f}{value.imag:+.3f}i"


def by_index(f: Findings, rows: np.ndarray) -> str:
    """'8 of index 1, 12 of index 2, ...' for some of the points' rows."""
    kinds, counts = np.unique(f.index[rows], return_counts=True)
    return ", ".join(f"{c} of index {k}" for k, c in zip(kinds, counts, strict=True)) or "none"


def lacking(f: Findings, found_by: str, lacks: str) -> np.ndarray:
    """The points that `found_by` has and `lacks` has not."""
    return np.setdiff1d(np.unique(f.where[found_by]), f.where[lacks])


def header(f: Findings) -> str:
    """The network, its training and the starts."""
    ex, t = f.ex, f.trained
    how = f"trained in {t.seconds:.1f} s on one thread"
    if t.cached:
        how = f"loaded from the cache ({how})"
    steps = t.epochs * -(-ex.train_trials // ex.batch_size)
    return (
        "# FixedPointFinder's PyTorch flip-flop example: FixedPointFinder and rnndyn\n\n"
        f"Network: a {ex.hidden}-unit tanh `torch.nn.RNN` on the {ex.bits}-bit flip-flop, "
        f"trained as examples/torch/run_FlipFlop.py ships it ({ex.train_trials} trials of "
        f"{ex.trial_steps} steps, batches of {ex.batch_size}, Adam at lr "
        f"{ex.learning_rate:.4f} with eps {ex.adam_eps:g}, the rate x{ex.plateau_factor} on "
        f"plateaus, until an epoch's mean MSE < {ex.stop_loss:g}; torch seed {ex.seed}): "
        f"{t.epochs} epochs ({steps} Adam steps), last epoch's loss {t.final_loss:.2e}, "
        f"validation MSE {t.valid_mse:.2e}; {how}.\n\n"
        f"Starts: {ex.starts:,} states sampled by FixedPointFinder's `sample_states` from the "
        f"{ex.valid_trials} validation trials' hidden states, plus Gaussian noise of standard "
        f"deviation {ex.start_noise} (its seed 0); the same starts for every tool, u = 0. "
        f"FixedPointFinder as the example sets it (max_iters {ex.fpf_max_iters}, lr_init "
        f"{ex.fpf_lr_init:g}, outlier_distance_scale {ex.fpf_outlier_distance_scale:g}, the rest "
        f"its defaults: float32, tol_q 1e-12, tol_unique 1e-3), rnndyn with its defaults and "
        f"n_jobs=1. Points are matched after Newton (rnndyn, float64) from each; two are the "
        f"same point within {MATCH:g}. Index: the number of the map's multipliers outside the "
        "unit circle."
    )


def summary(f: Findings) -> str:
    """The findings in a few sentences."""
    search_misses = lacking(f, "fpf", "search")
    new = np.union1d(lacking(f, "search", "fpf"), lacking(f, "skeleton", "fpf"))
    return (
        "## Summary\n\n"
        f"- FixedPointFinder: {len(f.finder.points)} points, {int(np.sum(f.refined.is_zero))} "
        f"of them fixed points; rnndyn's search {int(np.sum(f.rnndyn.search.kind == 'fixed'))}, "
        f"its skeleton {len(np.unique(f.where['skeleton']))}; {len(f.points)} distinct in all, "
        f"{int(np.sum(f.index == 0))} of them stable.\n"
        f"- Of FixedPointFinder's, the search misses {len(search_misses)} "
        f"({by_index(f, search_misses)}) and the skeleton "
        f"{len(lacking(f, 'fpf', 'skeleton'))}; rnndyn finds {len(new)} that FixedPointFinder "
        "does not.\n" + ends_summary(f)
    )


def ends_summary(f: Findings) -> str:
    """Where the free runs end, in a sentence: fixed points (the skeleton's attractors?) and
    orbits of longer period."""
    fixed = [orbit[0] for orbit, _ in f.orbits if len(orbit) == 1]
    cycles = [(orbit, runs) for orbit, runs in f.orbits if len(orbit) > 1]
    stable_cycles = sum(np.abs(multipliers(f.rnn, orbit)[0]) < 1 for orbit, _ in cycles)
    attractors = f.rnndyn.skeleton.attractor_states
    at_attractors = sum(
        np.linalg.norm(attractors - end, axis=1).min(initial=np.inf) <= MATCH for end in fixed
    )
    return (
        f"- Free runs from the {len(f.period):,} starts: {int(np.sum(f.period == 1))} end at "
        f"{len(fixed)} fixed points ({at_attractors} of them among the skeleton's "
        f"{len(attractors)} attractors), {sum(runs for _, runs in cycles)} on {len(cycles)} "
        f"orbits of period 2 to {MAX_PERIOD} ({stable_cycles} of them stable), which neither "
        f"tool reports, and {int(np.sum(f.period == 0))} on none."
    )


def counts(f: Findings) -> str:
    """A table: each tool's points, how many are fixed points, stable, their indices."""
    finder, search, sk = f.finder, f.rnndyn.search, f.rnndyn.skeleton
    rows = [
        (
            f"FixedPointFinder (stopped after {finder.iterations} joint Adam iterations, "
            f"{finder.converged_starts} of {len(finder.starts)} runs at q < 1e-12)",
            len(finder.points),
            int(np.sum(f.refined.is_zero)),
            f"{int(np.sum(finder.is_stable))} (its own call)",
            by_index(f, f.where["fpf"]),
        ),
        (
            "rnndyn `find_fixed_points` (Newton)",
            len(search),
            int(np.sum(search.kind == "fixed")),
            len(search.stable),
            by_index(f, f.where["search"]),
        ),
        (
            "rnndyn `skeleton`",
            len(sk.fixed_points),
            int(np.sum(sk.fixed_points.kind == "fixed")),
            f"{len(sk)} attractors, {len(sk.edges)} edges",
            by_index(f, f.where["skeleton"]),
        ),
    ]
    headers = ["tool", "points", "fixed points (q <= 1e-20 after Newton)", "stable", "indices"]
    refined = f.refined
    return (
        "## Points found\n\n"
        + table(headers, rows)
        + (
            f"\n\nNewton from FixedPointFinder's points moved them by {np.min(refined.moved):.1e} "
            f"to {np.max(refined.moved):.1e}, from q = {np.min(refined.q_before):.1e} to "
            f"{np.max(refined.q_before):.1e} (float64, at its float32 points; its own float32 q: "
            f"{np.min(finder.q):.1e} to {np.max(finder.q):.1e}) to q <= {np.max(refined.q):.1e}."
        )
    )


def times(f: Findings) -> str:
    """Each step's seconds: the median of its runs, and its first run (torch's first calls
    are slow)."""
    rows = [
        (step, len(seconds), f"{np.median(seconds):.3f}", f"{seconds[0]:.3f}")
        for step, seconds in f.times.items()
    ]
    return (
        "## Seconds (one thread)\n\n"
        + table(["step", "runs", "median", "first run"], rows)
        + "\n\nFixedPointFinder's time is its `find_fixed_points` call alone (the optimisation, "
        "the duplicates, the Jacobians and their eigendecompositions), as the example calls it."
    )


def misses(f: Findings) -> str:
    """Which tool lacks which points, and what the tools report that is no fixed point."""
    refined, search = f.refined, f.rnndyn.search
    no_zero = "; ".join(
        f"#{r}: q {refined.q_before[r]:.1e} there, Newton ends at q {refined.q[r]:.1e}, "
        f"{refined.moved[r]:.2g} away"
        for r in np.flatnonzero(~refined.is_zero)
    )
    not_fixed = "; ".join(
        f"{search.kind[r]} q {search.q[r]:.1e}" for r in np.flatnonzero(search.kind != "fixed")
    )
    pairs = [
        ("FixedPointFinder's, missed by rnndyn's search", "fpf", "search"),
        ("FixedPointFinder's, missed by the skeleton", "fpf", "skeleton"),
        ("rnndyn's search's, missed by FixedPointFinder", "search", "fpf"),
        ("the skeleton's, missed by FixedPointFinder", "skeleton", "fpf"),
        ("the search's, missed by the skeleton", "search", "skeleton"),
    ]
    lines = [
        "## Misses (q: float64, at the point after Newton)",
        "",
        "- FixedPointFinder's points that are no fixed point (Newton from them does not reach "
        f"q <= {TOL_Q:g} within 1e-3): {no_zero or 'none'}",
        f"- rnndyn's search, points that are no fixed point: {not_fixed or 'none'}",
    ]
    lines += [f"- {what}: {point_list(f, lacking(f, a, b))}" for what, a, b in pairs]
    return "\n".join(lines)


def named(f: Findings, row: int) -> str:
    """'P3 (index 1, leading multiplier -3.438)'."""
    leading = multiplier_text(f.point_multipliers[row, 0])
    return f"P{row} (index {f.index[row]}, leading multiplier {leading})"


def point_list(f: Findings, rows: np.ndarray) -> str:
    """Some of the points, each named, with its readout and q."""
    residual = rnn_step(f.rnn, f.points[rows]) - f.points[rows]
    q = 0.5 * np.sum(residual**2, axis=1)
    readout = f.outputs(f.points[rows])
    items = [
        f"{named(f, row)}: readout {signed(z)}, q {q_row:.1e}"
        for row, z, q_row in zip(rows, readout, q, strict=True)
    ]
    return "; ".join(items) or "none"


def point_rows(f: Findings) -> list[tuple]:
    """A row of the points table for each distinct fixed point."""
    fpf_rows = np.flatnonzero(f.refined.is_zero)
    outputs = f.outputs(f.points)
    rows = []
    for p, point in enumerate(f.points):
        fpf = ", ".join(
            f"#{r}: {f.finder.q[r]:.1e} / {f.refined.q_before[r]:.1e}"
            for r in fpf_rows[f.where["fpf"] == p]
        )
        rows.append(
            (
                f"P{p}",
                f.index[p],
                multiplier_text(f.point_multipliers[p, 0]),
                f"{np.linalg.norm(point):.3f}",
                signed(outputs[p]),
                fpf or "—",
                "yes" if p in f.where["search"] else "**no**",
                "yes" if p in f.where["skeleton"] else "**no**",
            )
        )
    return rows


def points_table(f: Findings) -> str:
    """Every distinct fixed point, and which tools found it."""
    headers = [
        "point",
        "index",
        "leading multiplier",
        "norm",
        "readout",
        "FixedPointFinder's row: q float32 / float64 there",
        "search",
        "skeleton",
    ]
    return "## Every fixed point\n\n" + table(headers, point_rows(f))


def orbit_rows(f: Findings) -> list[tuple]:
    """A row for each orbit the free runs end on: its period, runs, readout along it, its
    stability, its size, the fixed point nearest its mean and whether that point's readout
    has the same signs."""
    rows = []
    for number, (orbit, runs) in enumerate(f.orbits):
        largest = np.abs(multipliers(f.rnn, orbit)[0])
        distance = np.linalg.norm(f.points - orbit.mean(axis=0), axis=1)
        near = int(distance.argmin())
        readout = f.outputs(orbit)
        corner = np.all(np.sign(readout) == np.sign(f.outputs(f.points[near][None])))
        rows.append(
            (
                f"O{number}",
                len(orbit),
                runs,
                " → ".join(signed(z) for z in readout),
                f"{largest:.3f} ({'stable' if largest < 1 else 'unstable'})",
                f"{np.max(np.linalg.norm(orbit[:, None] - orbit[None], axis=2)):.2f}",
                f"{named(f, near)}, {distance[near]:.2g} away",
                "yes" if corner else "no",
            )
        )
    return rows


def runs_section(f: Findings) -> str:
    """Where free runs from the starts end."""
    headers = [
        "orbit",
        "period",
        "runs",
        "readout along it",
        "largest modulus of the k-step map's multipliers",
        "diameter",
        "fixed point nearest its mean",
        "same readout signs",
    ]
    return (
        f"## Free runs from the {len(f.period):,} starts\n\n"
        f"{f.run_steps:,} steps of the map h <- tanh(W h + b) (u = 0, NumPy, float64) from each "
        f"start; a run has period k when |h(T) - h(T-k)| <= {PERIOD_TOL:g}, the smallest such "
        f"k <= {MAX_PERIOD}; {int(np.sum(f.period == 0))} runs have none. The orbits they end "
        "on (an orbit entered at any of its states counts once):\n\n"
        + table(headers, orbit_rows(f))
    )


def report(f: Findings) -> str:
    """The whole report, Markdown."""
    sections = [header, summary, counts, misses, points_table, runs_section, times]
    return "\n\n".join(section(f) for section in sections) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="a file for the trained weights: loaded when it holds this example's, else "
        "written after training (training takes seconds; default: train on every run)",
    )
    parser.add_argument("--out", type=Path, default=None, help="write the report here too")
    parser.add_argument("--steps", type=int, default=RUN_STEPS, help="steps of each free run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each tool, for times")
    parser.add_argument("--seed", type=int, default=0, help="torch's seed for the training")
    args = parser.parse_args()
    if not fixedpointfinder.available():
        raise SystemExit(f"FixedPointFinder is needed: {fixedpointfinder.INSTALL_HINT}")
    torch.set_num_threads(1)
    text = report(analyse(Example(seed=args.seed), args.cache, args.steps, args.repeats))
    print(text, end="")
    if args.out is not None:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
