"""Bad input gets a clear exception naming the argument, never a crash or a silent NaN."""

from __future__ import annotations

import numpy as np
import pytest
import rnndyn as rd
from rnndyn import _core


def _net() -> rd.ESN:
    return rd.ESN(10, 2, 1, seed=0)


def _sample(steps: int = 20) -> tuple[np.ndarray, np.ndarray]:
    inputs, targets = rd.tasks.FlipFlop(2, seed=0).sample(steps)
    return inputs, targets[:, :1]


BAD_CALLS = [
    ("n=0", lambda: rd.ESN(0, 1, 1), ValueError, "n must be >= 1"),
    ("n float", lambda: rd.ESN(10.5, 1, 1), TypeError, "n must be an integer"),
    ("inputs<0", lambda: rd.ESN(10, -1, 1), ValueError, "inputs must be >= 0"),
    ("outputs=0", lambda: rd.ESN(10, 1, 0), ValueError, "outputs must be >= 1"),
    ("g<=0", lambda: rd.ESN(10, 1, 1, g=0), ValueError, "g must be > 0"),
    ("p>1", lambda: rd.ESN(10, 1, 1, p=1.5), ValueError, r"p must be in \(0, 1\]"),
    ("tau<=0", lambda: rd.ESN(10, 1, 1, tau=-1), ValueError, "tau must be > 0"),
    ("tau vector", lambda: rd.ESN(10, 1, 1, tau=np.ones(3)), ValueError, r"tau must have shape"),
    ("dt nan", lambda: rd.ESN(10, 1, 1, dt=np.nan), ValueError, "dt must be finite"),
    ("activation", lambda: rd.ESN(10, 1, 1, activation="relu"), ValueError, "activation must be"),
    ("radius", lambda: rd.ESN(10, 1, 1, spectral_radius=0), ValueError, "spectral_radius"),
    ("bias<0", lambda: rd.ESN(10, 1, 1, bias=-1.0), ValueError, "bias must be > 0"),
    (
        "recurrent not square",
        lambda: rd.ESN.from_weights(np.ones((3, 4)), np.ones((3, 1)), np.ones((3, 0)),
                                    np.ones((1, 3))),
        ValueError, "recurrent must be square",
    ),
    (
        "readout shape",
        lambda: rd.ESN.from_weights(np.eye(3), np.ones((3, 1)), np.ones((3, 0)), np.ones((1, 4))),
        ValueError, r"readout must have shape \(1, 3\)",
    ),
    (
        "recurrent with nan",
        lambda: rd.ESN.from_weights(np.full((2, 2), np.nan), np.ones((2, 1)), np.ones((2, 0)),
                                    np.ones((1, 2))),
        ValueError, "recurrent must be finite",
    ),
    (
        "string weights",
        lambda: rd.ESN.from_weights("abc", np.ones((2, 1)), np.ones((2, 0)), np.ones((1, 2))),
        TypeError, "recurrent must be an array of numbers",
    ),
    ("inputs width", lambda: _net().run(np.ones((5, 3))), ValueError, r"inputs must have shape"),
    ("inputs 1-D", lambda: _net().run(np.ones(5)), ValueError, r"inputs must have shape"),
    ("inputs empty", lambda: _net().run(np.ones((0, 2))), ValueError, "at least one step"),
    ("inputs nan", lambda: _net().run(np.full((5, 2), np.nan)), ValueError, "must be finite"),
    ("int steps with inputs", lambda: _net().run(5), ValueError, "needs a network without inputs"),
    (
        "targets length",
        lambda: _net().run(np.ones((5, 2)), np.ones((4, 1))), ValueError, "targets must have",
    ),
    (
        "teacher forcing without targets",
        lambda: _net().run(np.ones((5, 2)), teacher_forcing=True), ValueError, "needs targets",
    ),
    ("train without targets", lambda: rd.train_force(_net(), np.ones((5, 2))), ValueError,
     "targets"),
    ("train_every=0", lambda: rd.train_force(_net(), *_sample(), train_every=0), ValueError,
     "train_every must be >= 1"),
    ("alpha<=0", lambda: rd.train_force(_net(), *_sample(), alpha=0.0), ValueError,
     "alpha must be > 0"),
    ("snapshot_every=0", lambda: rd.train_force(_net(), *_sample(), snapshot_every=0),
     ValueError, "snapshot_every must be >= 1"),
    ("P not positive definite",
     lambda: rd.train_force(_net(), *_sample(), inverse_correlation=-np.eye(10)), ValueError,
     "inverse_correlation must be symmetric positive definite"),
    ("P shape", lambda: rd.train_force(_net(), *_sample(), inverse_correlation=np.eye(3)),
     ValueError, "inverse_correlation must have shape"),
    ("ridge<0", lambda: rd.train_ridge(_net(), *_sample(), ridge=-1.0), ValueError,
     "ridge must be >= 0"),
    ("washout too long", lambda: rd.train_ridge(_net(), *_sample(), washout=20), ValueError,
     "washout must be <"),
    ("bits=0", lambda: rd.tasks.FlipFlop(0), ValueError, "bits must be >= 1"),
    ("pulse_rate>1", lambda: rd.tasks.FlipFlop(1, pulse_rate=2.0), ValueError, "pulse_rate"),
    ("min_interval<width", lambda: rd.tasks.FlipFlop(1, pulse_width=10, min_interval=5),
     ValueError, "min_interval must be >= 10"),
    ("sample(0)", lambda: rd.tasks.FlipFlop(1).sample(0), ValueError, "steps must be >= 1"),
    ("spectral_radius of non-square", lambda: rd.spectral_radius(np.ones((2, 3))), ValueError,
     "matrix must be square"),
]


