"""Bad input gets a clear exception naming the argument, never a crash or a silent NaN."""

from __future__ import annotations

import re

import numpy as np
import pytest
import rnndyn as rd
from rnndyn import _core


def _net() -> rd.ESN:
    return rd.ESN(10, 2, 1, seed=0)


def _states(count: int = 4) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(count, 10))


def _history() -> rd.TrainingHistory:
    return rd.train_force(rd.ESN(10, 2, 1, seed=0), *_sample(60), snapshot_every=30)


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
    (
        "reference forcing",
        lambda: rd.reference.run_network(
            np.eye(3),
            np.zeros((3, 1)),
            np.zeros((3, 0)),
            np.zeros((1, 3)),
            np.zeros(3),
            np.zeros((5, 0)),
            teacher_forcing=True,
        ),
        ValueError,
        "teacher_forcing needs targets",
    ),
    ("activation", lambda: rd.ESN(10, 1, 1, activation="relu"), ValueError, "activation must be"),
    ("radius", lambda: rd.ESN(10, 1, 1, spectral_radius=0), ValueError, "spectral_radius"),
    ("bias<0", lambda: rd.ESN(10, 1, 1, bias=-1.0), ValueError, "bias must be > 0"),
    (
        "recurrent not square",
        lambda: rd.ESN.from_weights(
            np.ones((3, 4)), np.ones((3, 1)), np.ones((3, 0)), np.ones((1, 3))
        ),
        ValueError,
        "recurrent must be square",
    ),
    (
        "readout shape",
        lambda: rd.ESN.from_weights(np.eye(3), np.ones((3, 1)), np.ones((3, 0)), np.ones((1, 4))),
        ValueError,
        r"readout must have shape \(1, 3\)",
    ),
    (
        "recurrent with nan",
        lambda: rd.ESN.from_weights(
            np.full((2, 2), np.nan), np.ones((2, 1)), np.ones((2, 0)), np.ones((1, 2))
        ),
        ValueError,
        "recurrent must be finite",
    ),
    (
        "string weights",
        lambda: rd.ESN.from_weights("abc", np.ones((2, 1)), np.ones((2, 0)), np.ones((1, 2))),
        TypeError,
        "recurrent must be an array of numbers",
    ),
    ("inputs width", lambda: _net().run(np.ones((5, 3))), ValueError, r"inputs must have shape"),
    ("inputs 1-D", lambda: _net().run(np.ones(5)), ValueError, r"inputs must have shape"),
    ("inputs empty", lambda: _net().run(np.ones((0, 2))), ValueError, "at least one step"),
    ("inputs nan", lambda: _net().run(np.full((5, 2), np.nan)), ValueError, "must be finite"),
    ("int steps with inputs", lambda: _net().run(5), ValueError, "needs a network without inputs"),
    (
        "targets length",
        lambda: _net().run(np.ones((5, 2)), np.ones((4, 1))),
        ValueError,
        "targets must have",
    ),
    (
        "teacher forcing without targets",
        lambda: _net().run(np.ones((5, 2)), teacher_forcing=True),
        ValueError,
        "needs targets",
    ),
    (
        "train without targets",
        lambda: rd.train_force(_net(), np.ones((5, 2))),
        ValueError,
        "targets",
    ),
    (
        "train_every=0",
        lambda: rd.train_force(_net(), *_sample(), train_every=0),
        ValueError,
        "train_every must be >= 1",
    ),
    (
        "alpha<=0",
        lambda: rd.train_force(_net(), *_sample(), alpha=0.0),
        ValueError,
        "alpha must be > 0",
    ),
    (
        "snapshot_every=0",
        lambda: rd.train_force(_net(), *_sample(), snapshot_every=0),
        ValueError,
        "snapshot_every must be >= 1",
    ),
    (
        "P not positive definite",
        lambda: rd.train_force(_net(), *_sample(), inverse_correlation=-np.eye(10)),
        ValueError,
        "inverse_correlation must be symmetric positive definite",
    ),
    (
        "P shape",
        lambda: rd.train_force(_net(), *_sample(), inverse_correlation=np.eye(3)),
        ValueError,
        "inverse_correlation must have shape",
    ),
    (
        "ridge<0",
        lambda: rd.train_ridge(_net(), *_sample(), ridge=-1.0),
        ValueError,
        "ridge must be >= 0",
    ),
    (
        "washout too long",
        lambda: rd.train_ridge(_net(), *_sample(), washout=20),
        ValueError,
        "washout must be <",
    ),
    ("bits=0", lambda: rd.tasks.FlipFlop(0), ValueError, "bits must be >= 1"),
    ("pulse_rate>1", lambda: rd.tasks.FlipFlop(1, pulse_rate=2.0), ValueError, "pulse_rate"),
    (
        "min_interval<width",
        lambda: rd.tasks.FlipFlop(1, pulse_width=10, min_interval=5),
        ValueError,
        "min_interval must be >= 10",
    ),
    ("sample(0)", lambda: rd.tasks.FlipFlop(1).sample(0), ValueError, "steps must be >= 1"),
    (
        "spectral_radius of non-square",
        lambda: rd.spectral_radius(np.ones((2, 3))),
        ValueError,
        "matrix must be square",
    ),
    (
        "spectral_radius of nan",
        lambda: rd.spectral_radius(np.full((3, 3), np.nan)),
        ValueError,
        "matrix must be finite",
    ),
    ("seed a string", lambda: rd.ESN(10, 1, 1, seed="x"), TypeError, "seed must be None, an int"),
    ("seed < 0", lambda: rd.tasks.FlipFlop(1, seed=-3), ValueError, "seed must be >= 0"),
    (
        "dtype int",
        lambda: rd.ESN(10, 1, 1, dtype="int32"),
        ValueError,
        "dtype must be float64 or float32",
    ),
    (
        "run n_jobs=0",
        lambda: _net().run(np.ones((3, 2)), n_jobs=0),
        ValueError,
        "n_jobs must be >= 1",
    ),
    (
        "train n_jobs<0",
        lambda: rd.train_force(_net(), *_sample(), n_jobs=-2),
        ValueError,
        "n_jobs must be >= 1",
    ),
    # fixed points
    (
        "method",
        lambda: rd.find_fixed_points(_net(), _states(), method="bfgs"),
        ValueError,
        "method must be one of",
    ),
    (
        "tol_q<0",
        lambda: rd.find_fixed_points(_net(), _states(), tol_q=-1),
        ValueError,
        "tol_q must be >= 0",
    ),
    (
        "starts width",
        lambda: rd.find_fixed_points(_net(), np.ones((3, 9))),
        ValueError,
        r"initial_states must have shape \(any, 10\)",
    ),
    (
        "starts nan",
        lambda: rd.find_fixed_points(_net(), np.full((3, 10), np.nan)),
        ValueError,
        "initial_states must be finite",
    ),
    (
        "no starts",
        lambda: rd.find_fixed_points(_net(), np.ones((0, 10))),
        ValueError,
        "at least one state",
    ),
    (
        "fp n_jobs",
        lambda: rd.find_fixed_points(_net(), _states(), n_jobs=0),
        ValueError,
        "n_jobs must be >= 1",
    ),
    (
        "eigenvalues name",
        lambda: rd.find_fixed_points(_net(), _states(), eigenvalues="some"),
        TypeError,
        "eigenvalues must be 'auto', 'full' or an int",
    ),
    (
        "eigenvalues=0",
        lambda: rd.find_fixed_points(_net(), _states(), eigenvalues=0),
        ValueError,
        "eigenvalues must be >= 1",
    ),
    (
        "kinds",
        lambda: rd.find_fixed_points(_net(), _states(), kinds=["saddle"]),
        ValueError,
        "kinds must be a non-empty selection",
    ),
    (
        "constant input width",
        lambda: rd.find_fixed_points(_net(), _states(), inputs=np.ones(3)),
        ValueError,
        r"inputs must have shape \(2\)",
    ),
    (
        "system",
        lambda: rd.find_fixed_points("net", _states()),
        TypeError,
        "system must be an ESN, an RNN, StackedRNN, GRU or LSTM, or",
    ),
    (
        "max_iter<0",
        lambda: rd.find_fixed_points(_net(), _states(), max_iter=-1),
        ValueError,
        "max_iter must be >= 0",
    ),
    ("rnn not square", lambda: rd.RNN(np.ones((3, 4))), ValueError, "recurrent must be square"),
    (
        "rnn activation",
        lambda: rd.RNN(np.eye(3), activation="elu"),
        ValueError,
        r"activation must be one of \['tanh', 'logistic', 'relu'\]",
    ),
    ("function system", lambda: rd.FunctionSystem("f"), TypeError, "velocity must be callable"),
    # states, PCA, geometry
    ("sample n=0", lambda: rd.sample_states(_states(), 0), ValueError, "n must be >= 1"),
    (
        "sample noise<0",
        lambda: rd.sample_states(_states(), 2, noise=-1),
        ValueError,
        "noise must be >= 0",
    ),
    (
        "fastest width",
        lambda: rd.fastest_states(_net(), np.ones((3, 4)), 2),
        ValueError,
        r"states must have shape \(any, 10\)",
    ),
    ("pca n=0", lambda: rd.PCA(0), ValueError, "n_components must be >= 1"),
    ("pca 1-D", lambda: rd.PCA(2).fit(np.ones(5)), ValueError, "X must have shape"),
    ("pca unfitted", lambda: rd.PCA(2).transform(_states()), ValueError, "not fitted yet"),
    ("pca too many", lambda: rd.PCA(20).fit(_states()), ValueError, "n_components must be <="),
    (
        "pca width",
        lambda: rd.PCA(2).fit(_states()).transform(np.ones((2, 3))),
        ValueError,
        r"X must have shape \(any, 10\)",
    ),
    (
        "geometry rows",
        lambda: rd.memory_geometry(np.ones((3, 10)), np.ones((2, 1))),
        ValueError,
        r"outputs must have shape \(3, any\)",
    ),
    # robustness, evolution, transfer
    (
        "robust matrix",
        lambda: rd.noise_robustness(_net(), rd.tasks.FlipFlop(1), matrix="B"),
        ValueError,
        "matrix must be one of",
    ),
    (
        "robust trials",
        lambda: rd.noise_robustness(_net(), rd.tasks.FlipFlop(1), trials=0),
        ValueError,
        "trials must be >= 1",
    ),
    (
        "robust eta<0",
        lambda: rd.noise_robustness(_net(), rd.tasks.FlipFlop(1), eta=[-1.0]),
        ValueError,
        "eta must hold at least one noise level",
    ),
    (
        "robust task",
        lambda: rd.noise_robustness(_net(), "task"),
        TypeError,
        r"task must have a sample\(steps\) method",
    ),
    (
        "evolution snapshots",
        lambda: rd.fixed_point_evolution(_net(), _history(), _states(), snapshots=[99]),
        ValueError,
        "snapshots must index the history's",
    ),
    # executors
    (
        "robust executor",
        lambda: rd.noise_robustness(_net(), rd.tasks.FlipFlop(2), executor="threads"),
        TypeError,
        "executor must be None, 'processes' or a concurrent.futures.Executor",
    ),
    (
        "evolution executor",
        lambda: rd.fixed_point_evolution(_net(), _history(), _states(), executor=object()),
        TypeError,
        "executor must be None, 'processes' or a concurrent.futures.Executor",
    ),
    (
        "fixed points executor",
        lambda: rd.find_fixed_points(_net(), _states(), executor=4),
        TypeError,
        "executor must be None, 'processes' or a concurrent.futures.Executor",
    ),
    (
        "batch_size not whole chunks",
        lambda: rd.find_fixed_points(_net(), _states(), batch_size=300),
        ValueError,
        "batch_size must be a multiple of 256",
    ),
    (
        "batch_size float",
        lambda: rd.find_fixed_points(_net(), _states(), batch_size=256.0),
        TypeError,
        "batch_size must be an integer",
    ),
    ("grow inputs", lambda: rd.grow(_net(), -1, 1), ValueError, "inputs must be >= 2"),
    (
        "transfer of a non flip-flop",
        lambda: rd.transfer(_net(), 2),
        ValueError,
        "net must be a flip-flop network",
    ),
    (
        "sample_patterns hold",
        lambda: rd.tasks.FlipFlop(1).sample_patterns(hold=0),
        ValueError,
        "hold must be >= 20",
    ),
    (
        "phase portrait",
        lambda: rd.plot.phase_portrait(None),
        TypeError,
        "pca must be a fitted rnndyn.PCA",
    ),
    ("load a folder", lambda: rd.ESN.load("."), ValueError, "not a readable rnndyn archive"),
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


