"""Sweeps on executors: the robustness sweep, the evolution over training and batches of
initial states give the serial results, bit for bit, on threads, on local processes and on a
local Dask cluster; bad executors and batch sizes are refused."""

from __future__ import annotations

import functools
import logging
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import fields
from typing import Any

import numpy as np
import pytest
import rnndyn as rd
from rnndyn import _executor
from rnndyn.fixedpoints.search import CHUNK_STATES

FlipFlop = rd.tasks.FlipFlop


@functools.cache
def _trained() -> tuple[rd.ESN, rd.TrainingHistory, np.ndarray]:
    """N = 150 trained on the 2-bit flip-flop with three readout snapshots, and 540 starting
    states near its test run (three batches of 256, the last one partial). Cached: tests must
    not modify what this returns."""
    task = FlipFlop(2, seed=2)
    net = rd.ESN(150, 2, 2, seed=2)
    history = rd.train_force(net, task.sample(6000), snapshot_every=2000)
    starts = rd.sample_states(net.run(task.sample(1000)).states, 540, noise=0.2, seed=0)
    return net, history, starts


def _robustness(executor: Any = None) -> rd.RobustnessResult:
    net = _trained()[0]
    return rd.noise_robustness(
        net,
        FlipFlop(2, seed=1),
        eta=[1e-4, 1e-3, 1e-2],
        trials=2,
        steps=500,
        stable_points=True,
        n_states=8,
        seed=3,
        executor=executor,
    )


def _evolution(executor: Any = None) -> rd.Evolution:
    net, history, starts = _trained()
    return rd.fixed_point_evolution(net, history, starts[:32], executor=executor)


def _fixed_points(executor: Any = None, **options: Any) -> rd.FixedPoints:
    net, _, starts = _trained()
    return rd.find_fixed_points(net, starts, executor=executor, **options)


@functools.cache
def _serial() -> tuple[rd.RobustnessResult, rd.Evolution, rd.FixedPoints]:
    return _robustness(), _evolution(), _fixed_points()


def _assert_same_fixed_points(a: rd.FixedPoints, b: rd.FixedPoints) -> None:
    for field in fields(a):
        first, second = getattr(a, field.name), getattr(b, field.name)
        if isinstance(first, np.ndarray):
            assert first.dtype == second.dtype, field.name
            np.testing.assert_array_equal(first, second, err_msg=field.name, strict=True)
        else:
            assert first == second, field.name


def _assert_same(
    results: tuple[rd.RobustnessResult, rd.Evolution, rd.FixedPoints],
) -> None:
    robustness, evolution, fixed_points = results
    serial_robustness, serial_evolution, serial_fixed_points = _serial()
    for name in ("mse", "stable_counts"):
        np.testing.assert_array_equal(
            getattr(robustness, name), getattr(serial_robustness, name), strict=True
        )
    assert robustness.baseline_stable_count == serial_robustness.baseline_stable_count
    np.testing.assert_array_equal(evolution.steps, serial_evolution.steps, strict=True)
    np.testing.assert_array_equal(evolution.events, serial_evolution.events, strict=True)
    for mine, theirs in zip(evolution.tracks, serial_evolution.tracks, strict=True):
        np.testing.assert_array_equal(mine, theirs, strict=True)
    for mine, theirs in zip(evolution.fixed_points, serial_evolution.fixed_points, strict=True):
        _assert_same_fixed_points(mine, theirs)
    _assert_same_fixed_points(fixed_points, serial_fixed_points)


def _run_all(executor: Any) -> tuple[rd.RobustnessResult, rd.Evolution, rd.FixedPoints]:
    return _robustness(executor), _evolution(executor), _fixed_points(executor)


def test_the_serial_results_are_worth_comparing():
    robustness, evolution, fixed_points = _serial()
    assert np.all(np.isfinite(robustness.mse)) and np.all(robustness.stable_counts >= 1)
    assert len(evolution) == 4 and evolution.counts[-1] >= 2
    # several points, found from starts in every batch
    assert len(fixed_points) >= 5 and fixed_points.count.sum() == 540 > 2 * CHUNK_STATES


def test_threads_give_the_serial_results():
    with ThreadPoolExecutor(2) as executor:
        _assert_same(_run_all(executor))


@pytest.fixture(scope="module")
def spawned() -> Iterator[Executor]:
    """Two spawned processes: every job must pickle and carry all it needs (nothing is
    inherited from here)."""
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as executor:
        yield executor


