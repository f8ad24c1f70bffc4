"""float32 networks, and the two builds of the core (portable and AVX2) that agree to rounding."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest
import rnndyn as rd
from conftest import relative_error
from rnndyn import _core, reference


def test_float32_network_holds_float32_weights_drawn_as_float64():
    wide = rd.ESN(50, 2, 3, bias=True, seed=3)
    narrow = rd.ESN(50, 2, 3, bias=True, seed=3, dtype="float32")
    assert narrow.dtype == np.float32 and wide.dtype == np.float64
    for name in ("recurrent", "feedback", "input", "readout", "state", "bias"):
        value = getattr(narrow, name)
        assert value.dtype == np.float32, name
        np.testing.assert_array_equal(value, getattr(wide, name).astype(np.float32))
    narrow.readout = np.ones((3, 50))  # assignment converts
    assert narrow.readout.dtype == np.float32
    assert "float32" in repr(narrow)


def test_float32_simulation_and_training_follow_the_float64_reference():
    net = rd.ESN(80, 2, 2, bias=True, seed=5, dtype=np.float32)
    inputs, targets = rd.tasks.FlipFlop(2, seed=5).sample(400)
    start = net.copy(dtype=np.float64)  # the same float32 numbers, widened
    history = rd.train_force(net, inputs, targets, train_every=2, alpha=1.0)
    expected = reference.run_network(
        start.recurrent,
        start.feedback,
        start.input,
        start.readout,
        start.state,
        inputs,
        targets,
        bias=start.bias,
        train_every=2,
        alpha=1.0,
    )
    assert history.errors.dtype == np.float32 and history.inverse_correlation.dtype == np.float32
    # float32 carries ~7 digits; 400 steps with 200 rank-one updates lose a few of them
    assert relative_error(net.readout, expected["readout"]) <= 1e-3
    assert relative_error(history.inverse_correlation, expected["P"]) <= 1e-4
    run = net.run(inputs[:100])
    assert run.states.dtype == np.float32 and run.outputs.dtype == np.float32


def test_float32_threads_give_the_same_numbers():
    results = []
    for n_jobs in (1, 2, 3):
        net = rd.ESN(203, 2, 2, seed=4, dtype="float32")
        history = rd.train_force(net, rd.tasks.FlipFlop(2, seed=4).sample(600), n_jobs=n_jobs)
        results.append((net.readout, history.inverse_correlation))
    for other in results[1:]:
        for a, b in zip(results[0], other, strict=True):
            np.testing.assert_array_equal(a, b)


def test_float32_network_saves_converts_and_analyses_in_float64(tmp_path):
    net = rd.ESN(40, 1, 2, seed=2, dtype="float32")
    loaded = rd.ESN.load(net.save(tmp_path / "net"))
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded.recurrent, net.recurrent)
    wide = net.copy(dtype="float64")
    assert wide.dtype == np.float64 and net.dtype == np.float32
    np.testing.assert_array_equal(wide.recurrent, net.recurrent.astype(np.float64))
    # fixed-point analysis works in float64 whatever the network's dtype
    assert net.velocity(net.state).dtype == np.float64
    np.testing.assert_array_equal(net.velocity(wide.state), wide.velocity(wide.state))


@pytest.mark.parametrize("dtype", ["int32", "float16", "complex128", np.int64, "f8x"])
def test_unsupported_dtypes_are_refused(dtype):
    with pytest.raises(ValueError, match="dtype must be float64 or float32"):
        rd.ESN(10, 1, 1, dtype=dtype)


_RUN = """
import json, numpy as np, rnndyn as rd
from rnndyn import _core
net = rd.ESN(150, 3, 3, seed=1)
history = rd.train_force(net, rd.tasks.FlipFlop(3, seed=1).sample(800))
system = net.core_system()
x = np.random.default_rng(0).normal(size=(4, 150))
F = system.velocity(x)
alone = all(np.array_equal(F[k], system.velocity(x[k : k + 1])[0]) for k in range(4))
print(json.dumps({"set": _core.instruction_set, "readout": net.readout.tolist(),
                  "compact": system.compact, "alone": alone,
                  "P": history.inverse_correlation.tolist(),
                  "F": F.tolist(),
                  "Hv": system.hessian_product(x, x[::-1].copy()).tolist()}))
