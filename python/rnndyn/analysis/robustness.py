"""Robustness to weight noise (the paper's section 8, figure 9): perturb one weight matrix of a
trained network by Gaussian noise of growing size and measure how its test error, on a
flip-flop the share of bits it holds, and optionally its number of stable fixed points
degrade."""

from __future__ import annotations

import os
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from .._executor import check_executor, map_jobs
from .._io import SavedResult
from .._store import NOT_IN_KEY, as_store
from .._validation import as_array, as_choice, as_int, as_jobs
from ..errors import DivergenceError
from ..fixedpoints.search import find_fixed_points
from ..fixedpoints.starts import sample_states
from ..networks.esn import ESN
from ..tasks import FlipFlop, Task

# the `matrix` argument of noise_robustness
Matrix = Literal["recurrent", "feedback", "readout"]
MATRICES: tuple[Matrix, ...] = ("recurrent", "feedback", "readout")
DEFAULT_ETA = np.logspace(-4, 0, 20)  # the levels of figure 9's range, 1e-4 to 1


@dataclass(frozen=True)
class RobustnessResult(SavedResult):
    """Test error of noise-perturbed copies of a network.

    - eta: (L,) noise levels η; the noise's standard deviation is σ = η · noise_scale.
    - mse: (L, trials) test MSE of each perturbed network (inf where the run diverged).
    - relative: whether σ was relative to the matrix's spread (noise_scale = its std) or
      absolute (noise_scale = 1).
    - matrix: the perturbed matrix, one of MATRICES.
    - steps: length of the test sequence.
    - seed: the seed of the noise draws.
    - baseline_mse: test MSE of the unperturbed network on the same sequence.
    - noise_scale: std of the matrix's nonzero entries if `relative`, else 1.
    - stable_counts: (L, trials) stable fixed points of each perturbed network, or None.
    - baseline_stable_count: stable fixed points of the unperturbed network, or None.
    - bits_held: (L, trials) share of the bits each perturbed network holds on the test run
      (`FlipFlop.bits_held`; 0 where the run diverged), or None if the task is not a FlipFlop.
    - baseline_bits_held: the share the unperturbed network holds, or None likewise.
    """

    eta: np.ndarray
    mse: np.ndarray
    relative: bool
    matrix: str
    steps: int
    seed: int
    baseline_mse: float
    noise_scale: float = 1.0
    stable_counts: np.ndarray | None = None
    baseline_stable_count: int | None = None
    bits_held: np.ndarray | None = None
    baseline_bits_held: float | None = None

    @property
    def sigma(self) -> np.ndarray:
        """(L,) the noise's standard deviation at each level, in weight units."""
        return self.eta * self.noise_scale

    @property
    def median_mse(self) -> np.ndarray:
        """(L,) median test MSE over trials at each level."""
        median: np.ndarray = np.median(self.mse, axis=1)
        return median

    @property
    def median_bits_held(self) -> np.ndarray | None:
        """(L,) median share of bits held over trials at each level, or None (not a
        flip-flop)."""
        if self.bits_held is None:
            return None
        median: np.ndarray = np.median(self.bits_held, axis=1)
        return median