# the arguments of the core's bound network; the rest go to simulate and train_force
NETWORK_ARGS = ("recurrent", "feedback", "input", "bias", "leak", "activation")


def _simulate(args: dict) -> int:
    network = _core.Network(**{name: args[name] for name in NETWORK_ARGS})
    rest = {name: value for name, value in args.items() if name not in NETWORK_ARGS}
    return _core.simulate(network, **rest)


def test_core_checks_shapes_itself():
    # a wrong direct call of the private module raises instead of reading out of bounds
    n = 4
    args = dict(
        recurrent=np.eye(n),
        feedback=np.ones((n, 1)),
        input=np.ones((n, 1)),
        bias=np.zeros(0),
        leak=np.full(n, 0.1),
        activation="tanh",
        readout=np.zeros((1, n)),
        state=np.zeros(n),
        inputs=np.ones((5, 1)),
        targets=np.zeros((0, 1)),
        teacher_forcing=False,
        previous_target=np.zeros(1),
        states=np.zeros((5, n)),
        outputs=np.zeros((5, 1)),
    )
    _simulate(args)
    for name, bad in (
        ("recurrent", np.eye(n + 1)),
        ("leak", np.ones(n - 1)),
        ("inputs", np.ones((5, 2))),
        ("states", np.zeros((4, n))),
        ("targets", np.zeros((3, 1))),
        ("state", np.zeros(n + 2)),
    ):
        with pytest.raises(ValueError):
            _simulate({**args, name: bad})
    with pytest.raises(ValueError, match="activation must be"):
        _simulate({**args, "activation": "elu"})


