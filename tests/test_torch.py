"""RNN.from_torch: a trained torch.nn.RNN analysed by rnndyn's fixed-point machinery."""

import numpy as np
import pytest
import rnndyn as rd
import torch

HIDDEN, INPUTS = 40, 3


def torch_rnn(**options):
    torch.manual_seed(0)
    return torch.nn.RNN(INPUTS, HIDDEN, **options)


def torch_states(module, inputs):
    """PyTorch's own hidden states over inputs (T, I) from h = 0, in float64."""
    with torch.no_grad():
        states, _ = module.double()(torch.from_numpy(inputs)[None], None)
    return states[0].numpy()


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("bias", [True, False])
def test_imported_rnn_runs_as_torch_does(bias, nonlinearity):
    module = torch_rnn(bias=bias, batch_first=True, nonlinearity=nonlinearity)
    net = rd.RNN.from_torch(module)
    assert net.activation == nonlinearity
    assert net.recurrent.shape == (HIDDEN, HIDDEN) and net.input.shape == (HIDDEN, INPUTS)
    assert (net.bias is None) == (not bias)
    inputs = np.random.default_rng(1).normal(size=(50, INPUTS))
    np.testing.assert_allclose(net.run(inputs), torch_states(module, inputs), rtol=0, atol=1e-13)


def test_weights_are_copied_exactly_and_the_module_is_untouched():
    module = torch_rnn()
    before = {name: p.detach().clone() for name, p in module.named_parameters()}
    net = rd.RNN.from_torch(module)
    np.testing.assert_array_equal(net.recurrent, module.weight_hh_l0.detach().double().numpy())
    np.testing.assert_array_equal(net.input, module.weight_ih_l0.detach().double().numpy())
    np.testing.assert_array_equal(
        net.bias, (module.bias_ih_l0.double() + module.bias_hh_l0.double()).detach().numpy()
    )
    for name, p in module.named_parameters():
        assert p.dtype == torch.float32 and torch.equal(p, before[name]), name
    net.recurrent[0, 0] = 99.0  # the copy owns its memory
    assert module.weight_hh_l0[0, 0].item() != 99.0


def test_rnn_cell_imports_like_a_layer():
    layer = torch_rnn()
    cell = torch.nn.RNNCell(INPUTS, HIDDEN)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(layer, name + "_l0"))
    a, b = rd.RNN.from_torch(layer), rd.RNN.from_torch(cell)
    np.testing.assert_array_equal(a.recurrent, b.recurrent)
    np.testing.assert_array_equal(a.bias, b.bias)


def test_fixed_points_of_an_imported_network_are_fixed_in_torch():
    # gain 1.5 for W_hh: h = 0 is no longer stable and the map has fixed points away from it
    module = torch_rnn()
    with torch.no_grad():
        weights = torch.from_numpy(np.random.default_rng(2).normal(size=(HIDDEN, HIDDEN)))
        module.weight_hh_l0.copy_(1.5 * weights / np.sqrt(HIDDEN))
    net = rd.RNN.from_torch(module)
    starts = np.random.default_rng(3).uniform(-1, 1, size=(32, HIDDEN))
    found = rd.find_fixed_points(net, starts, inputs=np.zeros(INPUTS), eigenvalues="full")
    fixed = found[found.kind == "fixed"]
    assert len(fixed) >= 1
    cell = torch.nn.RNNCell(INPUTS, HIDDEN).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(module, name + "_l0"))
    u = torch.zeros(1, INPUTS, dtype=torch.float64)
    for point, eigenvalues in zip(fixed.points, fixed.eigenvalues, strict=True):
        h = torch.from_numpy(point)[None]
        with torch.no_grad():
            np.testing.assert_allclose(cell(u, h)[0].numpy(), point, rtol=0, atol=1e-9)
        # the map's Jacobian by autograd: its multipliers are rnndyn's λ + 1
        step = torch.autograd.functional.jacobian(lambda x: cell(u, x[None])[0], h[0])
        multipliers = np.linalg.eigvals(step.numpy())
        np.testing.assert_allclose(
            np.sort_complex(multipliers), np.sort_complex(eigenvalues + 1), rtol=0, atol=1e-9
        )


@pytest.mark.parametrize(
    ("module", "error", "match"),
    [
        (lambda: torch_rnn(bidirectional=True), ValueError, "bidirectional"),
        (lambda: torch_rnn(num_layers=2, bidirectional=True), ValueError, "bidirectional"),
        (lambda: torch.nn.LSTM(INPUTS, HIDDEN), TypeError, "torch.nn.RNN"),
        (lambda: np.eye(3), TypeError, "torch.nn.RNN"),
    ],
)
def test_what_rnndyn_cannot_represent_is_refused(module, error, match):
    with pytest.raises(error, match=match):
        rd.RNN.from_torch(module())


def test_non_finite_weights_are_refused():
    module = torch_rnn()
    with torch.no_grad():
        module.weight_hh_l0[0, 0] = float("nan")
    with pytest.raises(ValueError, match="weight_hh_l0 holds non-finite"):
        rd.RNN.from_torch(module)


def test_relu_rnn_jacobian_is_autograds_and_its_fixed_points_are_torchs():
    # gain 1.2 and a positive bias: the ReLU map has fixed points with active units
    module = torch_rnn(nonlinearity="relu")
    rng = np.random.default_rng(4)
    with torch.no_grad():
        module.weight_hh_l0.copy_(torch.from_numpy(1.2 * rng.normal(size=(HIDDEN, HIDDEN))))
        module.weight_hh_l0.div_(np.sqrt(HIDDEN))
        module.bias_hh_l0.copy_(torch.from_numpy(rng.uniform(0.1, 0.5, HIDDEN)))
    net = rd.RNN.from_torch(module)
    cell = torch.nn.RNNCell(INPUTS, HIDDEN, nonlinearity="relu").double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(module, name + "_l0"))
    u = rng.normal(size=INPUTS)
    state = rng.uniform(0, 1, HIDDEN)

    def step(h):
        return cell(torch.from_numpy(u)[None], h[None])[0]

    autograd = torch.autograd.functional.jacobian(step, torch.from_numpy(state)).numpy()
    jacobian = net.jacobian(state, u)
    np.testing.assert_allclose(jacobian, autograd - np.eye(HIDDEN), rtol=0, atol=1e-10)
    # the state has active units (rows of W) and silent ones (zero rows): both slopes checked
    active = np.any(jacobian + np.eye(HIDDEN) != 0, axis=1)
    assert 0 < np.sum(active) < HIDDEN
    starts = rng.uniform(0, 2, size=(32, HIDDEN))
    found = rd.find_fixed_points(net, starts, inputs=u, eigenvalues="full")
    fixed = found[found.kind == "fixed"]
    assert len(fixed) >= 1
    for point in fixed.points:
        with torch.no_grad():
            mapped = step(torch.from_numpy(point)).numpy()
        np.testing.assert_allclose(mapped, point, rtol=0, atol=1e-12)
        assert np.any(point > 0)  # not the trivial zero: some units are active
