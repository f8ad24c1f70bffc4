"""Plain NumPy implementation of what the C++ core computes, written from docs/mathematics.md.

It exists to check the core (tests hold the two to ≤ 1e-10 in float64) and as the baseline
of the benchmarks. It favours readability over speed: P is updated as a full matrix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from .networks.activations import Activation


def rate(x: NDArray[np.float64], activation: Activation = "tanh") -> NDArray[np.float64]:
    """φ(x): tanh, or the logistic 1/(1+e^-x)."""
    if activation == "tanh":
        return np.tanh(x)
    if activation == "logistic":
        return 1.0 / (1.0 + np.exp(-x))
    raise ValueError(f"unknown activation {activation!r}")


def run_network(
    recurrent: NDArray[np.float64],
    feedback: NDArray[np.float64],
    input_weights: NDArray[np.float64],
    readout: NDArray[np.float64],
    x0: NDArray[np.float64],
    inputs: NDArray[np.float64],
    targets: NDArray[np.float64] | None = None,
    *,
    bias: NDArray[np.float64] | None = None,
    dt_over_tau: float | NDArray[np.float64] = 0.1,
    activation: Activation = "tanh",
    teacher_forcing: bool = False,
    train_every: int | None = None,
    alpha: float = 1.0,
) -> dict[str, NDArray[np.float64]]:
    """Simulate T = len(inputs) steps, FORCE-training the readout when `train_every` is set.

    Shapes: recurrent (N, N), feedback (N, O), input_weights (N, I), readout (O, N), x0 (N,),
    inputs (T, I), targets (T, O). Returns states (T, N), outputs (T, O), and with targets
    errors (T, O) (before each update); with training also readout (O, N) and P (N, N).
    """
    if teacher_forcing and targets is None:
        raise ValueError("teacher_forcing needs targets (T, O)")
    forced = targets if teacher_forcing else None
    n = recurrent.shape[0]
    n_out = readout.shape[0]
    steps = inputs.shape[0]
    b = np.zeros(n) if bias is None else bias
    readout = readout.copy()
    P = np.eye(n) / alpha
    x = x0.copy()
    r = rate(x, activation)
    z = readout @ r
    states = np.zeros((steps, n))
    outputs = np.zeros((steps, n_out))
    errors = np.zeros((steps, n_out))
    for t in range(steps):
        if forced is not None:
            fed_back = np.zeros(n_out) if t == 0 else forced[t - 1]
        else:
            fed_back = z
        velocity = -x + recurrent @ r + feedback @ fed_back + input_weights @ inputs[t] + b
        x = x + dt_over_tau * velocity
        r = rate(x, activation)
        z = readout @ r
        if targets is not None:
            e = z - targets[t]
            errors[t] = e
            if train_every is not None and (t + 1) % train_every == 0:
                k = P @ r
                c = 1.0 / (1.0 + r @ k)
                P = P - c * np.outer(k, k)
                readout = readout - c * np.outer(e, k)
                z = readout @ r
        states[t] = x
        outputs[t] = z
    result = {"states": states, "outputs": outputs}
    if targets is not None:
        result["errors"] = errors
    if train_every is not None:
        result["readout"] = readout
        result["P"] = P
    return result


# -- fixed points: F, J, q, ∇q and Hessians, dense, one state at a time ----------------------
# (docs/mathematics.md, Derivatives)


def rate_slope(x: NDArray[np.float64], activation: Activation = "tanh") -> NDArray[np.float64]:
    """φ'(x)."""
    r = rate(x, activation)
    return 1.0 - r**2 if activation == "tanh" else r * (1.0 - r)


def rate_curvature(x: NDArray[np.float64], activation: Activation = "tanh") -> NDArray[np.float64]:
    """φ''(x)."""
    r = rate(x, activation)
    return -2.0 * r * (1.0 - r**2) if activation == "tanh" else r * (1.0 - r) * (1.0 - 2.0 * r)


def closed_loop_velocity(
    x: NDArray[np.float64],
    closed_loop: NDArray[np.float64],
    offset: NDArray[np.float64],
    activation: Activation = "tanh",
) -> NDArray[np.float64]:
    """F(x) = -x + W_c φ(x) + (B u + b) for the ESN at a constant input; offset = B u + b."""
    return -x + closed_loop @ rate(x, activation) + offset


def closed_loop_jacobian(
    x: NDArray[np.float64], closed_loop: NDArray[np.float64], activation: Activation = "tanh"
) -> NDArray[np.float64]:
    """J(x) = -I + W_c diag(φ'(x)), (N, N)."""
    return -np.eye(x.size) + closed_loop * rate_slope(x, activation)[None, :]


def closed_loop_hessian(
    x: NDArray[np.float64],
    closed_loop: NDArray[np.float64],
    offset: NDArray[np.float64],
    activation: Activation = "tanh",
    exact: bool = True,
) -> NDArray[np.float64]:
    """Hessian of q = ½|F|²: JᵀJ, plus diag((W_cᵀF) ⊙ φ''(x)) when `exact`."""
    jac = closed_loop_jacobian(x, closed_loop, activation)
    hessian = jac.T @ jac
    if exact:
        force = closed_loop_velocity(x, closed_loop, offset, activation)
        hessian += np.diag((closed_loop.T @ force) * rate_curvature(x, activation))
    return hessian


def rnn_velocity(
    h: NDArray[np.float64],
    recurrent: NDArray[np.float64],
    offset: NDArray[np.float64],
    activation: Activation = "tanh",
) -> NDArray[np.float64]:
    """G(h) = φ(W h + B u + b) - h for the discrete-time RNN h' = φ(W h + B u + b)."""
    return rate(recurrent @ h + offset, activation) - h


def rnn_jacobian(
    h: NDArray[np.float64],
    recurrent: NDArray[np.float64],
    offset: NDArray[np.float64],
    activation: Activation = "tanh",
) -> NDArray[np.float64]:
    """J_G(h) = diag(φ'(W h + c)) W - I."""
    slopes = rate_slope(recurrent @ h + offset, activation)
    return slopes[:, None] * recurrent - np.eye(h.size)


def rnn_hessian(
    h: NDArray[np.float64],
    recurrent: NDArray[np.float64],
    offset: NDArray[np.float64],
    activation: Activation = "tanh",
    exact: bool = True,
) -> NDArray[np.float64]:
    """Hessian of q = ½|G|²: JᵀJ, plus Wᵀ diag(G ⊙ φ''(W h + c)) W when `exact`."""
    jac = rnn_jacobian(h, recurrent, offset, activation)
    hessian = jac.T @ jac
    if exact:
        drive = recurrent @ h + offset
        weights = rnn_velocity(h, recurrent, offset, activation) * rate_curvature(drive, activation)
        hessian += recurrent.T @ (weights[:, None] * recurrent)
    return hessian


def speed(velocity: NDArray[np.float64]) -> float:
    """q = ½|F|² from the velocity F."""
    return 0.5 * float(velocity @ velocity)


def speed_gradient(
    velocity: NDArray[np.float64], jacobian: NDArray[np.float64]
) -> NDArray[np.float64]:
    """∇q = Jᵀ F."""
    return jacobian.T @ velocity