@pytest.mark.parametrize(
    ("name", "bad", "message"),
    [
        ("recurrent", np.ones((4, 5)), r"recurrent must be N x N, got 4 x 5"),
        ("recurrent", np.ones(4), r"recurrent must have 2 dimensions, got 1"),
        ("feedback", np.ones((3, 1)), r"feedback must be N x O \(N = 4\), got 3 x 1"),
        ("input", np.ones((5, 2)), r"input must be N x I \(N = 4\), got 5 x 2"),
        ("input", np.ones((4, 2, 1)), r"input must have 2 dimensions, got 3"),
        ("bias", np.ones(3), r"bias must have length N or 0 \(N = 4\), got 3"),
        ("bias", np.ones((4, 1)), r"bias must have 1 dimensions, got 2"),
        ("leak", np.ones(5), r"leak \(dt / tau\) must have length N \(N = 4\), got 5"),
        ("activation", "elu", "activation must be"),
    ],
)
@pytest.mark.parametrize("network", [_core.Network, _core.NetworkF32])
def test_core_network_rejects_wrong_shapes_naming_the_argument(network, name, bad, message):
    weights = dict(
        recurrent=np.eye(4),
        feedback=np.ones((4, 1)),
        input=np.ones((4, 2)),
        bias=np.zeros(4),
        leak=np.full(4, 0.1),
        activation="tanh",
    )
    bound = network(**weights)
    assert (bound.size, bound.n_inputs, bound.n_outputs) == (4, 2, 1)
    with pytest.raises(ValueError, match=message):
        network(**{**weights, name: bad})


