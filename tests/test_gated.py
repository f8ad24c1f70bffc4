"""GRU, LSTM and stacked RNN (tanh, relu): imported from PyTorch, they run as PyTorch runs them;
their derivatives match autograd, reference.py and central differences; what rnndyn cannot
represent is refused."""

from __future__ import annotations

import copy
from functools import partial

import numpy as np
import pytest
import rnndyn as rd
import torch
from rnndyn import reference

HIDDEN, INPUTS = 6, 3
KINDS = {
    "gru": (torch.nn.GRU, rd.GRU),
    "lstm": (torch.nn.LSTM, rd.LSTM),
    "rnn_tanh": (partial(torch.nn.RNN, nonlinearity="tanh"), rd.StackedRNN),
    "rnn_relu": (partial(torch.nn.RNN, nonlinearity="relu"), rd.StackedRNN),
}
CELLS = {
    "gru": torch.nn.GRUCell,
    "lstm": torch.nn.LSTMCell,
    "rnn_tanh": partial(torch.nn.RNNCell, nonlinearity="tanh"),
    "rnn_relu": partial(torch.nn.RNNCell, nonlinearity="relu"),
}


def torch_module(kind: str, **options) -> torch.nn.Module:
    torch.manual_seed(0)
    return KINDS[kind][0](INPUTS, HIDDEN, batch_first=True, **options)


def imported(kind: str, module: torch.nn.Module) -> rd.GatedNetwork:
    return KINDS[kind][1].from_torch(module)


def torch_run(module: torch.nn.Module, inputs: np.ndarray):
    """PyTorch's outputs (T, H) and final states over inputs (T, I) from zero, in float64."""
    double = copy.deepcopy(module).double()
    with torch.no_grad():
        outputs, final = double(torch.from_numpy(inputs)[None])
    return outputs[0].numpy(), final


def torch_map(module: torch.nn.Module, kind: str, u: np.ndarray):
    """s -> f(s, u) in torch (float64), s stacking each layer's state as rnndyn does."""
    double = copy.deepcopy(module).double()
    layers, x = double.num_layers, torch.from_numpy(u)[None, None]

    def step(s: torch.Tensor) -> torch.Tensor:
        per_layer = s.reshape(layers, -1)
        if kind != "lstm":
            _, h = double(x, per_layer[:, None])
            return h.reshape(-1)
        _, (h, c) = double(x, (per_layer[:, None, :HIDDEN], per_layer[:, None, HIDDEN:]))
        return torch.cat([h[:, 0], c[:, 0]], dim=1).reshape(-1)

    return step


def reference_layers(net: rd.GatedNetwork) -> list[reference.GatedLayer]:
    return [(la.weight_ih, la.weight_hh, la.bias_ih, la.bias_hh) for la in net.layers]


def reference_step(kind: str, net: rd.GatedNetwork, s: np.ndarray, u: np.ndarray):
    """reference.py's G (N,) and J (N, N) at s: "rnn_tanh" is kind "rnn" with tanh."""
    family, _, nonlinearity = kind.partition("_")
    layers = reference_layers(net)
    return reference.gated_velocity_and_jacobian(s, u, layers, family, nonlinearity or "tanh")


def reference_hessian_product(
    kind: str, net: rd.GatedNetwork, s: np.ndarray, u: np.ndarray, v: np.ndarray
) -> np.ndarray:
    """reference.py's exact H v of q at s (a complex step through its equations)."""
    family, _, nonlinearity = kind.partition("_")
    layers = reference_layers(net)
    return reference.gated_hessian_product(s, u, layers, family, v, nonlinearity or "tanh")


CASES = [(kind, layers) for kind in KINDS for layers in (1, 2)]