"""


def _run_with(simd: str) -> subprocess.CompletedProcess:
    # the rest of the environment too: Python on Windows fails to start without SYSTEMROOT
    env = {**os.environ, "RNNDYN_SIMD": simd, "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", _RUN], env=env, capture_output=True, text=True)


def _results(simd: str) -> dict:
    done = _run_with(simd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_portable_and_avx2_builds_agree_to_rounding():
    portable = _results("portable")
    assert portable["set"] == "portable"
    if not _core.cpu_has_avx2_fma():
        assert "lacks AVX2 or FMA" in _run_with("avx2").stderr
        return
    # W_r read as floats (its entries are), and a state's F the same alone as in a block
    assert portable["compact"] and portable["alone"]
    avx2 = _results("avx2")
    assert avx2["set"] == "avx2" and avx2["compact"] and avx2["alone"]
    for key in ("readout", "P", "F", "Hv"):
        assert relative_error(np.array(avx2[key]), np.array(portable[key])) <= 1e-9, key


def test_auto_uses_the_fastest_build_this_cpu_runs_and_bad_choices_fail():
    expected = "avx2" if _core.cpu_has_avx2_fma() else "portable"
    assert _results("auto")["set"] == expected
    bad = _run_with("sse9")
    assert bad.returncode != 0 and "RNNDYN_SIMD must be one of" in bad.stderr


def _batched_results(on: bool) -> list[np.ndarray]:
    """Products of J for 1-21 states (groups of 8, 4, 2 and 1; at N = 130 pairs of panels and a
    panel left over) of an ESN (W_r read as floats), a user's W_r in double and an RNN (a map),
    and an ESN's search (its float first pass): with the AVX-512 kernels `on` or off."""
    _core.set_avx512_kernels(on)
    rng = np.random.default_rng(5)
    X, V = rng.normal(0, 1, (2, 21, 130))
    net = rd.ESN(130, 1, 2, seed=4)
    net.readout = rng.normal(0, 0.3, (2, 130))
    user = net.copy()
    user.recurrent = rng.normal(0, 1.5 / np.sqrt(130), (130, 130))
    rnn = rd.RNN(rng.normal(0, 1.2 / np.sqrt(130), (130, 130)), bias=rng.normal(0, 0.1, 130))
    systems = [net.core_system(), user.core_system(), rnn.core_system()]
    out = [s.jacobian_product(X[:k], V[:k]) for s in systems for k in (1, 2, 3, 5, 8, 13, 21)]
    starts = rd.sample_states(net.run(np.zeros((400, 1))).states, 24, seed=0)
    return [*out, rd.find_fixed_points(net, starts).points]


def test_avx512_kernels_change_no_bit():
    # on a CPU with AVX-512F the AVX2 build's batched products take 512-bit kernels (each row's
    # chain of multiply-adds the same): the numbers must be the AVX2 kernels' bit for bit
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():  # Linux says what the CPU has
        has = _core.instruction_set == "avx2" and " avx512f" in cpuinfo.read_text()
        assert _core.set_avx512_kernels(True) is has
    try:
        wide, narrow = _batched_results(True), _batched_results(False)
    finally:
        _core.set_avx512_kernels(os.environ.get("RNNDYN_SIMD", "auto").lower() in ("auto", ""))
    for a, b in zip(wide, narrow, strict=True):
        np.testing.assert_array_equal(a, b)


def _load_where_avx2(monkeypatch: pytest.MonkeyPatch, error: ImportError):
    """`_core._load()` on a CPU with AVX2 where importing the AVX2 build raises `error`."""

    def import_module(name: str):
        raise error

    monkeypatch.setenv("RNNDYN_SIMD", "auto")
    monkeypatch.setattr(_core._core_portable, "cpu_has_avx2_fma", lambda: True)
    monkeypatch.setattr(_core, "importlib", types.SimpleNamespace(import_module=import_module))
    return _core._load()


def test_a_broken_avx2_build_warns_and_a_missing_one_does_not(monkeypatch):
    broken = ImportError("_core_avx2.so: file too short")
    with pytest.warns(RuntimeWarning, match="AVX2 build failed to load.*file too short"):
        assert _load_where_avx2(monkeypatch, broken) is _core._core_portable
    missing = ModuleNotFoundError("no _core_avx2", name="rnndyn._core_avx2")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _load_where_avx2(monkeypatch, missing) is _core._core_portable
    # another module missing inside the AVX2 build is a broken build, not a missing one
    inner = ModuleNotFoundError("no numpy.core", name="numpy.core")
    with pytest.warns(RuntimeWarning, match="AVX2 build failed to load"):
        assert _load_where_avx2(monkeypatch, inner) is _core._core_portable
