"""ESN initialisation, seeding, weights, persistence."""

from __future__ import annotations

import numpy as np
import pytest
import rnndyn as rd


def test_initialisation_follows_design():
    n, g, p = 800, 1.5, 0.2
    net = rd.ESN(n, 3, 2, g=g, p=p, seed=0)
    w = net.recurrent
    kept = w != 0
    assert abs(kept.mean() - p) < 0.005
    # kept entries are N(0, g^2 / (p N))
    assert abs(w[kept].std() / (g / np.sqrt(p * n)) - 1) < 0.01
    assert abs(w[kept].mean()) < 0.01 * g / np.sqrt(p * n)
    for name, shape in (("feedback", (n, 2)), ("input", (n, 3))):
        weights = getattr(net, name)
        assert weights.shape == shape
        assert weights.min() >= -1 and weights.max() <= 1 and weights.std() > 0.5
    assert np.all(net.readout == 0) and net.readout.shape == (2, n)
    assert net.bias is None
    assert net.state.shape == (n,) and 0.4 < net.state.std() < 0.6
    # W_r's draws rounded to float32 (docs/mathematics.md, Initial weights): the float32
    # network of the seed has the same W_r, and the core's steps read it as floats
    assert np.array_equal(w.astype(np.float32), w)
    np.testing.assert_array_equal(rd.ESN(n, 3, 2, g=g, p=p, seed=0, dtype=np.float32).recurrent, w)
    assert net.core_network().compact


def test_dense_initialisation_has_bulk_radius_g():
    # circular law: eigenvalues of a dense N(0, g^2/N) matrix fill the disc of radius g
    net = rd.ESN(1000, 1, 1, g=1.5, seed=3)
    assert abs(rd.spectral_radius(net.recurrent) - 1.5) < 0.1


@pytest.mark.parametrize("target", [0.9, 1.2, 3.0])
@pytest.mark.parametrize("p", [1.0, 0.1])
def test_spectral_radius_scaling_hits_target(target: float, p: float):
    net = rd.ESN(300, 1, 1, p=p, spectral_radius=target, seed=1)
    assert rd.spectral_radius(net.recurrent) == pytest.approx(target, rel=1e-10)
    radius = np.max(np.abs(np.linalg.eigvals(net.recurrent)))
    assert radius == pytest.approx(target, rel=1e-10)


def test_spectral_radius_known_matrices():
    assert rd.spectral_radius(np.diag([0.5, -2.0, 1.0])) == pytest.approx(2.0)
    rotation = np.array([[0.0, -3.0], [3.0, 0.0]])  # eigenvalues ±3i
    assert rd.spectral_radius(rotation) == pytest.approx(3.0)


def test_same_seed_same_network_and_training():
    def train(seed: int) -> tuple[rd.ESN, rd.TrainingHistory]:
        net = rd.ESN(100, 2, 2, bias=True, seed=seed)
        history = rd.train_force(net, rd.tasks.FlipFlop(2, seed=seed).sample(2000))
        return net, history

    (a, ha), (b, hb), (c, _) = train(7), train(7), train(8)
    for name in ("recurrent", "feedback", "input", "readout", "state", "bias"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(ha.errors, hb.errors)
    assert not np.array_equal(a.recurrent, c.recurrent)


def test_generator_seed_is_accepted():
    a = rd.ESN(20, 1, 1, seed=np.random.default_rng(5))
    b = rd.ESN(20, 1, 1, seed=5)
    np.testing.assert_array_equal(a.recurrent, b.recurrent)


def test_bias_draw_and_scale():
    net = rd.ESN(500, 1, 1, bias=0.3, seed=0)
    assert net.bias.shape == (500,)
    assert -0.3 <= net.bias.min() and net.bias.max() <= 0.3 and net.bias.std() > 0.15


def test_from_weights_and_closed_loop_matrix():
    rng = np.random.default_rng(0)
    w, fb, b, wo = (rng.normal(size=s) for s in ((5, 5), (5, 2), (5, 0), (2, 5)))
    net = rd.ESN.from_weights(w, fb, b, wo, tau=2.0, dt=0.5, activation="logistic")
    np.testing.assert_array_equal(net.closed_loop_matrix(), w + fb @ wo)
    assert (net.size, net.n_inputs, net.n_outputs) == (5, 0, 2)
    np.testing.assert_array_equal(net.state, np.zeros(5))
    np.testing.assert_array_equal(net.leak, np.full(5, 0.25))


def test_run_advances_state_and_returns_trajectory(small_net: rd.ESN):
    inputs = np.random.default_rng(0).normal(size=(50, 2))
    result = small_net.run(inputs)
    assert result.states.shape == (50, 60) and result.outputs.shape == (50, 3)
    np.testing.assert_array_equal(small_net.state, result.states[-1])
    assert result.targets is None and result.mse is None


def test_run_accepts_task_sample_and_reports_mse():
    net = rd.ESN(30, 2, 2, seed=0)
    inputs, targets = rd.tasks.FlipFlop(2, seed=0).sample(200)
    result = net.run((inputs, targets))
    # the untrained readout is zero, so the output is zero and the MSE is the target's power
    assert result.mse == pytest.approx(np.mean(targets**2))


def test_teacher_forcing_feeds_back_the_previous_target():
    # a single linear-regime unit with feedback weight 1: x_1 = x_0 + (dt/tau)(-x_0 + f_0)
    net = rd.ESN.from_weights(
        np.zeros((1, 1)), np.ones((1, 1)), np.zeros((1, 0)), np.zeros((1, 1)), tau=4.0, dt=1.0
    )
    targets = np.array([[2.0], [3.0], [5.0]])
    states = net.run(3, targets, teacher_forcing=True).states[:, 0]
    expected, x = [], 0.0
    for fed_back in (0.0, 2.0, 3.0):
        x = x + 0.25 * (-x + fed_back)
        expected.append(x)
    np.testing.assert_allclose(states, expected, rtol=1e-15)


def test_save_and_load_round_trip(tmp_path, small_net: rd.ESN):
    small_net.run(np.ones((10, 2)))
    path = small_net.save(tmp_path / "net")
    assert path.suffix == ".npz"
    loaded = rd.ESN.load(path)
    for name in ("recurrent", "feedback", "input", "readout", "state", "bias", "leak"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(small_net, name))
    assert (loaded.activation, loaded.dt, loaded.tau) == ("tanh", 1.0, 10.0)
    np.testing.assert_array_equal(
        loaded.run(np.ones((5, 2))).states, small_net.run(np.ones((5, 2))).states
    )


def test_per_unit_tau_round_trips(tmp_path):
    tau = np.linspace(1, 3, 10)
    net = rd.ESN(10, 0, 1, tau=tau, seed=0)
    loaded = rd.ESN.load(net.save(tmp_path / "tau.npz"))
    np.testing.assert_array_equal(loaded.tau, tau)


def test_history_save_and_load(tmp_path):
    net = rd.ESN(30, 1, 1, seed=0)
    history = rd.train_force(net, rd.tasks.FlipFlop(1, seed=0).sample(500), snapshot_every=100)
    loaded = rd.TrainingHistory.load(history.save(tmp_path / "h"))
    np.testing.assert_array_equal(loaded.readouts, history.readouts)
    np.testing.assert_array_equal(loaded.snapshot_steps, [0, 100, 200, 300, 400, 500])
    assert loaded.train_every == 2 and loaded.states is None
