"""q, F, J, ∇q and Hessian products: the C++ core against reference.py, and both against
finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import rnndyn as rd
from conftest import relative_error
from rnndyn import _core, reference

N, K = 40, 6


def _weights(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1.5 / np.sqrt(N), (N, N)), rng.normal(0, 0.3, N)


def _systems(activation: str):
    """(core system, reference F, J, Hessian(x, exact)) for both kinds of system."""
    w, c = _weights()
    yield (
        _core.ClosedLoopSystem(w, c, activation, np.zeros((N, 0)), np.zeros((0, N))),
        lambda x: reference.closed_loop_velocity(x, w, c, activation),
        lambda x: reference.closed_loop_jacobian(x, w, activation),
        lambda x, exact: reference.closed_loop_hessian(x, w, c, activation, exact),
    )
    yield (
        _core.DiscreteSystem(w, c, activation),
        lambda x: reference.rnn_velocity(x, w, c, activation),
        lambda x: reference.rnn_jacobian(x, w, c, activation),
        lambda x, exact: reference.rnn_hessian(x, w, c, activation, exact),
    )


def _central_difference(function, x: np.ndarray, step: float = 1e-6) -> np.ndarray:
    """Columns d function / d x_i by central differences."""
    columns = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = step
        columns.append((function(x + e) - function(x - e)) / (2 * step))
    return np.stack(columns, axis=-1)


@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu"])
def test_core_matches_reference(activation: str):
    rng = np.random.default_rng(1)
    X, V = rng.normal(0, 1.2, (K, N)), rng.normal(size=(K, N))
    for system, velocity, jacobian, hessian in _systems(activation):
        F = system.velocity(X)
        for k in range(K):
            x = X[k]
            J = jacobian(x)
            assert relative_error(F[k], velocity(x)) <= 1e-10
            assert relative_error(system.jacobian(x), J) <= 1e-10
            gradient = reference.speed_gradient(velocity(x), J)
            assert relative_error(system.gradient(X)[k], gradient) <= 1e-10
            assert relative_error(system.jacobian_product(X, V)[k], J @ V[k]) <= 1e-10
            assert relative_error(system.jacobian_transpose_product(X, V)[k], J.T @ V[k]) <= 1e-10
            for exact in (True, False):
                assert (
                    relative_error(system.hessian_product(X, V, exact)[k], hessian(x, exact) @ V[k])
                    <= 1e-10
                )
                # the dense one (Levenberg-Marquardt's), from the Gram matrix or Wᵀ diag W
                assert relative_error(system.hessian(x, exact), hessian(x, exact)) <= 1e-10


def _check_against_differences(
    system, velocity, jacobian, hessian, x: np.ndarray, piecewise_linear: bool
) -> None:
    # reference: J = dF/dx, ∇q = dq/dx, H = d∇q/dx (exact), H_GN = JᵀJ
    assert relative_error(jacobian(x), _central_difference(velocity, x)) <= 1e-8

    def speed(y: np.ndarray) -> float:
        return reference.speed(velocity(y))

    def gradient(y: np.ndarray) -> np.ndarray:
        return reference.speed_gradient(velocity(y), jacobian(y))

    assert relative_error(gradient(x), _central_difference(speed, x)) <= 1e-7
    assert relative_error(hessian(x, True), _central_difference(gradient, x)) <= 1e-7
    J = jacobian(x)
    assert relative_error(hessian(x, False), J.T @ J) <= 1e-13
    # the Gauss-Newton matrix is not the Hessian away from a fixed point, but for a piecewise
    # linear φ (within a region) it is
    gap = relative_error(hessian(x, False), hessian(x, True))
    assert gap == 0 if piecewise_linear else gap > 1e-3
    # core: J and exact Hessian products against differences of the core's own F and ∇q
    assert (
        relative_error(
            system.jacobian(x), _central_difference(lambda y: system.velocity(y[None])[0], x)
        )
        <= 1e-8
    )
    v = np.random.default_rng(3).normal(size=x.size)
    h = 1e-6
    directional = (
        system.gradient((x + h * v)[None])[0] - system.gradient((x - h * v)[None])[0]
    ) / (2 * h)
    assert relative_error(system.hessian_product(x[None], v[None], True)[0], directional) <= 1e-7
    core_gradient = lambda y: system.gradient(y[None])[0]  # noqa: E731
    assert relative_error(system.hessian(x, True), _central_difference(core_gradient, x)) <= 1e-7


@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu"])
def test_derivatives_match_finite_differences(activation: str):
    x = np.random.default_rng(2).normal(0, 1.2, N)
    for system, velocity, jacobian, hessian in _systems(activation):
        _check_against_differences(system, velocity, jacobian, hessian, x, activation == "relu")


def test_closed_loop_of_an_esn_is_its_velocity():
    net = rd.ESN(50, 2, 3, bias=True, seed=0)
    net.readout = np.random.default_rng(0).normal(0, 0.1, (3, 50))
    x, u = np.random.default_rng(1).normal(size=50), np.array([0.3, -1.0])
    expected = reference.closed_loop_velocity(
        x, net.recurrent + net.feedback @ net.readout, net.input @ u + net.bias
    )
    assert relative_error(net.velocity(x, u), expected) <= 1e-12
    # one Euler step of the simulation moves x by (dt/τ) F with the readout fed back
    net.state = x
    step = net.run(u[None]).states[0]
    np.testing.assert_allclose(step, x + 0.1 * expected, rtol=1e-12, atol=1e-14)


def test_preconditioner_is_the_inverse_of_its_metric():
    # M = I + (W_fb W_o D)ᵀ(W_fb W_o D): applying M⁻¹ to M v gives v back
    net = rd.ESN(60, 1, 3, seed=0)
    net.readout = np.random.default_rng(0).normal(0, 0.5, (3, 60))
    system = net.core_system()
    x, v = np.random.default_rng(1).normal(size=(2, 60))
    slopes = 1 - np.tanh(x) ** 2
    low_rank = net.feedback @ net.readout * slopes[None, :]
    metric = np.eye(60) + low_rank.T @ low_rank
    assert relative_error(system.precondition(x[None], (metric @ v)[None])[0], v) <= 1e-10