@pytest.mark.parametrize(("kind", "layers"), CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_runs_equal_torchs_states(kind: str, layers: int, bias: bool) -> None:
    module = torch_module(kind, num_layers=layers, bias=bias)
    net = imported(kind, module)
    width = 2 * HIDDEN if kind == "lstm" else HIDDEN
    assert net.size == layers * width and net.num_layers == layers
    inputs = np.random.default_rng(1).normal(size=(40, INPUTS))
    states = net.run(inputs)
    outputs, final = torch_run(module, inputs)
    last = states[:, (layers - 1) * width :]
    np.testing.assert_allclose(last[:, :HIDDEN], outputs, rtol=0, atol=1e-12)
    # the final state stacks the layers' (h) or (h, c)
    expected = final[:, 0] if kind != "lstm" else torch.cat([final[0][:, 0], final[1][:, 0]], 1)
    np.testing.assert_allclose(states[-1], expected.reshape(-1).numpy(), rtol=0, atol=1e-12)


def test_run_leaves_its_initial_state_alone() -> None:
    net = imported("lstm", torch_module("lstm"))
    h0 = np.random.default_rng(10).normal(size=net.size)
    before = h0.copy()
    states = net.run(np.zeros((3, INPUTS)), h0=h0)
    np.testing.assert_array_equal(h0, before)
    assert np.all(states[0] != h0)


@pytest.mark.parametrize("kind", KINDS)
def test_cells_import_like_one_layer(kind: str) -> None:
    layer = torch_module(kind)
    cell = CELLS[kind](INPUTS, HIDDEN)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(layer, name + "_l0"))
    a, b = imported(kind, layer), imported(kind, cell)
    inputs = np.random.default_rng(2).normal(size=(10, INPUTS))
    np.testing.assert_array_equal(a.run(inputs), b.run(inputs))


@pytest.mark.parametrize(("kind", "layers"), CASES)
def test_jacobian_equals_autograds(kind: str, layers: int) -> None:
    module = torch_module(kind, num_layers=layers)
    net = imported(kind, module)
    rng = np.random.default_rng(3)
    u, state = rng.normal(size=INPUTS), rng.normal(size=net.size)
    f = torch_map(module, kind, u)
    autograd = torch.autograd.functional.jacobian(f, torch.from_numpy(state)).numpy()
    np.testing.assert_allclose(
        net.jacobian(state, u), autograd - np.eye(net.size), rtol=0, atol=1e-10
    )
    with torch.no_grad():
        expected = f(torch.from_numpy(state)).numpy() - state
    np.testing.assert_allclose(net.velocity(state, u), expected, rtol=0, atol=1e-12)


def _states_and_vectors(net: rd.GatedNetwork, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(4, net.size)), rng.normal(size=(4, net.size))


@pytest.mark.parametrize(("kind", "layers"), CASES)
def test_core_products_equal_the_reference(kind: str, layers: int) -> None:
    net = imported(kind, torch_module(kind, num_layers=layers))
    u = np.random.default_rng(4).normal(size=INPUTS)
    core = net.core_system(u)
    states, vectors = _states_and_vectors(net, 5)
    for s, v, G, Jv, Jtv, gn, hv in zip(
        states,
        vectors,
        core.velocity(states),
        core.jacobian_product(states, vectors),
        core.jacobian_transpose_product(states, vectors),
        core.hessian_product(states, vectors, exact=False),
        core.hessian_product(states, vectors),
        strict=True,
    ):
        velocity, J = reference_step(kind, net, s, u)
        assert np.max(np.abs(G - velocity)) <= 1e-12
        assert np.max(np.abs(Jv - J @ v)) <= 1e-12
        assert np.max(np.abs(Jtv - J.T @ v)) <= 1e-12
        assert np.max(np.abs(gn - J.T @ (J @ v))) <= 1e-11
        assert np.max(np.abs(hv - reference_hessian_product(kind, net, s, u, v))) <= 1e-11


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_core_linearisation_does_not_depend_on_threads(kind: str) -> None:
    # a gated system's Krylov-Schur keeps its groups of points fixed by index (its products are
    # not known to round a state alike whatever states are batched with it): the same numbers
    # for any n_jobs
    net = imported(kind, torch_module(kind, num_layers=2))
    core = net.core_system(np.random.default_rng(7).normal(size=INPUTS))
    states = np.random.default_rng(8).normal(0, 0.5, (9, net.size))
    runs = [core.least_stable(states, 3, growth="modulus", shift=1.0, n_jobs=n) for n in (1, 2, 3)]
    assert np.all(runs[0][2])  # every point converged
    for other in runs[1:]:
        for a, b in zip(runs[0], other, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("kind", "layers"), CASES)
