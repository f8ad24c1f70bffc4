"""Transfer learning (the paper's section 7.1): growing a network, retraining, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import rnndyn as rd

FlipFlop = rd.tasks.FlipFlop
WEIGHTS = ("recurrent", "feedback", "input", "readout", "bias", "state")


def _three_bit_net(n: int = 40) -> rd.ESN:
    """An untrained 3-bit network with a random readout (so that copied rows show), a bias and
    one time constant per unit."""
    net = rd.ESN(n, 3, 3, bias=True, tau=np.linspace(5.0, 15.0, n), seed=1)
    net.readout = np.random.default_rng(2).normal(size=(3, n))
    return net


def _snapshot(net: rd.ESN) -> dict[str, np.ndarray]:
    return {name: np.copy(getattr(net, name)) for name in (*WEIGHTS, "tau")}


def test_grow_adds_fresh_columns_and_zero_rows_and_copies_the_rest():
    net = _three_bit_net()
    before = _snapshot(net)
    grown = rd.grow(net, inputs=4, outputs=4, seed=7)
    n = net.size
    assert grown.recurrent.shape == (n, n) and grown.feedback.shape == (n, 4)
    assert grown.input.shape == (n, 4) and grown.readout.shape == (4, n)
    np.testing.assert_array_equal(grown.feedback[:, :3], net.feedback)
    np.testing.assert_array_equal(grown.input[:, :3], net.input)
    np.testing.assert_array_equal(grown.readout[:3], net.readout)
    np.testing.assert_array_equal(grown.readout[3], 0.0)
    for name in ("recurrent", "bias", "state", "tau"):
        np.testing.assert_array_equal(getattr(grown, name), getattr(net, name))
        assert not np.shares_memory(getattr(grown, name), getattr(net, name))
    assert (grown.dt, grown.activation) == (net.dt, net.activation)
    # the constructor's distribution and order: W_fb's new columns, then B's, uniform [-1, 1]
    rng = np.random.default_rng(7)
    np.testing.assert_array_equal(grown.feedback[:, 3:], rng.uniform(-1, 1, (n, 1)))
    np.testing.assert_array_equal(grown.input[:, 3:], rng.uniform(-1, 1, (n, 1)))
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(net, name), value)


def test_grow_keeps_the_networks_dtype():
    net = _three_bit_net().copy(dtype=np.float32)
    grown = rd.grow(net, 4, 4, seed=7)
    assert grown.dtype == np.float32
    expected = rd.grow(_three_bit_net(), 4, 4, seed=7).copy(dtype=np.float32)
    assert grown == expected


def test_grown_network_runs_the_old_bits_exactly_while_the_new_input_is_silent():
    # a zero new readout row feeds nothing back and a silent new input drives nothing (to
    # rounding: the products have other lengths)
    net = _three_bit_net()
    inputs, _ = FlipFlop(3, seed=0).sample(300)
    old = net.copy().run(inputs)
    grown = rd.grow(net, 4, 4, seed=0).run(np.hstack([inputs, np.zeros((300, 1))]))
    np.testing.assert_allclose(grown.states, old.states, rtol=0, atol=1e-12)
    np.testing.assert_allclose(grown.outputs[:, :3], old.outputs, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(grown.outputs[:, 3], 0.0)


def test_grow_to_other_shapes_and_to_the_same_size():
    net = _three_bit_net()
    grown = rd.grow(net, inputs=5, outputs=3, seed=0)
    assert (grown.n_inputs, grown.n_outputs) == (5, 3)
    np.testing.assert_array_equal(grown.feedback, net.feedback)
    same = rd.grow(net, 3, 3, seed=0)
    for name in WEIGHTS:
        np.testing.assert_array_equal(getattr(same, name), getattr(net, name))


def test_transfer_is_grow_then_force_and_leaves_the_network_alone():
    net = _three_bit_net()
    before = _snapshot(net)
    grown, history = rd.transfer(net, bits=4, task=FlipFlop(4, seed=5), steps=400, seed=3)
    expected = rd.grow(net, 4, 4, seed=3)
    expected_history = rd.train_force(expected, FlipFlop(4, seed=5).sample(400))
    for name in WEIGHTS:
        np.testing.assert_array_equal(getattr(grown, name), getattr(expected, name))
    np.testing.assert_array_equal(history.errors, expected_history.errors)
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(net, name), value)


def test_transfer_continues_from_the_previous_inverse_correlation():
    net = _three_bit_net()
    first = rd.train_force(net, FlipFlop(3, seed=0).sample(400))
    grown, history = rd.transfer(
        net, 4, task=FlipFlop(4, seed=5), steps=400, reset_p=False, history=first, seed=3
    )
    expected = rd.grow(net, 4, 4, seed=3)
    expected_history = rd.train_force(
        expected, FlipFlop(4, seed=5).sample(400), inverse_correlation=first.inverse_correlation
    )
    np.testing.assert_array_equal(grown.readout, expected.readout)
    np.testing.assert_array_equal(history.inverse_correlation, expected_history.inverse_correlation)
    # with P reset (the default) the history is not used
    reset, _ = rd.transfer(net, 4, task=FlipFlop(4, seed=5), steps=400, history=first, seed=3)
    assert not np.array_equal(reset.readout, grown.readout)


def test_transfer_is_reproducible_by_seed():
    net = _three_bit_net()
    a, history_a = rd.transfer(net, 4, steps=300, seed=11, snapshot_every=100)
    b, history_b = rd.transfer(net, 4, steps=300, seed=11, snapshot_every=100)
    for name in WEIGHTS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(history_a.readouts, history_b.readouts)
    assert list(history_a.snapshot_steps) == [0, 100, 200, 300]
    c, _ = rd.transfer(net, 4, steps=300, seed=12)
    assert not np.array_equal(a.input[:, 3], c.input[:, 3])


def test_transferred_network_holds_its_three_bits_and_learns_the_fourth():
    # N = 300 learns the flip-flop reliably at g = 1.2 (at g = 1.5, N = 300 is too small):
    # over seeds 0-7, 30,000 steps on 3 bits then 30,000 on 4 gave 0.84-0.96 of the settled
    # 4-bit test steps with the first three bits all held, and 0.91-1.0 with the fourth
    net = rd.ESN(300, 3, 3, g=1.2, seed=1)
    rd.train_force(net, FlipFlop(3, seed=1).sample(30_000))
    grown, _ = rd.transfer(net, bits=4, steps=30_000, seed=1)
    test = grown.run(FlipFlop(4, seed=101).sample(10_000))
    assert FlipFlop.accuracy(test.outputs[:, :3], test.targets[:, :3]) > 0.8
    assert FlipFlop.accuracy(test.outputs[:, 3:], test.targets[:, 3:]) > 0.8


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"net": "network"}, TypeError, "net must be an ESN"),
        ({"net": rd.ESN(20, 2, 3, seed=0)}, ValueError, "as many inputs as outputs"),
        ({"bits": 2}, ValueError, "bits must be >= 3"),
        ({"bits": 4.0}, TypeError, "bits must be an integer"),
        ({"steps": 0}, ValueError, "steps"),
        ({"reset_p": 0}, TypeError, "reset_p must be a bool"),
        ({"reset_p": False}, ValueError, "history"),
        ({"task": object()}, TypeError, "task must have a sample"),
        ({"task": FlipFlop(3, seed=0)}, ValueError, "inputs must have shape"),
        ({"inverse_correlation": np.eye(20)}, TypeError, "inverse_correlation"),
        ({"mystery_option": 1}, TypeError, "mystery_option"),
    ],
)
def test_transfer_bad_arguments(options: dict, error: type, match: str):
    arguments = {"net": rd.ESN(20, 3, 3, seed=0), "bits": 4, "steps": 10}
    with pytest.raises(error, match=match):
        rd.transfer(**{**arguments, **options})


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"net": None}, TypeError, "net must be an ESN"),
        ({"inputs": 2}, ValueError, "inputs must be >= 3"),
        ({"outputs": 1}, ValueError, "outputs must be >= 3"),
        ({"outputs": "4"}, TypeError, "outputs must be an integer"),
    ],
)
def test_grow_bad_arguments(options: dict, error: type, match: str):
    arguments = {"net": rd.ESN(20, 3, 3, seed=0), "inputs": 4, "outputs": 4}
    with pytest.raises(error, match=match):
        rd.grow(**{**arguments, **options})