def test_core_network_holds_its_arrays_without_copying_them():
    n, steps = 6, 8
    rng = np.random.default_rng(0)
    recurrent = rng.normal(size=(n, n))

    def run(network: _core.Network) -> np.ndarray:
        states = np.zeros((steps, n))
        _core.simulate(
            network,
            readout=np.zeros((1, n)),
            state=np.full(n, 0.5),
            inputs=np.zeros((steps, 0)),
            targets=np.zeros((0, 1)),
            teacher_forcing=False,
            previous_target=np.zeros(1),
            states=states,
            outputs=np.zeros((steps, 1)),
        )
        return states

    def bind(weights: np.ndarray) -> _core.Network:
        return _core.Network(
            weights, np.ones((n, 1)), np.zeros((n, 0)), np.zeros(0), np.full(n, 0.1), "tanh"
        )

    before = run(bind(recurrent.copy()))
    network = bind(held := recurrent.copy())
    del held  # the network keeps the array alive
    np.testing.assert_array_equal(run(network), before)
    # a float64 C-ordered array is viewed, not copied: a change to it shows in the next run
    viewed = recurrent.copy()
    network = bind(viewed)
    viewed *= 2.0
    np.testing.assert_array_equal(run(network), run(bind(2.0 * recurrent)))
    # its in-place arguments must have its dtype
    with pytest.raises(TypeError):
        _core.simulate(
            _core.NetworkF32(
                recurrent, np.ones((n, 1)), np.zeros((n, 0)), np.zeros(0), np.full(n, 0.1), "tanh"
            ),
            readout=np.zeros((1, n)),
            state=np.zeros(n),
            inputs=np.zeros((steps, 0)),
            targets=np.zeros((0, 1)),
            teacher_forcing=False,
            previous_target=np.zeros(1),
            states=np.zeros((steps, n)),
            outputs=np.zeros((steps, 1)),
        )


