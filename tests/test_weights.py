"""The ESN's weights are described once (rnndyn.networks.esn.WEIGHTS): validation, copy,
equality, save and load, grow and the core's bound network all follow that description, so a
weight added there is covered by each of them."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import rnndyn as rd
from rnndyn import _core
from rnndyn.networks.esn import SIZES, WEIGHTS, OptionalWeight, WeightSpec

NAMES = [weight.name for weight in WEIGHTS]


def _net(dtype: str = "float64") -> rd.ESN:
    """A network with every weight present and none zero (a bias, a random readout)."""
    net = rd.ESN(12, 2, 3, bias=True, tau=np.linspace(5.0, 15.0, 12), seed=0, dtype=dtype)
    net.readout = np.random.default_rng(1).normal(size=(3, 12))
    return net


def _shape(net: rd.ESN, weight: WeightSpec) -> tuple[int, ...]:
    sizes = {"N": net.size, "I": net.n_inputs, "O": net.n_outputs}
    return tuple(sizes[size] for size in weight.shape)


def _changed(value: np.ndarray) -> np.ndarray:
    """`value` with one entry changed."""
    changed = value.copy()
    changed.flat[-1] += 1.0
    return changed


def test_the_description_is_the_class_attributes_in_order():
    assert NAMES == ["recurrent", "feedback", "input", "readout", "bias", "state"]
    for weight in WEIGHTS:
        assert getattr(rd.ESN, weight.name) is weight
        assert set(weight.shape) <= set(SIZES)
    assert [weight.name for weight in WEIGHTS if weight.optional] == ["bias"]
    assert isinstance(rd.ESN.bias, OptionalWeight)
    # every weight is a parameter of the public constructor from weights
    assert set(NAMES) <= set(inspect.signature(rd.ESN.from_weights).parameters)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_every_weight_has_its_described_shape_and_the_network_dtype(dtype: str):
    net = _net(dtype)
    for weight in WEIGHTS:
        value = getattr(net, weight.name)
        assert value.shape == _shape(net, weight), weight.name
        assert value.dtype == net.dtype and value.flags.c_contiguous


@pytest.mark.parametrize("name", NAMES)
def test_copy_equality_and_save_load_cover_each_weight(tmp_path, name: str):
    net = _net()
    copy = net.copy()
    assert copy == net
    np.testing.assert_array_equal(getattr(copy, name), getattr(net, name))
    assert not np.shares_memory(getattr(copy, name), getattr(net, name))
    loaded = rd.ESN.load(net.save(tmp_path / "net"))
    assert loaded == net
    np.testing.assert_array_equal(getattr(loaded, name), getattr(net, name))
    # a network that differs in this weight alone is not equal, and saves and loads as such
    changed = net.copy()
    setattr(changed, name, _changed(getattr(net, name)))
    assert changed != net and net == copy
    reloaded = rd.ESN.load(changed.save(tmp_path / "changed"))
    assert reloaded == changed and reloaded != net


@pytest.mark.parametrize("name", NAMES)
def test_assigning_a_weight_checks_its_shape_and_values(name: str):
    net = _net()
    weight = getattr(rd.ESN, name)
    shape = _shape(net, weight)
    wrong = tuple(length + 1 for length in shape)
    with pytest.raises(ValueError, match=f"{name} must have shape"):
        setattr(net, name, np.ones(wrong))
    with pytest.raises(ValueError, match=f"{name} must be finite"):
        setattr(net, name, np.full(shape, np.nan))
    setattr(net, name, np.ones(shape, dtype=np.float32))
    assert getattr(net, name).dtype == net.dtype  # converted to the network's


def test_the_optional_weight_may_be_absent_everywhere(tmp_path):
    net = _net()
    without = net.copy()
    without.bias = None
    assert without.bias is None and without != net
    loaded = rd.ESN.load(without.save(tmp_path / "net"))
    assert loaded.bias is None and loaded == without
    assert rd.grow(without, 3, 4, seed=0).bias is None
    # the core takes an absent term as an empty array: the same run as a zero bias
    zero = net.copy()
    zero.bias = np.zeros(net.size)
    inputs = np.ones((20, 2))
    np.testing.assert_array_equal(without.run(inputs).states, zero.run(inputs).states)


def test_grow_follows_each_weights_description():
    net = _net()
    grown = rd.grow(net, inputs=4, outputs=5, seed=0)
    for weight in WEIGHTS:
        old, new = getattr(net, weight.name), getattr(grown, weight.name)
        assert new.shape == _shape(grown, weight)
        np.testing.assert_array_equal(new[tuple(slice(0, length) for length in old.shape)], old)
        if new.shape == old.shape:
            continue
        added = np.concatenate(
            [np.moveaxis(new, axis, 0)[old.shape[axis] :].ravel() for axis in range(new.ndim)]
        )
        if weight.grown == "zeros":
            assert np.all(added == 0), weight.name
        else:
            assert weight.grown == "uniform" and np.all(np.abs(added) <= 1), weight.name
            assert added.std() > 0.3, weight.name


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_core_network_binds_the_fixed_weights(dtype: str):
    net = _net(dtype)
    network = net.core_network()
    assert isinstance(network, _core.Network if dtype == "float64" else _core.NetworkF32)
    assert (network.size, network.n_inputs, network.n_outputs) == (12, 2, 3)
    fixed = [weight.name for weight in WEIGHTS if weight.fixed]
    assert fixed == ["recurrent", "feedback", "input", "bias"]
    parameters = _core.Network.__init__.__doc__ or ""
    for name in (*fixed, "leak", "activation"):
        assert f"{name}:" in parameters, name


def test_robustness_perturbs_weights_of_the_description():
    from rnndyn.analysis.robustness import MATRICES

    matrices = {weight.name for weight in WEIGHTS if len(weight.shape) == 2}
    assert set(MATRICES) <= matrices