def test_products_match_central_differences(kind: str, layers: int) -> None:
    net = imported(kind, torch_module(kind, num_layers=layers))
    core = net.core_system(np.random.default_rng(6).normal(size=INPUTS))
    states, vectors = _states_and_vectors(net, 7)
    others = np.random.default_rng(8).normal(size=states.shape)
    h = 1e-6
    # J v as a directional derivative of G; Jᵀ w through ⟨Jᵀ w, v⟩ = ⟨w, J v⟩
    jv_fd = (core.velocity(states + h * vectors) - core.velocity(states - h * vectors)) / (2 * h)
    np.testing.assert_allclose(core.jacobian_product(states, vectors), jv_fd, rtol=0, atol=1e-8)
    pulled = np.sum(core.jacobian_transpose_product(states, others) * vectors, axis=1)
    np.testing.assert_allclose(pulled, np.sum(others * jv_fd, axis=1), rtol=0, atol=1e-8)
    # the exact Hessian of q as the directional derivative of ∇q = JᵀG
    h = 1e-5
    hv_fd = (core.gradient(states + h * vectors) - core.gradient(states - h * vectors)) / (2 * h)
    np.testing.assert_allclose(core.hessian_product(states, vectors), hv_fd, rtol=0, atol=1e-7)
    # and the second-order term is not negligible here: Gauss-Newton alone misses it (but for
    # the piecewise-linear ReLU, whose curvature is 0 away from the kinks)
    gauss_newton = core.hessian_product(states, vectors, exact=False)
    if kind == "rnn_relu":
        np.testing.assert_allclose(gauss_newton, hv_fd, rtol=0, atol=1e-7)
    else:
        assert np.max(np.abs(gauss_newton - hv_fd)) > 1e-3


@pytest.mark.parametrize(
    ("kind", "module", "error", "match"),
    [
        ("gru", lambda: torch_module("gru", bidirectional=True), ValueError, "bidirectional"),
        ("lstm", lambda: torch_module("lstm", bidirectional=True), ValueError, "bidirectional"),
        ("lstm", lambda: torch_module("lstm", proj_size=2), ValueError, "proj_size"),
        (
            "rnn_tanh",
            lambda: torch_module("rnn_relu", num_layers=2, bidirectional=True),
            ValueError,
            "bidirectional",
        ),
        ("rnn_tanh", lambda: torch_module("gru"), TypeError, "torch.nn.RNN or torch.nn.RNNCell"),
        ("gru", lambda: torch_module("lstm"), TypeError, "torch.nn.GRU or torch.nn.GRUCell"),
        ("lstm", lambda: torch.nn.RNN(INPUTS, HIDDEN), TypeError, "torch.nn.LSTM"),
        ("gru", lambda: np.eye(3), TypeError, "got ndarray"),
    ],
)
def test_what_rnndyn_cannot_represent_is_refused(kind, module, error, match) -> None:
    with pytest.raises(error, match=match):
        KINDS[kind][1].from_torch(module())


@pytest.mark.parametrize("kind", KINDS)
def test_non_finite_weights_are_refused(kind: str) -> None:
    module = torch_module(kind, num_layers=2)
    with torch.no_grad():
        module.bias_hh_l1[3] = float("inf")
    with pytest.raises(ValueError, match="bias_hh_l1 holds non-finite"):
        imported(kind, module)


def test_constructor_checks_the_layers() -> None:
    rng = np.random.default_rng(9)
    w_ih, w_hh = rng.normal(size=(12, 2)), rng.normal(size=(12, 4))
    assert rd.GRU(w_ih, w_hh).size == 4 and rd.GRU([w_ih, w_hh], [w_hh, w_hh]).size == 8
    with pytest.raises(ValueError, match=r"weight_hh must be \(4H, H\)"):
        rd.LSTM(w_ih, w_hh)
    with pytest.raises(ValueError, match=r"weight_ih\[1\] must have shape \(12, 4\)"):
        rd.GRU([w_ih, w_ih], [w_hh, w_hh])
    with pytest.raises(ValueError, match="one entry per layer"):
        rd.GRU([w_ih], [w_hh, w_hh])
    with pytest.raises(TypeError, match="every argument must be a list"):
        rd.GRU([w_ih], w_hh)
    with pytest.raises(ValueError, match=r"bias_ih must be finite"):
        rd.GRU(w_ih, w_hh, np.full(12, np.nan))
    with pytest.raises(ValueError, match=r"state must have shape \(4\)"):
        rd.GRU(w_ih, w_hh).velocity(np.zeros(5))
    with pytest.raises(ValueError, match=r"inputs must have shape \(2\)"):
        rd.GRU(w_ih, w_hh).jacobian(np.zeros(4), np.zeros(3))
    with pytest.raises(ValueError, match=r"weight_hh must be \(1H, H\)"):
        rd.StackedRNN(w_ih, w_hh)
    with pytest.raises(ValueError, match=r"activation must be one of \['tanh', 'relu'\]"):
        rd.StackedRNN(w_ih[:4], w_hh[:4], activation="logistic")


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_from_torch_stacks_more_than_one_layer(nonlinearity: str) -> None:
    one = torch_module("rnn_" + nonlinearity)
    two = torch_module("rnn_" + nonlinearity, num_layers=2, bias=False)
    assert type(rd.RNN.from_torch(one)) is rd.RNN
    net = rd.RNN.from_torch(two)
    assert type(net) is rd.StackedRNN and net.activation == nonlinearity
    assert net.num_layers == 2 and net.size == 2 * HIDDEN
    np.testing.assert_array_equal(net.layers[1].bias_hh, np.zeros(HIDDEN))
    inputs = np.random.default_rng(12).normal(size=(20, INPUTS))
    outputs, _ = torch_run(two, inputs)
    np.testing.assert_allclose(net.run(inputs)[:, HIDDEN:], outputs, rtol=0, atol=1e-12)


