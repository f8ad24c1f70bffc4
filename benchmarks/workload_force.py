"""Workload 1: FORCE learning, the paper's Table 1 run (N = 1000, g = 1.5, τ = 10, dt = 1,
train every 2 steps, 3-bit flip-flop, 30,000 training + 5,000 test steps), by every
implementation at hand, in one process so that the ratios compare like with like."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy_force
import reservoirpy_force
import rnndyn as rd
from markdown import ratio, table
from rnndyn import reference
from settings import Settings
from timing import Timing, measure, seconds


@dataclass(frozen=True)
class ForceRun:
    """One implementation's time for the whole Table 1 run (training + test).

    total: the seconds, measured, or extrapolated from shorter runs (`extrapolated` says how);
    None when the implementation is not available (`note` says why).
    """

    name: str
    threads: str
    total: Timing | None
    extrapolated: str = ""
    test_mse: float | None = None
    test_accuracy: float | None = None
    note: str = ""


@dataclass
class ForceResult:
    """Every implementation's run, the trained float64 network, and checks across them."""

    runs: list[ForceRun]
    trained: rd.ESN
    steps: int
    readout_difference: float | None = None  # max |ΔW_o| / max |W_o|, NumPy+BLAS vs core

    def find(self, name: str, threads: str = "1") -> ForceRun | None:
        """The run of `name` with `threads`, if it was measured."""
        for run in self.runs:
            if run.name == name and run.threads == threads and run.total is not None:
                return run
        return None

    def fastest_core_float64(self) -> ForceRun:
        """rnndyn's float64 run with the most threads measured."""
        return self.find(CORE_64, "2") or self.find(CORE_64, "1")

    def markdown(self, settings: Settings) -> str:
        """The section of RESULTS.md."""
        baseline = self.fastest_core_float64()
        rows = []
        for run in self.runs:
            if run.total is None:
                rows.append([run.name, run.threads, run.note, "", "", "", "", ""])
                continue
            time = seconds(run.total.median)
            if run.extrapolated:
                time = f"{time} (extrapolated)"
            rows.append(
                [
                    run.name,
                    run.threads,
                    time,
                    run.total.spread(),
                    seconds(run.total.median / self.steps),
                    ratio(run.total.median, baseline.total.median),
                    "" if run.test_mse is None else f"{run.test_mse:.2e}",
                    "" if run.test_accuracy is None else f"{run.test_accuracy:.1%}",
                ]
            )
        s = settings
        lines = [
            f"N = {s.n}, g = 1.5, τ = 10, dt = 1, train every {s.train_every} steps, "
            f"{s.bits}-bit flip-flop (seed 0), {s.train_steps:,} training + {s.test_steps:,} test "
            f"steps; time = `rd.train_force` + `net.run` (or each implementation's equivalent), "
            f"median of the repeats; spread = min–max over them.",
            "",
            table(
                [
                    "implementation",
                    "threads",
                    "Table 1 run, median",
                    "spread",
                    "per step",
                    f"÷ {baseline.name}, {baseline.threads} thread(s)",
                    "test MSE",
                    "test accuracy",
                ],
                rows,
            ),
            "",
        ]
        lines += [f"- {run.name}: {run.extrapolated}" for run in self.runs if run.extrapolated]
        if self.readout_difference is not None:
            lines.append(
                f"- Same arithmetic: after {s.train_steps:,} training steps the "
                f"NumPy+BLAS readout differs from the core's by {self.readout_difference:.1e} "
                f"(max |ΔW_o| / max |W_o|)."
            )
        return "\n".join(lines)


CORE_64 = "rnndyn C++ core, float64"
# the threads column of a run with train_force's and run's default arguments (n_jobs=None)
DEFAULT = "default"
CORE_32 = "rnndyn C++ core, float32"
BLAS = "NumPy + BLAS dsymv/dsyr in place (benchmarks/numpy_force.py)"
REFERENCE = "NumPy reference, plain (rnndyn.reference)"
RESERVOIRPY = "reservoirpy RLS with feedback"


def accepts(function: Callable[..., Any], name: str) -> bool:
    """Whether `function` takes a parameter called `name` (features the core may gain)."""
    return name in inspect.signature(function).parameters


def thread_counts() -> tuple[int, ...]:
    """(1, 2) if `train_force` takes n_jobs, else (1,)."""
    return (1, 2) if accepts(rd.train_force, "n_jobs") else (1,)


