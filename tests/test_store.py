"""Sweeps that keep their finished jobs in a folder: atomic writes, corrupt files computed
again, keys that follow every input (and neither the executor nor n_jobs), and interrupted
sweeps that resume to the uninterrupted result, bit for bit."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rnndyn as rd
from rnndyn import _store
from rnndyn._executor import map_jobs
from rnndyn.analysis import evolution, robustness

FlipFlop = rd.tasks.FlipFlop
ETA = [1e-3, 1e-2, 1e-1, 1.0]


@functools.cache
def _trained() -> tuple[rd.ESN, rd.TrainingHistory, np.ndarray]:
    """N = 150 trained on the 2-bit flip-flop, with four readout snapshots, and 32 starting
    states from its test run. Cached: tests must not modify what this returns."""
    task = FlipFlop(2, seed=2)
    net = rd.ESN(150, 2, 2, seed=2)
    history = rd.train_force(net, task.sample(6000), snapshot_every=2000)
    starts = rd.sample_states(net.run(task.sample(1000)).states, 32, noise=0.2, seed=0)
    return net, history, starts


def _robustness(
    out: Any = None, executor: Any = None, progress: bool = False
) -> rd.RobustnessResult:
    """Four noise levels of two trials, with stable points counted (a fresh task each time:
    the test sequence is its first sample)."""
    return rd.noise_robustness(
        _trained()[0],
        FlipFlop(2, seed=1),
        eta=ETA,
        trials=2,
        steps=1000,
        stable_points=True,
        n_states=4,
        seed=5,
        executor=executor,
        out=out,
        progress=progress,
    )


def _evolution(out: Any = None, n_jobs: int = 1) -> rd.Evolution:
    net, history, starts = _trained()
    return rd.fixed_point_evolution(net, history, starts, out=out, n_jobs=n_jobs)


def _watch(
    monkeypatch: pytest.MonkeyPatch, module: Any, name: str, fail_at: int | None = None
) -> list[int]:
    """Count the calls of module.name (its wrapper keeps its name, so its jobs' keys); with
    `fail_at`, that call raises KeyboardInterrupt, as Ctrl-C would."""
    function = getattr(module, name)
    calls: list[int] = []
    lock = threading.Lock()

    @functools.wraps(function)
    def watched(job: Any) -> Any:
        with lock:
            calls.append(len(calls))
            if len(calls) == fail_at:
                raise KeyboardInterrupt
        return function(job)

    monkeypatch.setattr(module, name, watched)
    return calls


def _stored(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def _assert_same_fields(a: Any, b: Any) -> None:
    """Two dataclasses equal field by field, arrays bit for bit with their dtypes."""
    for field in fields(a):
        first, second = getattr(a, field.name), getattr(b, field.name)
        if isinstance(first, np.ndarray):
            np.testing.assert_array_equal(first, second, err_msg=field.name, strict=True)
        else:
            assert first == second, field.name


def _assert_same_evolution(a: rd.Evolution, b: rd.Evolution) -> None:
    for name in ("steps", "events"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), strict=True)
    assert a.tol_match == b.tol_match and a.kinds == b.kinds
    for mine, theirs in zip(a.tracks, b.tracks, strict=True):
        np.testing.assert_array_equal(mine, theirs, strict=True)
    for mine, theirs in zip(a.fixed_points, b.fixed_points, strict=True):
        _assert_same_fields(mine, theirs)


@functools.cache
def _uninterrupted() -> tuple[rd.RobustnessResult, rd.Evolution]:
    return _robustness(), _evolution()


def test_the_uninterrupted_results_are_worth_comparing():
    result, evo = _uninterrupted()
    # the error grows with the noise, and stable points are lost
    assert result.mse.shape == (4, 2) and np.all(np.isfinite(result.mse))
    assert result.median_mse[-1] > 10 * result.median_mse[0]
    assert result.baseline_stable_count >= 2 and np.all(result.stable_counts[0] >= 2)
    assert np.all(result.stable_counts[-1] < result.stable_counts[0])
    assert result.baseline_bits_held == 1.0 and np.all(result.bits_held[0] == 1.0)
    assert np.all(result.bits_held[-1] < 1.0)
    # points appear, vanish and change stability over training
    assert len(evo) == 4 and np.all(evo.counts >= 2) and len(evo.events) >= 2


def test_an_interrupted_sweep_resumes_to_the_uninterrupted_result(monkeypatch, tmp_path, capsys):
    calls = _watch(monkeypatch, robustness, "_run_level", fail_at=3)
    with pytest.raises(KeyboardInterrupt):
        _robustness(tmp_path)
    # the two levels finished before Ctrl-C are kept, and nothing else
    assert len(calls) == 3
    names = _stored(tmp_path)
    assert len(names) == 2 and all(n.startswith("_run_level-") for n in names)
    monkeypatch.undo()
    calls = _watch(monkeypatch, robustness, "_run_level")
    resumed = _robustness(tmp_path, progress=True)
    assert len(calls) == 2  # only the missing levels
    # the progress bar counts the stored levels as done from the start
    bar = capsys.readouterr().err
    assert "2/4" in bar and "4/4" in bar and "0/4" not in bar
    assert len(_stored(tmp_path)) == 4
    _assert_same_fields(resumed, _uninterrupted()[0])
    # a third run computes nothing
    _assert_same_fields(_robustness(tmp_path), resumed)
    assert len(calls) == 2


def test_an_interrupted_evolution_resumes_to_the_uninterrupted_result(monkeypatch, tmp_path):
    calls = _watch(monkeypatch, evolution, "_search_snapshot", fail_at=2)
    with pytest.raises(KeyboardInterrupt):
        _evolution(tmp_path)
    assert len(_stored(tmp_path)) == 1
    monkeypatch.undo()
    calls = _watch(monkeypatch, evolution, "_search_snapshot")
    # another thread count: the same searches, so the same keys
    resumed = _evolution(tmp_path, n_jobs=2)
    assert len(calls) == 3 and len(_stored(tmp_path)) == 4
    _assert_same_evolution(resumed, _uninterrupted()[1])


def test_a_sweep_interrupted_on_threads_resumes_to_the_same_result(monkeypatch, tmp_path):
    calls = _watch(monkeypatch, robustness, "_run_level", fail_at=3)
    with ThreadPoolExecutor(2) as executor, pytest.raises(KeyboardInterrupt):
        _robustness(tmp_path, executor)
    kept = len(_stored(tmp_path))
    assert 1 <= kept <= 3  # what finished before the interrupt reached here, in any order
    monkeypatch.undo()
    calls = _watch(monkeypatch, robustness, "_run_level")
    with ThreadPoolExecutor(2) as executor:
        resumed = _robustness(tmp_path, executor)
    assert len(calls) == 4 - kept
    _assert_same_fields(resumed, _uninterrupted()[0])


def test_jobs_stored_from_processes_are_taken_by_a_serial_run(monkeypatch, tmp_path):
    # the executor is not part of a key: a serial rerun finds every level
    _assert_same_fields(_robustness(tmp_path, "processes"), _uninterrupted()[0])
    calls = _watch(monkeypatch, robustness, "_run_level")
    _assert_same_fields(_robustness(tmp_path), _uninterrupted()[0])
    assert calls == []


def test_outcomes_of_an_earlier_format_are_not_taken(monkeypatch, tmp_path):
    with monkeypatch.context() as patch:
        patch.setattr(_store, "STORE_FORMAT", 1)
        _robustness(tmp_path)
    earlier = _stored(tmp_path)
    store = _store.JobStore(tmp_path)
    for path in (tmp_path / name for name in earlier):  # the outcomes format 1 kept
        mse_and_counts = store.load(path)[1][:2]
        store.save(path, mse_and_counts)
    calls = _watch(monkeypatch, robustness, "_run_level")
    _assert_same_fields(_robustness(tmp_path), _uninterrupted()[0])
    assert len(calls) == len(ETA) and set(earlier) < set(_stored(tmp_path))


def test_a_corrupt_file_is_computed_again(monkeypatch, tmp_path):
    _robustness(tmp_path)
    paths = sorted(tmp_path.iterdir())
    flipped = bytearray(paths[0].read_bytes())
    flipped[-5] ^= 1  # one bit of the pickled outcome
    paths[0].write_bytes(bytes(flipped))
    paths[1].write_bytes(paths[1].read_bytes()[:40])  # truncated
    calls = _watch(monkeypatch, robustness, "_run_level")
    with pytest.warns(UserWarning, match="is corrupt: its job is computed again") as caught:
        result = _robustness(tmp_path)
    assert len(caught) == 2 and len(calls) == 2
    _assert_same_fields(result, _uninterrupted()[0])
    # the files were replaced by sound ones
    store = _store.JobStore(tmp_path)
    assert all(store.load(path)[0] for path in paths)


def test_a_crash_during_a_write_leaves_no_file(monkeypatch, tmp_path):
    store = _store.JobStore(tmp_path)
    path = store.path(abs, -3)

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_store.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.save(path, np.arange(1000.0))
    assert _stored(tmp_path) == []  # nor the temporary file
    monkeypatch.undo()
    store.save(path, np.arange(1000.0))
    found, outcome = store.load(path)
    assert found and np.array_equal(outcome, np.arange(1000.0))


def test_a_process_killed_during_a_write_leaves_no_file(tmp_path):
    # os._exit stops the process with no cleanup, as SIGKILL would, after the bytes were
    # written and before the rename
    script = (
        "import os, sys; from pathlib import Path; from rnndyn import _store\n"
        "store = _store.JobStore(Path(sys.argv[1]))\n"
        "_store.os.fsync = lambda fd: os._exit(3)\n"
        "store.save(store.path(abs, -3), list(range(10_000)))\n"
    )
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=environment)
    assert done.returncode == 3
    store = _store.JobStore(tmp_path)
    path = store.path(abs, -3)
    left = _stored(tmp_path)
    assert len(left) == 1 and left[0].startswith(path.name) and left[0].endswith(".tmp")
    assert not path.exists() and store.load(path) == (False, None)


def _square_or_die(job: tuple[int, str]) -> int:
    """job = (x, flag): x², but the worker process dies on x = 3 while the flag file exists.
    Module-level, so that a process pool's worker can import it."""
    x, flag = job
    if x == 3 and os.path.exists(flag):
        os._exit(1)
    return x * x


def test_a_killed_worker_loses_only_the_jobs_in_flight(tmp_path):
    flag = tmp_path / "die"
    flag.touch()
    folder = tmp_path / "jobs"
    store = _store.as_store("out", folder)
    jobs = [(x, str(flag)) for x in range(1, 7)]
    with pytest.raises(BrokenProcessPool):
        map_jobs(_square_or_die, jobs, "processes", workers=2, store=store)
    kept = {path.name: path.stat().st_ino for path in folder.iterdir()}
    # the job given out before the one that died finished first; how many others finished
    # before the pool saw its worker die varies from run to run (1 to 5 here)
    assert 1 <= len(kept) <= 5 and all(name.endswith(".pkl") for name in kept)
    # each file left is whole and right; the dead job's is not among them
    assert store.path(_square_or_die, jobs[2]).name not in kept
    for job in jobs:
        found, outcome = store.load(store.path(_square_or_die, job))
        assert not found or outcome == job[0] ** 2
    flag.unlink()
    assert map_jobs(_square_or_die, jobs, "processes", workers=2, store=store) == [
        1,
        4,
        9,
        16,
        25,
        36,
    ]
    # the files kept were taken, not written again (a new file would be a new inode)
    assert all((folder / name).stat().st_ino == inode for name, inode in kept.items())
    assert len(_stored(folder)) == 6


def _level(**changes: Any) -> robustness._Level:
    net, _, starts = _trained()
    inputs, targets = FlipFlop(2, seed=1).sample(20)
    job = robustness._Level(net, inputs, targets, "recurrent", 0.1, 2, 3, 5, starts, {}, True)
    return replace(job, **changes)


def _changed_net(name: str) -> rd.ESN:
    """A copy of the trained network with one entry of `name` one ulp larger."""
    net = _trained()[0].copy()
    array = getattr(net, name)
    array.flat[3] = np.nextafter(array.flat[3], np.inf)
    return net


def test_a_key_changes_with_every_input(monkeypatch):
    key = functools.partial(_store.job_key, robustness._run_level)
    base = _level()
    assert key(base) == key(_level())  # stable
    variants = {
        "recurrent weights": _level(net=_changed_net("recurrent")),
        "readout weights": _level(net=_changed_net("readout")),
        "state": _level(net=_changed_net("state")),
        "seed": _level(seed=6),
        "noise level": _level(sigma=np.nextafter(0.1, 1.0)),
        "level index": _level(level=1),
        "trials": _level(trials=4),
        "matrix": _level(matrix="feedback"),
        "inputs": _level(inputs=np.zeros_like(base.inputs)),
        "starts": _level(starts=None),
        "options": _level(fixed_point_options={"eigenvalues": 2}),
        "bits held": _level(bits=False),
        "float32 targets": _level(targets=base.targets.astype(np.float32)),
        "reshaped targets": _level(targets=base.targets.reshape(2, -1)),
    }
    keys = {name: key(job) for name, job in variants.items()} | {"base": key(base)}
    assert len(set(keys.values())) == len(variants) + 1, keys
    assert _store.job_key(evolution._search_snapshot, base) != key(base)  # another function
    # the memory layout of an array is not part of it
    assert key(_level(inputs=np.asfortranarray(base.inputs))) == key(base)
    # -0.0 and 0.0 are different inputs
    assert key(_level(sigma=-0.0)) != key(_level(sigma=0.0))
    monkeypatch.setattr(_store, "STORE_FORMAT", 1)
    assert key(base) != keys["base"]  # another format of the files or of the outcomes


def test_a_key_does_not_depend_on_n_jobs():
    net, history, starts = _trained()
    job = evolution._Snapshot(net, history.readouts[1], starts, None, 1, ("fixed",), {})
    key = functools.partial(_store.job_key, evolution._search_snapshot)
    assert key(replace(job, n_jobs=2)) == key(job)
    assert key(replace(job, readout=history.readouts[2])) != key(job)
    assert key(replace(job, find_options={"max_iter": 5})) != key(job)

    level = robustness._Level(
        net, *[np.zeros((3, 2))] * 2, "recurrent", 0.1, 0, 2, 0, None, {}, True
    )
    key = functools.partial(_store.job_key, robustness._run_level)
    assert key(replace(level, n_jobs=2)) == key(level)
    assert key(replace(level, sigma=0.2)) != key(level)


def test_what_cannot_be_keyed_is_refused():
    with pytest.raises(TypeError, match="a job's key cannot hold a object"):
        _store.job_key(abs, (1, object()))
    with pytest.raises(TypeError, match="cannot hold an array of Python objects"):
        _store.job_key(abs, np.array([None]))


@pytest.mark.parametrize("call", [_robustness, _evolution])
def test_bad_folders_are_refused(call: Callable[..., Any], tmp_path):
    with pytest.raises(TypeError, match=r"out must be a folder \(str or os.PathLike\) or None"):
        call(3)
    with pytest.raises(TypeError, match="out must be a folder"):
        call(b"bytes/path")
    a_file = tmp_path / "results.npz"
    a_file.write_bytes(b"")
    with pytest.raises(ValueError, match="out must be a folder, but .*results.npz' is a file"):
        call(a_file)


def test_the_folder_is_created(tmp_path):
    folder = tmp_path / "a" / "b"
    _assert_same_fields(_robustness(str(folder)), _uninterrupted()[0])
    assert len(_stored(folder)) == 4
