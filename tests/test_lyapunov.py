"""Lyapunov exponents against linear theory at stable fixed points, chaos at g = 1.5, per-unit
time constants, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import rnndyn as rd


def _euler_exponents(net: rd.ESN, jacobian: np.ndarray, k: int) -> np.ndarray:
    """log|μ_i| / dt for the k eigenvalues μ of I + diag(dt/τ) J of largest modulus."""
    step = np.eye(net.size) + net.leak[:, None] * jacobian
    moduli = np.sort(np.abs(np.linalg.eigvals(step)))[::-1][:k]
    return np.log(moduli) / net.dt


@pytest.mark.parametrize("tau", [10.0, np.linspace(4.0, 16.0, 100)])
def test_a_network_settling_to_zero_has_the_exponents_of_its_linearisation(tau):
    # g = 0.5, no input, no readout, no bias: x = 0 is a stable fixed point, J = -I + W_r there
    net = rd.ESN(100, 0, 1, g=0.5, tau=tau, seed=1)
    found = rd.lyapunov_exponents(net, k=4, steps=20_000, warmup=2_000)
    expected = _euler_exponents(net, net.recurrent - np.eye(100), 4)
    np.testing.assert_allclose(found, expected, rtol=1e-2)
    # for small dt/τ, log|μ|/dt is close to the ODE's Re λ(J)/τ (scalar τ)
    if np.ndim(tau) == 0:
        ode = np.sort(np.linalg.eigvals(net.recurrent - np.eye(100)).real)[::-1][:4] / tau
        np.testing.assert_allclose(found, ode, rtol=0.1)


def test_scalar_and_constant_vector_tau_give_the_same_numbers():
    one = rd.ESN(60, 1, 1, tau=7.0, seed=2)
    many = rd.ESN.from_weights(
        one.recurrent, one.feedback, one.input, one.readout, tau=np.full(60, 7.0), state=one.state
    )
    inputs = rd.tasks.FlipFlop(1, seed=0).sample(800)[0]
    np.testing.assert_array_equal(one.copy().run(inputs).states, many.copy().run(inputs).states)
    np.testing.assert_array_equal(
        rd.lyapunov_exponents(one, inputs, k=3, warmup=100),
        rd.lyapunov_exponents(many, inputs, k=3, warmup=100),
    )


def test_untrained_network_at_g_1_5_is_chaotic():
    net = rd.ESN(500, 0, 1, g=1.5, seed=0)
    before = net.copy()
    leading = rd.lyapunov_exponents(net, k=2, steps=10_000, warmup=2_000)
    assert leading[0] > 1e-3  # per unit time; about 0.003 here (τ = 10)
    assert leading[0] >= leading[1]
    assert net == before  # the analysis does not move the network


def test_discrete_rnn_at_its_stable_fixed_point():
    W = np.random.default_rng(0).normal(0, 0.5 / np.sqrt(50), (50, 50))
    found = rd.lyapunov_exponents(
        rd.RNN(W), k=3, steps=5_000, warmup=500, initial_state=np.full(50, 0.1)
    )
    expected = np.log(np.sort(np.abs(np.linalg.eigvals(W)))[::-1][:3])  # per step
    np.testing.assert_allclose(found, expected, rtol=1e-3)


def test_relu_rnn_at_its_fixed_point_has_the_active_units_exponents():
    # a contracting ReLU map with a bias: one fixed point, some units active (slope 1) there
    rng = np.random.default_rng(1)
    W, b = rng.normal(0, 0.5 / np.sqrt(50), (50, 50)), rng.normal(0, 0.5, 50)
    net = rd.RNN(W, bias=b, activation="relu")
    found = rd.find_fixed_points(net, rng.uniform(0, 1, (8, 50)))
    point = found.points[found.kind == "fixed"][0]
    active = W @ point + b > 0
    assert 0 < np.sum(active) < 50
    exponents = rd.lyapunov_exponents(net, k=3, steps=5_000, warmup=500, initial_state=point)
    multipliers = np.abs(np.linalg.eigvals(active[:, None] * W))
    np.testing.assert_allclose(exponents, np.log(np.sort(multipliers)[::-1][:3]), rtol=1e-3)


@pytest.mark.slow
def test_trained_flipflop_at_a_memory_is_not_chaotic():
    from conftest import trained_flipflop

    trained, _, test = trained_flipflop(3, 1)
    net = trained.copy()
    net.state = test.states[-1]
    # no input: the network rests at the memory it holds; its fixed point by Newton
    fps = rd.find_fixed_points(net, test.states[-1:], tol_unique=1e-9)
    assert fps.is_stable[0]
    found = rd.lyapunov_exponents(net, k=3, steps=20_000, warmup=3_000)
    expected = _euler_exponents(net, net.jacobian(fps.points[0]), 3)
    np.testing.assert_allclose(found, expected, rtol=1e-2)
    assert np.all(found < 0)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: rd.lyapunov_exponents("net", steps=10), TypeError, "system must be an ESN"),
        (lambda: rd.lyapunov_exponents(rd.ESN(5, 0, 1)), ValueError, "steps is required"),
        (
            lambda: rd.lyapunov_exponents(rd.ESN(5, 0, 1), steps=10, k=6),
            ValueError,
            "k must be <= N = 5",
        ),
        (
            lambda: rd.lyapunov_exponents(rd.ESN(5, 0, 1), steps=10, k=0),
            ValueError,
            "k must be >= 1",
        ),
        (
            lambda: rd.lyapunov_exponents(rd.ESN(5, 1, 1), np.ones((10, 1)), warmup=10),
            ValueError,
            "inputs must hold warmup",
        ),
        (
            lambda: rd.lyapunov_exponents(rd.ESN(5, 1, 1), np.ones((10, 2))),
            ValueError,
            r"inputs must have shape \(any, 1\)",
        ),
        (
            lambda: rd.lyapunov_exponents(rd.ESN(5, 0, 1), steps=10, initial_state=np.ones(4)),
            ValueError,
            r"initial_state must have shape \(5\)",
        ),
    ],
)
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_exponents_tend_to_the_odes_as_dt_shrinks():
    # at the fixed point 0 of a g = 0.5 network the ODE's exponents are Re λ(J) / τ
    errors = []
    for dt in (2.0, 0.5):
        net = rd.ESN(80, 0, 1, g=0.5, tau=10.0, dt=dt, seed=4)
        ode = np.sort(np.linalg.eigvals(net.recurrent - np.eye(80)).real)[::-1][:2] / 10.0
        found = rd.lyapunov_exponents(net, k=2, steps=int(40_000 / dt), warmup=int(4_000 / dt))
        errors.append(np.max(np.abs(found - ode) / np.abs(ode)))
    assert errors[1] < errors[0] / 3