def test_diverging_training_raises_and_leaves_network_unchanged():
    # recurrent weights so large that W_r r overflows to inf within the first step
    net = rd.ESN.from_weights(
        np.full((30, 30), 1e308),
        np.ones((30, 1)),
        np.ones((30, 1)),
        np.zeros((1, 30)),
        state=np.ones(30),
    )
    inputs, targets = rd.tasks.FlipFlop(1, seed=0).sample(200)
    before = (net.readout.copy(), net.state.copy())
    with pytest.raises(rd.DivergenceError, match=r"diverged at step 0\b"):
        rd.train_force(net, inputs, targets)
    np.testing.assert_array_equal(net.readout, before[0])
    np.testing.assert_array_equal(net.state, before[1])


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_training_with_tiny_alpha_and_huge_inputs_names_the_step_it_diverges(n_jobs):
    # P(0) = I / 1e-300 and inputs of 1e6: P overflows within a few dozen updates
    net = rd.ESN(40, 1, 1, seed=0)
    inputs, targets = rd.tasks.FlipFlop(1, seed=0).sample(3000)
    inputs = inputs * 1e6
    before = net.copy()
    with pytest.raises(rd.DivergenceError, match=r"diverged at step \d+") as error:
        rd.train_force(net, inputs, targets, alpha=1e-300, n_jobs=n_jobs)
    assert net == before
    step = int(re.search(r"step (\d+)", str(error.value)).group(1))
    # the steps before it train without error; with it included they do not
    rd.train_force(net.copy(), inputs[:step], targets[:step], alpha=1e-300)
    with pytest.raises(rd.DivergenceError, match=f"diverged at step {step}\\b"):
        rd.train_force(net.copy(), inputs[: step + 1], targets[: step + 1], alpha=1e-300)
    assert net == before


def test_diverging_simulation_raises_and_keeps_state():
    net = rd.ESN.from_weights(
        np.full((5, 5), 1e308),
        np.ones((5, 1)),
        np.ones((5, 0)),
        np.zeros((1, 5)),
        state=np.ones(5),
    )
    with pytest.raises(rd.DivergenceError, match="simulation diverged"):
        net.run(10)
    np.testing.assert_array_equal(net.state, np.ones(5))