def test_stacked_rnns_zero_state_is_found_with_its_known_jacobian() -> None:
    # zero biases and input: h = 0 is fixed, and the map's Jacobian there is block lower
    # triangular, [[W1, 0], [W_ih2 W1, W2]] (tanh'(0) = 1), so its multipliers are W1's and W2's
    rng = np.random.default_rng(13)
    w1, w2 = (0.8 * rng.normal(size=(HIDDEN, HIDDEN)) / np.sqrt(HIDDEN) for _ in range(2))
    w_ih = [rng.normal(size=(HIDDEN, INPUTS)), rng.normal(size=(HIDDEN, HIDDEN))]
    net = rd.StackedRNN(w_ih, [w1, w2])
    expected = np.block([[w1, np.zeros_like(w1)], [w_ih[1] @ w1, w2]]) - np.eye(2 * HIDDEN)
    np.testing.assert_allclose(net.jacobian(np.zeros(2 * HIDDEN)), expected, rtol=0, atol=1e-15)
    starts = 0.3 * rng.normal(size=(5, 2 * HIDDEN))
    found = rd.find_fixed_points(net, starts, inputs=np.zeros(INPUTS), eigenvalues="full")
    assert len(found.points) == 1 and found.is_stable[0]
    np.testing.assert_allclose(found.points[0], 0.0, rtol=0, atol=1e-10)
    multipliers = np.concatenate([np.linalg.eigvals(w1), np.linalg.eigvals(w2)])
    np.testing.assert_allclose(
        np.sort_complex(found.eigenvalues[0] + 1), np.sort_complex(multipliers), rtol=0, atol=1e-9
    )
    # the ReLU's slope at its kink is 0, as PyTorch's: there the map's Jacobian is 0
    relu = rd.StackedRNN(w_ih, [w1, w2], activation="relu")
    np.testing.assert_array_equal(relu.jacobian(np.zeros(2 * HIDDEN)), -np.eye(2 * HIDDEN))


@pytest.mark.parametrize("kind", KINDS)
def test_lyapunov_exponents_at_a_stable_point_are_its_log_multipliers(kind: str) -> None:
    net = imported(kind, torch_module(kind, num_layers=2))
    zero = np.zeros(INPUTS)
    found = rd.find_fixed_points(net, np.zeros((1, net.size)), inputs=zero)
    assert found.is_stable[0] and found.kind[0] == "fixed"
    multipliers = np.abs(found.eigenvalues[0] + 1)  # least stable first
    exponents = rd.lyapunov_exponents(net, steps=400, k=3, initial_state=found.points[0])
    # a complex pair's two exponents meet at log|μ| only as 1/steps: a loose tolerance
    np.testing.assert_allclose(exponents, np.log(multipliers[:3]), rtol=0, atol=2e-2)


def test_plots_take_a_gated_network() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    net = imported("lstm", torch_module("lstm"))
    zero = np.zeros(INPUTS)
    states = net.run(np.random.default_rng(11).normal(size=(60, INPUTS)))
    found = rd.find_fixed_points(net, states[::6], inputs=zero)
    pca = rd.PCA(2).fit(states)
    ax = rd.plot.speed_landscape(
        net, (-2, 2), (-2, 2), found, plane=pca, resolution=12, inputs=zero
    )
    assert len(ax.collections) > 0  # the contours (and streamlines, points)
    ax = rd.plot.phase_portrait(rd.PCA(3).fit(states), states, found)
    assert len(ax.lines) >= 1  # the run
    plt.close("all")