def float32_available() -> bool:
    """Whether the network or FORCE take a `dtype`."""
    return accepts(rd.ESN, "dtype") or accepts(rd.train_force, "dtype")


def core_options(function: Callable[..., Any], n_jobs: int | None, dtype: Any) -> dict[str, Any]:
    """The keyword arguments among n_jobs and dtype that `function` takes (n_jobs given
    explicitly, 1 too: the default is every core; None leaves it at the default)."""
    options: dict[str, Any] = {}
    if n_jobs is not None and accepts(function, "n_jobs"):
        options["n_jobs"] = n_jobs
    if dtype is not np.float64 and accepts(function, "dtype"):
        options["dtype"] = dtype
    return options


def test_scores(outputs: np.ndarray, targets: np.ndarray) -> tuple[float, float | None]:
    """Test MSE and flip-flop accuracy (None when the test is too short to have settled bits)."""
    mse = float(np.mean((outputs - targets) ** 2))
    try:
        return mse, rd.tasks.FlipFlop.accuracy(outputs, targets)
    except ValueError:
        return mse, None


def run_core(
    settings: Settings, train: tuple, test: tuple, n_jobs: int | None, dtype: Any
) -> tuple[ForceRun, rd.ESN]:
    """rnndyn's core: `train_force` then `net.run`, timed together (n_jobs None: with the
    default arguments); returns the run and the last trained network."""
    s = settings

    def fresh() -> rd.ESN:
        return rd.ESN(s.n, s.bits, s.bits, seed=0, **core_options(rd.ESN, n_jobs, dtype))

    def job(net: rd.ESN) -> tuple[rd.ESN, rd.RunResult]:
        rd.train_force(
            net, *train, train_every=s.train_every, **core_options(rd.train_force, n_jobs, dtype)
        )
        return net, net.run(test[0], test[1], **core_options(rd.ESN.run, n_jobs, dtype))

    def warm_up() -> None:
        job_inputs = (train[0][:200], train[1][:200])
        rd.train_force(fresh(), *job_inputs, **core_options(rd.train_force, n_jobs, dtype))

    timing, (net, result) = measure(job, s.force_repeats, warm_up=warm_up, setup=fresh)
    mse, accuracy = test_scores(result.outputs, test[1])
    name = CORE_32 if dtype is np.float32 else CORE_64
    threads = DEFAULT if n_jobs is None else str(n_jobs)
    return ForceRun(name, threads, timing, test_mse=mse, test_accuracy=accuracy), net


def run_blas(
    settings: Settings, net: rd.ESN, train: tuple, test: tuple
) -> tuple[ForceRun, np.ndarray]:
    """NumPy with BLAS in place, the full run; returns the run and the trained readout."""
    s = settings

    def job() -> tuple[dict, dict]:
        trained = numpy_force.run_network(
            net.recurrent,
            net.feedback,
            net.input,
            net.readout,
            net.state,
            *train,
            dt_over_tau=net.dt / net.tau,
            train_every=s.train_every,
        )
        tested = numpy_force.run_network(
            net.recurrent,
            net.feedback,
            net.input,
            trained["readout"],
            trained["state"],
            test[0],
            dt_over_tau=net.dt / net.tau,
        )
        return trained, tested

    timing, (trained, tested) = measure(job, s.blas_repeats)
    mse, accuracy = test_scores(tested["outputs"], test[1])
    return ForceRun(BLAS, "1", timing, test_mse=mse, test_accuracy=accuracy), trained["readout"]


def run_reference(settings: Settings, net: rd.ESN, train: tuple, test: tuple) -> ForceRun:
    """The plain reference on shorter runs, extrapolated per step to the full run."""
    s = settings
    train_steps, test_steps = s.reference_train_steps, s.reference_test_steps

    def weights() -> tuple:
        return net.recurrent, net.feedback, net.input, net.readout, net.state

    training, _ = measure(
        lambda: reference.run_network(
            *weights(),
            train[0][:train_steps],
            train[1][:train_steps],
            dt_over_tau=net.dt / net.tau,
            train_every=s.train_every,
        ),
        s.reference_repeats,
    )
    testing, _ = measure(
        lambda: reference.run_network(
            *weights(),
            test[0][:test_steps],
            dt_over_tau=net.dt / net.tau,
        ),
        s.reference_repeats,
    )
    total = Timing(
        tuple(
            a * s.train_steps / train_steps + b * s.test_steps / test_steps
            for a, b in zip(training.samples, testing.samples, strict=True)
        )
    )
    how = (
        f"extrapolated: {train_steps:,} training steps timed "
        f"({seconds(training.median / train_steps)}/step) and {test_steps:,} test steps "
        f"({seconds(testing.median / test_steps)}/step), scaled to {s.train_steps:,} + "
        f"{s.test_steps:,}."
    )
    return ForceRun(REFERENCE, "1", total, extrapolated=how)