# Direct calls of the compiled core with inconsistent arguments: each must raise, never read
# out of bounds. They run in a child interpreter, so that a crash fails this test instead of
# ending the test session.
CORE_PROBE = r"""
import numpy as np
from rnndyn import _core

n = 5
W, c, X = np.eye(n) * 0.5, np.zeros(n), np.ones((3, n))
none_in, none_out = np.zeros((n, 0)), np.zeros((0, n))
closed = _core.ClosedLoopSystem(W, c, "tanh", none_in, none_out)
discrete = _core.DiscreteSystem(W, c, "tanh")

def options(**settings):
    result = _core.MinimizeOptions()
    for name, value in settings.items():
        setattr(result, name, value)
    return result

def network(**changes):
    args = dict(recurrent=np.eye(n), feedback=np.ones((n, 1)), input=np.ones((n, 1)),
                bias=np.zeros(0), leak=np.full(n, 0.1), activation="tanh",
                readout=np.zeros((1, n)), state=np.zeros(n), inputs=np.ones((5, 1)),
                targets=np.zeros((5, 1)), teacher_forcing=False, previous_target=np.zeros(1),
                inverse_correlation=np.eye(n), train_every=1, step_offset=0,
                states=np.zeros((5, n)), outputs=np.zeros((5, 1)), errors=np.zeros((5, 1)))
    args.update(changes)
    weights = {name: args.pop(name)
               for name in ("recurrent", "feedback", "input", "bias", "leak", "activation")}
    return lambda: _core.train_force(_core.Network(**weights), **args)

CALLS = {
    "closed loop not square": lambda: _core.ClosedLoopSystem(np.ones((n, n + 1)), c, "tanh",
                                                             none_in, none_out),
    "offset length": lambda: _core.ClosedLoopSystem(W, np.zeros(n + 1), "tanh", none_in,
                                                    none_out),
    "factor shapes": lambda: _core.ClosedLoopSystem(W, c, "tanh", np.zeros((n, 2)),
                                                    np.zeros((1, n))),
    "recurrent shape": lambda: _core.ClosedLoopSystem(W, c, "tanh", none_in, none_out,
                                                      np.eye(n + 1)),
    "recurrent not W_c": lambda: _core.ClosedLoopSystem(W, c, "tanh", none_in, none_out,
                                                        np.eye(n)),
    "recurrent without W_fb W_o": lambda: _core.ClosedLoopSystem(
        W + 1.0, c, "tanh", none_in, none_out, W),
    "discrete not square": lambda: _core.DiscreteSystem(np.ones((2, 3)), np.zeros(2), "tanh"),
    "velocity width": lambda: closed.velocity(np.ones((3, n + 1))),
    "gradient width": lambda: discrete.gradient(np.ones((3, n - 1))),
    "J v, fewer vectors": lambda: closed.jacobian_product(X, np.ones((2, n))),
    "J v, wider vectors": lambda: discrete.jacobian_product(X, np.ones((3, n + 2))),
    "Jt u, more vectors": lambda: closed.jacobian_transpose_product(X, np.ones((4, n))),
    "H v, one vector": lambda: discrete.hessian_product(X, np.ones((1, n)), True),
    "M r, one vector": lambda: closed.precondition(X, np.ones((1, n))),
    "dense J, length": lambda: closed.jacobian(np.ones(n + 3)),
    "dense H, length": lambda: discrete.hessian(np.ones(n - 2)),
    "minimize width": lambda: closed.minimize(np.ones((2, n + 1)), "newton", options(), 1),
    "minimize method": lambda: closed.minimize(X, "bfgs", options(), 1),
    "minimize n_jobs": lambda: closed.minimize(X, "newton", options(), 0),
    "minimize tol_q": lambda: closed.minimize(X, "newton", options(tol_q=-1.0), 1),
    "minimize max_krylov": lambda: closed.minimize(X, "newton", options(max_krylov=0), 1),
    "minimize cluster_radius": lambda: closed.minimize(
        X, "newton", options(cluster_radius=float("nan")), 1),
    "train P shape": network(inverse_correlation=np.eye(n + 1)),
    "train errors rows": network(errors=np.zeros((4, 1))),
    "train targets width": network(targets=np.zeros((5, 2))),
    "train readout shape": network(readout=np.zeros((2, n))),
    "train float32 state": network(state=np.zeros(n, np.float32)),
    "train non-contiguous states": network(states=np.zeros((5, 2 * n))[:, ::2]),
}
for name, call in CALLS.items():
    try:
        call()
        print(name, "| no error")
    except (ValueError, TypeError) as error:
        print(name, "|", type(error).__name__, "|", str(error).splitlines()[0])
"""


def test_wrong_core_calls_raise_in_a_subprocess():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", CORE_PROBE], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 28
    for line in lines:
        name, kind, *_ = line.split(" | ") + [""]
        assert kind in ("ValueError", "TypeError"), line


def test_threads_by_default_are_the_cores_this_process_may_use(monkeypatch) -> None:
    from rnndyn._validation import MAX_DEFAULT_JOBS, STEP_THREADS_FROM, as_jobs

    monkeypatch.delenv("RNNDYN_NUM_THREADS", raising=False)
    monkeypatch.setattr("os.sched_getaffinity", lambda _: {0, 1, 2}, raising=False)
    assert as_jobs("n_jobs", None) == 3 and as_jobs("n_jobs", 5) == 5
    # the steps of a small network share no threads by default, a large one's do
    assert as_jobs("n_jobs", None, STEP_THREADS_FROM - 1) == 1
    assert as_jobs("n_jobs", None, STEP_THREADS_FROM) == 3
    monkeypatch.setattr("os.sched_getaffinity", lambda _: set(range(64)), raising=False)
    assert as_jobs("n_jobs", None) == MAX_DEFAULT_JOBS
    monkeypatch.setenv("RNNDYN_NUM_THREADS", "2")
    assert as_jobs("n_jobs", None) == 2
    monkeypatch.setenv("RNNDYN_NUM_THREADS", "two")
    with pytest.raises(ValueError, match="RNNDYN_NUM_THREADS must be a whole number"):
        as_jobs("n_jobs", None)
    with pytest.raises(ValueError, match="n_jobs must be >= 1"):
        as_jobs("n_jobs", 0)