def noise_robustness(
    net: ESN,
    task: Task,
    eta: ArrayLike = DEFAULT_ETA,
    trials: int = 10,
    relative: bool = False,
    matrix: Matrix = "recurrent",
    steps: int = 5_000,
    stable_points: bool = False,
    n_states: int = 64,
    seed: int = 0,
    executor: Executor | Literal["processes"] | None = None,
    fixed_point_options: dict[str, Any] | None = None,
    progress: bool = False,
    out: str | os.PathLike[str] | None = None,
    n_jobs: int | None = None,
) -> RobustnessResult:
    """Add Gaussian noise N(0, σ²) to one weight matrix of copies of `net` and test each copy.

    - net: a trained network; it is not modified. Every copy starts from `net.state`.
    - task: anything with `sample(steps)` → (inputs (T, I), targets (T, O)), e.g. a
      FlipFlop. One test sequence is drawn once (advancing the task's generator) and shared by
      every level and trial. With a FlipFlop (an instance of it or a subclass) each copy's
      share of bits held is measured as well (`FlipFlop.bits_held`, settled 20 steps after
      each flip; a diverged copy holds none); any other task's targets are not taken for
      bits, even if they are ±1, and `bits_held` is None.
    - eta: (L,) noise levels η ≥ 0. σ = η, or with `relative` σ = η · std of the matrix's
      nonzero entries (a sparse W_r's absent connections do not count; the noise lands on
      every entry all the same).
    - trials: noisy copies per level.
    - matrix: "recurrent" (W_r, the paper's choice), "feedback" (W_fb) or "readout" (W_o).
    - steps: length T of the test sequence.
    - stable_points: also count the stable fixed points of each copy at zero input, by
      `find_fixed_points` from `n_states` states sampled from the unperturbed network's test
      run (options in `fixed_point_options`, e.g. {"eigenvalues": 10}). Costly: one search
      per copy, ≈ 10-30 s at N = 1000 with full spectra, where a test run takes ≈ 0.1 s.
    - seed: the noise of level l, trial k comes from SeedSequence(seed, spawn_key=(l, k)), so
      results do not depend on the order of work, and the same seed gives the same result.
    - executor: None (this process), "processes" (a local process pool for this call), or any
      concurrent.futures.Executor, e.g. `distributed.Client(...).get_executor()`; results
      are the same, bit for bit (one job per level, each doing the serial computation, with
      the noise of its own seeds). Without an executor the sweep runs on one core;
      "processes" starts min(os.cpu_count(), len(eta)) processes (≈ 0.5 s the first time in
      a session, ≈ 0.05 s after: on POSIX they fork from a server that has imported rnndyn),
      which pays once a level takes longer than that (N = 1000: 3 trials of 2,000 steps
      take ≈ 0.8 s; with `stable_points`, seconds). A process or cluster executor pickles
      each level's job (the network, the test sequence and the starting states).
    - progress: a progress bar over levels.
    - out: a folder (created if missing) that keeps each finished level's outcome, keyed by
      everything it depends on (the network, the test sequence, σ, the level's index, trials,
      seed, the fixed-point starts and options; not the executor). Run again with the same
      arguments, the sweep takes those levels from it and computes only the rest, saving each
      as it finishes: an interrupted sweep resumes where it stopped, with the result an
      uninterrupted one gives, bit for bit. The files are pickles: use a folder you trust.
      None (default): nothing is kept.
    - n_jobs: threads for each copy's test run and fixed-point search (None: the cores this
      process may use, as `ESN.run`; 1 when an executor runs the levels, which are then the
      parallel work). Results do not depend on it.
    """
    _check_network_and_task(net, task)
    levels = as_array("eta", eta, (None,)).copy()  # the result must not share the default
    if levels.size == 0 or np.any(levels < 0):
        raise ValueError("eta must hold at least one noise level, each >= 0")
    trials = as_int("trials", trials, minimum=1)
    if not isinstance(relative, bool):
        raise TypeError(f"relative must be a bool, got {type(relative).__name__}")
    matrix = as_choice("matrix", matrix, MATRICES)
    steps = as_int("steps", steps, minimum=1)
    n_states = as_int("n_states", n_states, minimum=1)
    seed = as_int("seed", seed, minimum=0)
    executor = check_executor(executor)
    n_jobs = as_jobs("n_jobs", 1 if n_jobs is None and executor is not None else n_jobs, net.size)
    store = as_store("out", out)
    options = dict(fixed_point_options or {})
    inputs, targets = _test_sequence(net, task, steps)
    bits = isinstance(task, FlipFlop)
    noise_scale = _spread(getattr(net, matrix), matrix) if relative else 1.0

    baseline = net.copy().run(inputs, targets, n_jobs=n_jobs)
    baseline_bits_held = _baseline_bits_held(baseline.outputs, targets) if bits else None
    starts, baseline_stable_count = (
        _stable_baseline(net, baseline.states, n_states, seed, options)
        if stable_points
        else (None, None)
    )
    first = _Level(
        net, inputs, targets, matrix, 0.0, 0, trials, seed, starts, options, bits, n_jobs
    )
    jobs = [replace(first, sigma=float(s), level=k) for k, s in enumerate(levels * noise_scale)]
    outcomes = map_jobs(
        _run_level,
        jobs,
        executor,
        progress=progress,
        desc="noise levels",
        unit="level",
        store=store,
    )
    mse, counts, held = zip(*outcomes, strict=True)
    return RobustnessResult(
        eta=levels,
        mse=np.stack(mse),
        relative=relative,
        matrix=matrix,
        steps=steps,
        seed=seed,
        baseline_mse=_test_mse(baseline.outputs, targets),
        noise_scale=noise_scale,
        stable_counts=np.stack(counts) if stable_points else None,
        baseline_stable_count=baseline_stable_count,
        bits_held=np.stack(held) if bits else None,
        baseline_bits_held=baseline_bits_held,
    )