def run_reservoirpy(settings: Settings, net: rd.ESN, train: tuple, test: tuple) -> ForceRun:
    """reservoirpy, if installed: per-step times of RLS training and of running, scaled to the
    full run with the same number of RLS updates (reservoirpy updates at every step)."""
    version = reservoirpy_force.version()
    if version is None:
        return ForceRun(RESERVOIRPY, "1", None, note="not installed")
    s = settings
    steps = s.reservoirpy_steps

    def trained_model() -> Any:
        model = reservoirpy_force.feedback_model(net)
        model.partial_fit(train[0][:steps], train[1][:steps])
        return model

    fitting, _ = measure(
        lambda model: model.partial_fit(train[0][:steps], train[1][:steps]),
        s.reservoirpy_repeats,
        setup=lambda: reservoirpy_force.feedback_model(net),
    )
    running, _ = measure(
        lambda model: model.run(test[0][:steps]), s.reservoirpy_repeats, setup=trained_model
    )
    updates = s.train_steps // s.train_every
    plain = s.train_steps - updates + s.test_steps
    total = Timing(
        tuple(
            a * updates / steps + b * plain / steps
            for a, b in zip(fitting.samples, running.samples, strict=True)
        )
    )
    how = (
        f"reservoirpy {version}, extrapolated: {steps} training steps (an RLS update at "
        f"each: {seconds(fitting.median / steps)}/step) and {steps} test steps "
        f"({seconds(running.median / steps)}/step) timed, scaled to {updates:,} updates + "
        f"{plain:,} steps without (the same number of updates as train_every = "
        f"{s.train_every}; updating at all {s.train_steps:,} training steps, as reservoirpy "
        f"does, would take {seconds(fitting.median * s.train_steps / steps, like=1.0)} "
        f"+ {seconds(running.median * s.test_steps / steps, like=1.0)}). Its model: leaky "
        f"rates with lr = dt/τ; the same cost per step."
    )
    return ForceRun(RESERVOIRPY, "1", total, extrapolated=how)


def run(settings: Settings, log: Callable[[str], None] = print) -> ForceResult:
    """Every implementation on the Table 1 run."""
    s = settings
    task = rd.tasks.FlipFlop(s.bits, seed=0)
    train, test = task.sample(s.train_steps), task.sample(s.test_steps)
    runs: list[ForceRun] = []
    trained = None
    for dtype in (np.float64, np.float32):
        if dtype is np.float32 and not float32_available():
            runs.append(
                ForceRun(
                    CORE_32,
                    "1, 2",
                    None,
                    note="not available (no dtype argument in rd.ESN or rd.train_force)",
                )
            )
            continue
        for n_jobs in thread_counts():
            log(f"  FORCE: rnndyn core, {np.dtype(dtype).name}, {n_jobs} thread(s)")
            result, net = run_core(s, train, test, n_jobs, dtype)
            runs.append(result)
            if dtype is np.float64 and trained is None:
                trained = net
    if not accepts(rd.train_force, "n_jobs"):
        runs.append(ForceRun(CORE_64, "2", None, note="not available (no n_jobs argument)"))
    log("  FORCE: rnndyn core, float64, default arguments")
    runs.append(run_core(s, train, test, None, np.float64)[0])
    untrained = rd.ESN(s.n, s.bits, s.bits, seed=0)
    log("  FORCE: NumPy + BLAS in place")
    blas, readout = run_blas(s, untrained, train, test)
    runs.append(blas)
    log("  FORCE: NumPy reference (shortened)")
    runs.append(run_reference(s, untrained, train, test))
    log("  FORCE: reservoirpy (shortened)")
    runs.append(run_reservoirpy(s, untrained, train, test))
    difference = float(np.max(np.abs(readout - trained.readout)) / np.max(np.abs(readout)))
    return ForceResult(runs, trained, s.train_steps + s.test_steps, difference)
