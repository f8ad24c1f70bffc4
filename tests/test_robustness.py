"""Noise robustness (the paper's section 8): monotone degradation, scales, seeds, executors,
persistence, bad input."""

from __future__ import annotations

import functools
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
import rnndyn as rd
from rnndyn.analysis.robustness import MATRICES

FlipFlop = rd.tasks.FlipFlop


@functools.cache
def _trained() -> rd.ESN:
    """N = 200 trained on the 2-bit flip-flop (holds every bit on its test; 0.5 s to train).
    Cached: tests must not modify it."""
    net = rd.ESN(200, 2, 2, seed=2)
    rd.train_force(net, FlipFlop(2, seed=2).sample(10_000))
    return net


def _robustness(**options) -> rd.RobustnessResult:
    """A short run on `_trained()`, the test sequence drawn by FlipFlop(2, seed=1) unless
    a `task` is given."""
    settings = {"eta": [1e-4, 1e-2], "trials": 2, "steps": 1000, "seed": 3, **options}
    task = settings.pop("task", FlipFlop(2, seed=1))
    return rd.noise_robustness(_trained(), task, **settings)


def _assert_same(a: rd.RobustnessResult, b: rd.RobustnessResult) -> None:
    for name in ("eta", "mse", "stable_counts", "bits_held"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    for name in (
        "relative",
        "matrix",
        "steps",
        "seed",
        "baseline_mse",
        "noise_scale",
        "baseline_stable_count",
        "baseline_bits_held",
    ):
        assert getattr(a, name) == getattr(b, name)


def test_error_grows_with_noise_from_the_unperturbed_error():
    net = _trained()
    weights = {name: getattr(net, name).copy() for name in (*MATRICES, "state")}
    eta = [1e-4, 1e-2, 1e-1, 1.0]
    result = rd.noise_robustness(net, FlipFlop(2, seed=1), eta=eta, trials=5, steps=2000)
    assert result.mse.shape == (4, 5) and result.stable_counts is None
    np.testing.assert_array_equal(result.eta, eta)
    np.testing.assert_array_equal(result.median_mse, np.median(result.mse, axis=1))
    # the shared test sequence is the task's first sample; every copy starts from net.state
    expected = net.copy().run(FlipFlop(2, seed=1).sample(2000)).mse
    assert result.baseline_mse == expected
    np.testing.assert_allclose(result.mse[0], expected, rtol=0.02)
    # the median degrades monotonically (up to 5% between neighbouring levels) and clearly
    median = result.median_mse
    assert np.all(median[1:] >= 0.95 * median[:-1]), median
    assert median[-1] > 10 * median[0]
    for name, value in weights.items():
        np.testing.assert_array_equal(getattr(net, name), value)


def test_bits_held_fall_with_noise_from_those_of_the_unperturbed_network():
    result = _robustness(eta=[0.0, 1e-2, 1.0], trials=3)
    run = _trained().copy().run(FlipFlop(2, seed=1).sample(1000))
    assert result.baseline_bits_held == FlipFlop.bits_held(run.outputs, run.targets) == 1.0
    # no noise leaves the network as it is: it holds exactly its bits
    np.testing.assert_array_equal(result.bits_held[0], result.baseline_bits_held)
    assert result.bits_held.shape == (3, 3)
    np.testing.assert_array_equal(result.median_bits_held, np.median(result.bits_held, axis=1))
    assert result.median_bits_held[-1] < 0.9 < result.median_bits_held[0]


def test_a_diverged_copy_holds_no_bit():
    # noise of 1e307 makes W_r r overflow at the first step: every copy diverges
    result = _robustness(eta=[1e-4, 1e307])
    assert np.all(result.mse[1] == np.inf)
    np.testing.assert_array_equal(result.bits_held[1], [0.0, 0.0])
    assert np.all(result.bits_held[0] == 1.0)


def test_bits_held_are_measured_on_flipflops_only():
    class Bits:  # flip-flop targets, but not a FlipFlop: they are not taken for bits
        def sample(self, steps: int) -> tuple[np.ndarray, np.ndarray]:
            return FlipFlop(2, seed=1).sample(steps)

    result = _robustness(task=Bits())
    assert result.bits_held is None and result.median_bits_held is None
    assert result.baseline_bits_held is None
    np.testing.assert_array_equal(result.mse, _robustness().mse)
    with pytest.raises(ValueError, match="steps=5: the flip-flop's test sequence has no bit"):
        _robustness(steps=5)  # too short for a bit to settle


@pytest.mark.parametrize("matrix", MATRICES)
def test_relative_noise_is_eta_times_the_spread_of_the_matrix(matrix: str):
    scale = float(np.std(getattr(_trained(), matrix)))
    relative = _robustness(matrix=matrix, relative=True)
    absolute = _robustness(matrix=matrix, eta=np.array([1e-4, 1e-2]) * scale)
    assert relative.noise_scale == scale and absolute.noise_scale == 1.0
    assert relative.relative and not absolute.relative
    np.testing.assert_array_equal(relative.sigma, absolute.sigma)
    np.testing.assert_array_equal(relative.mse, absolute.mse)
    np.testing.assert_array_equal(relative.bits_held, absolute.bits_held)


def test_relative_noise_of_a_sparse_recurrent_matrix_counts_its_connections_only():
    net = rd.ESN(100, 2, 2, p=0.1, seed=0)
    result = rd.noise_robustness(
        net, FlipFlop(2, seed=0), eta=[0.5], trials=1, steps=500, relative=True
    )
    present = net.recurrent[net.recurrent != 0]
    assert present.size < 0.2 * net.recurrent.size
    assert result.noise_scale == np.std(present)
    assert abs(result.noise_scale - 1.5 / np.sqrt(0.1 * 100)) < 0.05  # g / sqrt(pN)


def test_same_seed_same_result_and_streams_per_level_and_trial():
    first = _robustness(trials=3)
    _assert_same(first, _robustness(trials=3))
    # each (level, trial) has its own stream: fewer trials keep the others' draws
    np.testing.assert_array_equal(_robustness(trials=2).mse, first.mse[:, :2])
    assert not np.array_equal(_robustness(trials=3, seed=4).mse, first.mse)


@pytest.mark.parametrize("kind", ["threads", "processes"])
def test_executor_gives_the_serial_result(kind: str):
    # small noise only: a heavily perturbed network's slow points take seconds to search
    options = {"eta": [1e-4, 1e-3, 1e-2], "stable_points": True, "n_states": 8}
    serial = _robustness(**options)
    if kind == "threads":
        executor = ThreadPoolExecutor(2)
    else:  # spawn: the work items must pickle, and no forked copy of pytest's threads
        executor = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
    with executor:
        _assert_same(serial, _robustness(**options, executor=executor))


def test_threads_in_each_copy_give_the_one_thread_result():
    options = {"eta": [1e-4, 1e-1], "stable_points": True, "n_states": 8}
    _assert_same(_robustness(**options, n_jobs=1), _robustness(**options, n_jobs=2))
    with pytest.raises(ValueError, match="n_jobs"):
        _robustness(n_jobs=0)


def test_stable_points_at_small_noise_are_those_of_the_network():
    result = _robustness(eta=[1e-5], stable_points=True, n_states=16)
    assert result.stable_counts.shape == (1, 2)
    assert np.issubdtype(result.stable_counts.dtype, np.integer)
    starts = rd.sample_states(
        _trained().copy().run(FlipFlop(2, seed=1).sample(1000)).states,
        16,
        seed=np.random.default_rng(np.random.SeedSequence(3)),
    )
    expected = len(rd.find_fixed_points(_trained(), starts).stable)
    assert result.baseline_stable_count == expected >= 2
    assert np.all(result.stable_counts == expected)


@pytest.mark.parametrize("stable_points", [False, True])
def test_save_load_round_trip(tmp_path, stable_points: bool):
    result = _robustness(eta=[1e-4], stable_points=stable_points, n_states=4, relative=True)
    path = result.save(tmp_path / "robustness")
    _assert_same(result, rd.RobustnessResult.load(path))


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"net": "network"}, TypeError, "net must be an ESN"),
        ({"task": object()}, TypeError, "task must have a sample"),
        ({"task": FlipFlop(3, seed=0)}, ValueError, "inputs must have shape"),
        ({"eta": [1e-3, -1e-3]}, ValueError, "eta"),
        ({"eta": []}, ValueError, "eta"),
        ({"eta": [[0.1]]}, ValueError, "eta must have shape"),
        ({"trials": 0}, ValueError, "trials"),
        ({"trials": 2.0}, TypeError, "trials"),
        ({"matrix": "input"}, ValueError, "matrix must be one of"),
        ({"relative": "yes"}, TypeError, "relative"),
        ({"steps": 0}, ValueError, "steps"),
        ({"n_states": 0}, ValueError, "n_states"),
        ({"seed": -1}, ValueError, "seed"),
        ({"executor": "pool"}, TypeError, "executor"),
    ],
)
def test_bad_arguments(options: dict, error: type, match: str):
    arguments = {"net": _trained(), "task": FlipFlop(2, seed=0), "eta": [0.1], "steps": 50}
    with pytest.raises(error, match=match):
        rd.noise_robustness(**{**arguments, **options})


def test_relative_noise_needs_a_matrix_with_spread():
    untrained = rd.ESN(20, 2, 2, seed=0)
    with pytest.raises(ValueError, match="relative=True needs a readout"):
        rd.noise_robustness(untrained, FlipFlop(2, seed=0), matrix="readout", relative=True)


def test_task_must_give_targets():
    class InputsOnly:
        def sample(self, steps: int) -> np.ndarray:
            return np.zeros((steps, 2))

    with pytest.raises(ValueError, match="inputs, targets"):
        rd.noise_robustness(_trained(), InputsOnly(), eta=[0.1], steps=10)