def _baseline_bits_held(outputs: np.ndarray, targets: np.ndarray) -> float:
    """The unperturbed network's share of bits held (outputs, targets: (T, bits)); measured
    before the sweep, so that a test run too short to hold a bit is refused at once."""
    try:
        return FlipFlop.bits_held(outputs, targets)
    except ValueError as exc:
        raise ValueError(
            f"steps={len(targets)}: the flip-flop's test sequence has no bit to hold ({exc})"
        ) from None


def _stable_baseline(
    net: ESN, states: np.ndarray, n_states: int, seed: int, options: dict[str, Any]
) -> tuple[np.ndarray, int]:
    """The starts (n_states, N) of every copy's fixed-point search, sampled from the
    unperturbed test run's states (T, N), and the unperturbed network's stable count."""
    # the starts are drawn from their own stream, apart from every (level, trial) one
    starts = sample_states(
        states, n_states, seed=np.random.default_rng(np.random.SeedSequence(seed))
    )
    return starts, _stable_count(net, starts, options)


def _check_network_and_task(net: object, task: object) -> None:
    """TypeError unless `net` is an ESN and `task` has a `sample` method."""
    if not isinstance(net, ESN):
        raise TypeError(f"net must be an ESN, got {type(net).__name__}")
    if not callable(getattr(task, "sample", None)):
        raise TypeError(f"task must have a sample(steps) method, got {type(task).__name__}")


def _test_sequence(net: ESN, task: Task, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """One test sequence of `steps` steps from the task: inputs (T, I) and targets (T, O)."""
    sample = task.sample(steps)
    if not (isinstance(sample, tuple) and len(sample) == 2 and sample[1] is not None):
        raise ValueError("task.sample(steps) must return (inputs, targets) with targets")
    inputs, targets = net.check_sequence(*sample)
    assert targets is not None  # sample[1] was checked above
    return inputs, targets


@dataclass(frozen=True)
class _Level:
    """One noise level's work, picklable so that a process or cluster executor can run it."""

    net: ESN
    inputs: np.ndarray
    targets: np.ndarray
    matrix: str
    sigma: float
    level: int
    trials: int
    seed: int
    starts: np.ndarray | None
    fixed_point_options: dict[str, Any]
    bits: bool  # the targets are a FlipFlop's: measure the bits held
    n_jobs: int = field(default=1, metadata=NOT_IN_KEY)  # threads; the outcome is the same


def _run_level(job: _Level) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Test MSE (trials,), stable fixed-point counts (trials,) (-1 if not asked) and shares
    of bits held (trials,) (0 if not asked) of the level's perturbed copies."""
    mse = np.empty(job.trials)
    counts = np.full(job.trials, -1)
    held = np.zeros(job.trials)  # a diverged copy holds no bit; all 0 if not job.bits
    for trial in range(job.trials):
        rng = np.random.default_rng(np.random.SeedSequence(job.seed, spawn_key=(job.level, trial)))
        perturbed = job.net.copy()
        weights = getattr(perturbed, job.matrix)
        setattr(perturbed, job.matrix, weights + job.sigma * rng.standard_normal(weights.shape))
        try:
            outputs = perturbed.run(job.inputs, n_jobs=job.n_jobs).outputs
        except DivergenceError:
            mse[trial] = np.inf
        else:
            mse[trial] = _test_mse(outputs, job.targets)
            if job.bits:
                held[trial] = FlipFlop.bits_held(outputs, job.targets)
        if job.starts is not None:
            options = {"n_jobs": job.n_jobs, **job.fixed_point_options}
            counts[trial] = _stable_count(perturbed, job.starts, options)
    return mse, counts, held


def _test_mse(outputs: np.ndarray, targets: np.ndarray) -> float:
    return float(np.mean((outputs - targets) ** 2))


def _stable_count(net: ESN, starts: np.ndarray, options: dict[str, Any]) -> int:
    return len(find_fixed_points(net, starts, **options).stable)


def _spread(weights: np.ndarray, matrix: str) -> float:
    """Std of the nonzero entries: the scale that relative noise is measured in."""
    nonzero = weights[weights != 0]
    if nonzero.size == 0 or np.std(nonzero) == 0:
        raise ValueError(
            f"relative=True needs a {matrix} matrix with spread, but its nonzero entries have "
            "none (an untrained readout is all zeros)"
        )
    return float(np.std(nonzero))
