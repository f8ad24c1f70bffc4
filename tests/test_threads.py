"""Threads: the core called from several Python threads at once, chunked runs, and Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import rnndyn as rd
from rnndyn import _progress


def _work(seed: int) -> tuple[np.ndarray, ...]:
    """Train, run and search fixed points of one small network (all through the core)."""
    net = rd.ESN(120, 2, 2, seed=seed)
    task = rd.tasks.FlipFlop(2, seed=seed)
    history = rd.train_force(net, task.sample(600), n_jobs=2)
    run = net.run(task.sample(200), n_jobs=2)
    starts = rd.sample_states(run.states, 12, seed=seed)
    fps = rd.find_fixed_points(net, starts, n_jobs=2)
    return history.errors, net.readout, run.states, fps.points, fps.q, fps.eigenvalues


def test_python_threads_calling_the_core_at_once_match_serial_calls():
    seeds = [0, 1, 2, 3]
    serial = [_work(seed) for seed in seeds]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(_work, seeds))
    for one, other in zip(serial, threaded, strict=True):
        for a, b in zip(one, other, strict=True):
            np.testing.assert_array_equal(a, b)


def test_results_do_not_depend_on_chunking_or_threads(monkeypatch):
    task = rd.tasks.FlipFlop(1, seed=3)
    sample = task.sample(1500)

    def train(n_jobs: int) -> tuple[np.ndarray, ...]:
        net = rd.ESN(200, 1, 1, seed=3)
        history = rd.train_force(net, sample, n_jobs=n_jobs, snapshot_every=500)
        return net.readout, net.state, history.errors, history.inverse_correlation

    whole = train(1)
    monkeypatch.setattr(_progress, "CHUNK_WORK", 7 * 200**2)  # pieces of 7 steps
    for pieces in (train(1), train(2)):
        for a, b in zip(whole, pieces, strict=True):
            np.testing.assert_array_equal(a, b)


# The child prints when it is under way, then, on KeyboardInterrupt, the time it caught it.
INTERRUPTED_CHILD = r"""
import signal, sys, time
import numpy as np
import rnndyn as rd

# Python's own handler even where SIGINT comes in ignored (a background job of a shell)
signal.signal(signal.SIGINT, signal.default_int_handler)

net = rd.ESN(1500, 1, 1, g=1.5, seed=0)
if sys.argv[1] == "fixed points":
    starts = rd.sample_states(net.run(np.zeros((100, 1))).states, 256, noise=0.5, seed=0)
    work = lambda: rd.find_fixed_points(net, starts, n_jobs=2, max_iter=10**6)
elif sys.argv[1] == "linearisation":
    # the linearisation of many points, each a few milliseconds
    small = rd.ESN(100, 1, 1, g=1.5, seed=0)
    core, states = small.core_system(), np.random.default_rng(0).normal(0, 1, (40_000, 100))
    work = lambda: core.least_stable(states, 10, n_jobs=2)
else:
    sample = rd.tasks.FlipFlop(1, seed=0).sample(10**6)
    work = lambda: rd.train_force(net, sample, n_jobs=2)
print("under way", flush=True)
try:
    work()
    print("finished")
except KeyboardInterrupt:
    print("interrupted", time.time(), flush=True)
"""


@pytest.mark.parametrize("work", ["fixed points", "linearisation", "training"])
def test_ctrl_c_stops_a_long_run_within_a_second(work: str):
    with subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_CHILD, work], stdout=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout.readline().strip() == "under way"
            time.sleep(1.5)  # well inside the core
            sent = time.time()
            child.send_signal(signal.SIGINT)
            answer = child.communicate(timeout=60)[0].split()
            assert child.returncode == 0
        finally:
            child.kill()
    assert answer[0] == "interrupted"
    assert float(answer[1]) - sent < 1.0


def test_one_blas_thread_holds_until_the_last_overlapping_thread_leaves():
    """Two threads overlap as sweeps on a thread pool do: the first leaves while the second
    still runs LAPACK. threadpoolctl alone would give the second two BLAS threads from then
    on (and leave one behind); the counted limit keeps one until the last leaves."""
    from threading import Event, Thread

    import threadpoolctl
    from rnndyn._blas import one_blas_thread

    def blas_threads() -> list[int]:
        # the BLAS pools: OpenMP's limits (torch's, where imported) are per thread
        info = threadpoolctl.threadpool_info()
        return [pool["num_threads"] for pool in info if pool["user_api"] == "blas"]

    with threadpoolctl.threadpool_limits(limits=2):
        before = blas_threads()
        assert max(before) == 2
        entered, first_left, seen = Event(), Event(), []

        def second() -> None:
            with one_blas_thread():
                entered.set()
                first_left.wait(10)
                seen.append(blas_threads())

        with one_blas_thread():
            thread = Thread(target=second)
            thread.start()
            assert entered.wait(10)
        first_left.set()
        thread.join(10)
        assert seen == [[1] * len(before)]
        assert blas_threads() == before