def test_spawned_processes_give_the_serial_results(spawned: Executor):
    _assert_same(_run_all(spawned))


def test_a_local_process_pool_per_call_gives_the_serial_results():
    net, history, starts = _trained()
    _assert_same(
        (
            _robustness("processes"),
            rd.fixed_point_evolution(net, history, starts[:32], n_jobs=2, executor="processes"),
            _fixed_points("processes", n_jobs=2),
        )
    )


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[Executor]:
    """Two worker processes of one thread each: the work crosses process boundaries as on a
    real cluster (≈ 1.5 s to start here); no dashboard, logs only from errors."""
    import distributed  # the `dask` and `test` extras install it

    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client.get_executor()


def test_a_dask_cluster_gives_the_serial_results(dask_executor: Executor):
    _assert_same(_run_all(dask_executor))


def test_batches_of_whole_chunks_give_the_serial_result():
    # a start's result depends on the others of its chunk (shared blocks and preconditioners),
    # so batches are whole chunks; any multiple of the chunk gives the serial result
    with ThreadPoolExecutor(2) as executor:
        for batch_size in (CHUNK_STATES, 2 * CHUNK_STATES):
            _assert_same_fixed_points(
                _fixed_points(executor, batch_size=batch_size, progress=True), _serial()[2]
            )


def _velocity(x: np.ndarray) -> np.ndarray:
    """A 2-D system with fixed points at (±1, 0) and (0, 0)."""
    return np.array([x[0] - x[0] ** 3, -x[1]])


def _jacobian(x: np.ndarray) -> np.ndarray:
    return np.array([[1 - 3 * x[0] ** 2, 0.0], [0.0, -1.0]])


def test_a_python_system_on_processes_gives_the_serial_result(spawned: Executor):
    system = rd.FunctionSystem(_velocity, _jacobian)  # module-level functions: it pickles
    starts = np.random.default_rng(0).uniform(-2, 2, size=(CHUNK_STATES + 40, 2))
    serial = rd.find_fixed_points(system, starts)
    assert len(serial) == 3
    _assert_same_fixed_points(rd.find_fixed_points(system, starts, executor=spawned), serial)


def test_a_failing_job_raises_here():
    net, history, starts = _trained()
    with ThreadPoolExecutor(2) as executor, pytest.raises(ValueError, match="method must be"):
        rd.fixed_point_evolution(net, history, starts[:8], executor=executor, method="bfgs")
    # the pool of the call is stopped without waiting for the other jobs
    with pytest.raises(ValueError, match="method must be"):
        rd.fixed_point_evolution(
            net, history, starts[:8], n_jobs=2, executor="processes", method="bfgs"
        )


def test_a_pool_only_where_it_can_run_two_jobs():
    assert _executor.pool_size("processes", 4, 3) == 3
    assert _executor.pool_size("processes", 2, 10) == 2
    assert _executor.pool_size("processes", 1, 10) == 0  # one worker: the jobs run here
    assert _executor.pool_size("processes", 4, 1) == 0
    assert _executor.pool_size(None, 4, 10) == 0
    with ThreadPoolExecutor(1) as executor:
        assert _executor.pool_size(executor, 4, 10) == 0
    # run here, in order
    assert _executor.map_jobs(abs, [-2, 3, -1], "processes", workers=1) == [2, 3, 1]


class _NotAnExecutor:
    def map(self, *args: Any) -> None:  # map alone is not enough
        pass


@pytest.mark.parametrize("executor", ["pool", "threads", 2, _NotAnExecutor(), ThreadPoolExecutor])
@pytest.mark.parametrize("function", ["robustness", "evolution", "fixed_points"])
def test_bad_executors_are_refused(function: str, executor: Any):
    call = {"robustness": _robustness, "evolution": _evolution, "fixed_points": _fixed_points}
    with pytest.raises(TypeError, match="executor must be None, 'processes' or a concurrent"):
        call[function](executor)


@pytest.mark.parametrize(
    ("batch_size", "error", "match"),
    [
        (0, ValueError, "batch_size must be >= 256"),
        (100, ValueError, "batch_size must be >= 256"),
        (300, ValueError, "batch_size must be a multiple of 256"),
        (256.0, TypeError, "batch_size must be an integer"),
        ("256", TypeError, "batch_size must be an integer"),
    ],
)
def test_bad_batch_sizes_are_refused(batch_size: Any, error: type, match: str):
    with pytest.raises(error, match=match):
        _fixed_points(batch_size=batch_size)
