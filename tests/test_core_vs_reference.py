"""The C++ core against reference.py (plain NumPy from docs/mathematics.md), float64."""

from __future__ import annotations

import numpy as np
import pytest
import rnndyn as rd
from conftest import relative_error
from rnndyn import reference

STEPS = 1000


def _problem(
    activation: str, seed: int = 3, floats: bool = True
) -> tuple[rd.ESN, np.ndarray, np.ndarray]:
    """A network, inputs and targets; with `floats` False, W_r's entries are made doubles that
    are not floats (an ESN's draws are floats, which the core's steps read as such)."""
    net = rd.ESN(200, 3, 3, g=1.5, bias=True, activation=activation, seed=seed)
    assert np.array_equal(net.recurrent.astype(np.float32), net.recurrent)
    if not floats:
        net.recurrent = net.recurrent * (1 + 1e-9)
    assert net.core_network().compact == floats
    inputs, targets = rd.tasks.FlipFlop(3, pulse_rate=0.02, min_interval=30, seed=seed).sample(
        STEPS
    )
    return net, inputs, targets


def _reference_run(net: rd.ESN, inputs, targets, **options) -> dict[str, np.ndarray]:
    return reference.run_network(
        net.recurrent,
        net.feedback,
        net.input,
        net.readout,
        net.state,
        inputs,
        targets,
        bias=net.bias,
        dt_over_tau=net.dt / net.tau,
        activation=net.activation,
        **options,
    )


@pytest.mark.parametrize("activation", ["tanh", "logistic"])
@pytest.mark.parametrize("train_every", [1, 2])
@pytest.mark.parametrize("teacher_forcing", [False, True])
@pytest.mark.parametrize("floats", [True, False])
def test_force_matches_reference(
    activation: str, train_every: int, teacher_forcing: bool, floats: bool
):
    net, inputs, targets = _problem(activation, floats=floats)
    expected = _reference_run(
        net, inputs, targets, teacher_forcing=teacher_forcing, train_every=train_every
    )
    history = rd.train_force(
        net,
        inputs,
        targets,
        train_every=train_every,
        teacher_forcing=teacher_forcing,
        record_states=True,
    )
    assert relative_error(net.readout, expected["readout"]) <= 1e-10
    assert relative_error(history.states, expected["states"]) <= 1e-10
    assert relative_error(history.outputs, expected["outputs"]) <= 1e-10
    assert relative_error(history.errors, expected["errors"]) <= 1e-10
    assert relative_error(history.inverse_correlation, expected["P"]) <= 1e-10
    np.testing.assert_array_equal(net.state, history.states[-1])


@pytest.mark.parametrize("activation", ["tanh", "logistic"])
@pytest.mark.parametrize("teacher_forcing", [False, True])
@pytest.mark.parametrize("floats", [True, False])
def test_run_matches_reference(activation: str, teacher_forcing: bool, floats: bool):
    net, inputs, targets = _problem(activation, floats=floats)
    net.readout = np.random.default_rng(0).normal(0, 0.05, size=net.readout.shape)
    expected = _reference_run(net, inputs, targets, teacher_forcing=teacher_forcing)
    result = net.run(inputs, targets, teacher_forcing=teacher_forcing)
    assert relative_error(result.states, expected["states"]) <= 1e-10
    assert relative_error(result.outputs, expected["outputs"]) <= 1e-10


def test_long_runs_cross_core_chunks_exactly():
    # 2,500 steps take three core calls of at most 1,000 steps (with the teacher signal
    # carried over); the result must still be the reference's single loop
    net = rd.ESN(50, 3, 3, bias=True, seed=8)
    inputs, targets = rd.tasks.FlipFlop(3, seed=8).sample(2500)
    expected = _reference_run(net, inputs, targets, teacher_forcing=True, train_every=3)
    history = rd.train_force(
        net, inputs, targets, train_every=3, teacher_forcing=True, record_states=True
    )
    assert relative_error(history.states, expected["states"]) <= 1e-10
    assert relative_error(net.readout, expected["readout"]) <= 1e-10


def test_split_runs_equal_one_run():
    net, inputs, _ = _problem("tanh")
    net.readout = np.random.default_rng(2).normal(0, 0.05, size=net.readout.shape)
    whole = net.copy().run(inputs)
    split = net.copy()
    first, second = split.run(inputs[:377]), split.run(inputs[377:])
    np.testing.assert_array_equal(np.vstack([first.states, second.states]), whole.states)


def test_training_continues_across_calls():
    # two calls, the second starting from the first's P, equal one call (split at an even
    # step so that the train_every=2 schedule lines up)
    net, inputs, targets = _problem("tanh")
    one = net.copy()
    rd.train_force(one, inputs, targets, train_every=2)
    two = net.copy()
    first = rd.train_force(two, inputs[:500], targets[:500], train_every=2)
    rd.train_force(
        two,
        inputs[500:],
        targets[500:],
        train_every=2,
        inverse_correlation=first.inverse_correlation,
    )
    assert relative_error(two.readout, one.readout) <= 1e-12


def test_autonomous_network_matches_reference():
    net = rd.ESN(150, 0, 2, g=1.2, seed=5)
    net.readout = np.random.default_rng(1).normal(0, 0.1, size=(2, 150))
    expected = reference.run_network(
        net.recurrent,
        net.feedback,
        net.input,
        net.readout,
        net.state,
        np.zeros((800, 0)),
        dt_over_tau=0.1,
    )
    result = net.run(800)
    assert relative_error(result.states, expected["states"]) <= 1e-10


def test_per_unit_time_constants_match_reference():
    tau = np.linspace(2.0, 20.0, 200)
    net, inputs, targets = _problem("tanh")
    net = rd.ESN.from_weights(
        net.recurrent,
        net.feedback,
        net.input,
        net.readout,
        net.bias,
        tau=tau,
        dt=1.0,
        state=net.state,
    )
    expected = _reference_run(net, inputs, targets, train_every=2)
    rd.train_force(net, inputs, targets)
    assert relative_error(net.readout, expected["readout"]) <= 1e-10