@pytest.mark.parametrize(
    ("call", "error", "message"), [case[1:] for case in BAD_CALLS], ids=[c[0] for c in BAD_CALLS]
)
def test_bad_input_raises_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_weight_assignment_is_checked():
    net = _net()
    with pytest.raises(ValueError, match=r"readout must have shape \(1, 10\)"):
        net.readout = np.zeros((2, 10))
    with pytest.raises(ValueError, match="state must be finite"):
        net.state = np.full(10, np.inf)


def test_array_likes_and_other_layouts_are_accepted():
    net = _net()
    inputs = np.asfortranarray(np.ones((6, 2), dtype=np.float32))
    a = net.copy().run(inputs).states
    b = net.copy().run(inputs.tolist()).states
    c = net.copy().run(np.ones((6, 4))[:, ::2]).states  # non-contiguous view
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


def test_core_checks_shapes_itself():
    # a wrong direct call of the private module raises instead of reading out of bounds
    n = 4
    args = dict(
        recurrent=np.eye(n), feedback=np.ones((n, 1)), input=np.ones((n, 1)), bias=np.zeros(0),
        leak=np.full(n, 0.1), activation="tanh", readout=np.zeros((1, n)), state=np.zeros(n),
        inputs=np.ones((5, 1)), targets=np.zeros((0, 1)), teacher_forcing=False,
        previous_target=np.zeros(1), states=np.zeros((5, n)), outputs=np.zeros((5, 1)),
    )
    _core.simulate(**args)
    for name, bad in (
        ("recurrent", np.eye(n + 1)), ("leak", np.ones(n - 1)), ("inputs", np.ones((5, 2))),
        ("states", np.zeros((4, n))), ("targets", np.zeros((3, 1))), ("state", np.zeros(n + 2)),
    ):
        with pytest.raises(ValueError):
            _core.simulate(**{**args, name: bad})
    with pytest.raises(ValueError, match="activation must be"):
        _core.simulate(**{**args, "activation": "relu"})


def test_diverging_training_raises_and_leaves_network_unchanged():
    # recurrent weights so large that W_r r overflows to inf within the first step
    net = rd.ESN.from_weights(
        np.full((30, 30), 1e308), np.ones((30, 1)), np.ones((30, 1)), np.zeros((1, 30)),
        state=np.ones(30),
    )
    inputs, targets = rd.tasks.FlipFlop(1, seed=0).sample(200)
    before = (net.readout.copy(), net.state.copy())
    with pytest.raises(rd.DivergenceError, match=r"diverged within steps 0\.\.199"):
        rd.train_force(net, inputs, targets)
    np.testing.assert_array_equal(net.readout, before[0])
    np.testing.assert_array_equal(net.state, before[1])


def test_diverging_simulation_raises_and_keeps_state():
    net = rd.ESN.from_weights(
        np.full((5, 5), 1e308), np.ones((5, 1)), np.ones((5, 0)), np.zeros((1, 5)),
        state=np.ones(5),
    )
    with pytest.raises(rd.DivergenceError, match="simulation diverged"):
        net.run(10)
    np.testing.assert_array_equal(net.state, np.ones(5))
