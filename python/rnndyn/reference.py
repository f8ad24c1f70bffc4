"""Plain NumPy implementation of what the C++ core computes, written from docs/mathematics.md.

It exists to check the core (tests hold the two to ≤ 1e-10 in float64) and as the baseline
of the benchmarks. It favours readability over speed: P is updated as a full matrix.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from .networks.activations import Activation


def rate(x: NDArray[np.float64], activation: Activation = "tanh") -> NDArray[np.float64]:
    """φ(x): tanh, the logistic 1/(1+e^-x), or the ReLU max(0, x)."""
    if activation == "tanh":
        return np.tanh(x)
    if activation == "logistic":
        return 1.0 / (1.0 + np.exp(-x))
    if activation == "relu":
        return np.maximum(x, 0.0)
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
    """φ'(x) (the ReLU's: 1 where x > 0, else 0)."""
    r = rate(x, activation)
    if activation == "relu":
        return (x > 0).astype(np.float64)
    return 1.0 - r**2 if activation == "tanh" else r * (1.0 - r)


def rate_curvature(x: NDArray[np.float64], activation: Activation = "tanh") -> NDArray[np.float64]:
    """φ''(x) (the ReLU's: 0)."""
    r = rate(x, activation)
    if activation == "relu":
        return np.zeros_like(r)
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


# -- gated networks: one step of a layer and its Jacobians, dense, one state at a time ---------
# (docs/mathematics.md, Gated networks; PyTorch's gate order: GRU r, z, n; LSTM i, f, g, o;
# a vanilla RNN layer's one "gate" is h' itself)

# (weight_ih (GH, I), weight_hh (GH, H), bias_ih (GH,), bias_hh (GH,)) of one layer
GatedLayer = tuple[
    NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]
]
FloatArray = NDArray[np.float64]
# one layer's step: (state, input, layer) -> (next state, ∂/∂state, ∂/∂input)
LayerStep = Callable[
    [FloatArray, FloatArray, GatedLayer], tuple[FloatArray, FloatArray, FloatArray]
]


def _logistic(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return 1.0 / (1.0 + np.exp(-x))


def gru_layer(
    h: NDArray[np.float64], x: NDArray[np.float64], layer: GatedLayer
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """One GRU step from h (H,) with input x (I,): h' (H,), ∂h'/∂h (H, H) and ∂h'/∂x (H, I)."""
    w_i, w_h, b_i, b_h = layer
    i_r, i_z, i_n = np.split(w_i @ x + b_i, 3)
    h_r, h_z, h_n = np.split(w_h @ h + b_h, 3)
    r, z = _logistic(i_r + h_r), _logistic(i_z + h_z)
    n = np.tanh(i_n + r * h_n)
    # the chain rule, gate by gate: d(pre-activation) = A dh + B dx for each gate
    wi_r, wi_z, wi_n = np.split(w_i, 3)
    wh_r, wh_z, wh_n = np.split(w_h, 3)
    dr_dh, dr_dx = (r * (1 - r))[:, None] * wh_r, (r * (1 - r))[:, None] * wi_r
    dz_dh, dz_dx = (z * (1 - z))[:, None] * wh_z, (z * (1 - z))[:, None] * wi_z
    dn_dh = (1 - n**2)[:, None] * (h_n[:, None] * dr_dh + r[:, None] * wh_n)
    dn_dx = (1 - n**2)[:, None] * (h_n[:, None] * dr_dx + wi_n)
    step_h = (1 - z)[:, None] * dn_dh + (h - n)[:, None] * dz_dh + np.diag(z)
    step_x = (1 - z)[:, None] * dn_dx + (h - n)[:, None] * dz_dx
    return (1 - z) * n + z * h, step_h, step_x


def lstm_layer(
    s: NDArray[np.float64], x: NDArray[np.float64], layer: GatedLayer
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """One LSTM step from s = (h, c) (2H,) with input x (I,): s' = (h', c') (2H,), ∂s'/∂s
    (2H, 2H) and ∂s'/∂x (2H, I)."""
    w_i, w_h, b_i, b_h = layer
    h, c = np.split(s, 2)
    a_i, a_f, a_g, a_o = np.split(w_i @ x + b_i + w_h @ h + b_h, 4)
    i, f, g, o = _logistic(a_i), _logistic(a_f), np.tanh(a_g), _logistic(a_o)
    c_next = f * c + i * g
    t = np.tanh(c_next)
    # ∂(gate)/∂(pre-activation), stacked i, f, g, o
    slopes = np.concatenate([i * (1 - i), f * (1 - f), 1 - g**2, o * (1 - o)])

    def through_gates(d_pre: NDArray[np.float64]) -> NDArray[np.float64]:
        """(∂h', ∂c') from the pre-activations' derivative d_pre (4H, ·), c held."""
        d_i, d_f, d_g, d_o = np.split(slopes[:, None] * d_pre, 4)
        d_c = c[:, None] * d_f + g[:, None] * d_i + i[:, None] * d_g
        return np.vstack([t[:, None] * d_o + (o * (1 - t**2))[:, None] * d_c, d_c])

    size = h.size
    step_s = np.hstack([through_gates(w_h), np.zeros((2 * size, size))])
    step_s[:size, size:] += np.diag(o * (1 - t**2) * f)  # c enters c' through f
    step_s[size:, size:] += np.diag(f)
    return np.concatenate([o * t, c_next]), step_s, through_gates(w_i)


def rnn_layer(
    h: NDArray[np.float64], x: NDArray[np.float64], layer: GatedLayer, nonlinearity: str = "tanh"
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """One vanilla RNN step h' = φ(W_ih x + b_ih + W_hh h + b_hh) from h (H,) with input x (I,),
    φ = tanh or relu (slope 1 where the pre-activation is > 0, else 0): h' (H,),
    ∂h'/∂h = diag(φ') W_hh (H, H) and ∂h'/∂x = diag(φ') W_ih (H, I)."""
    w_i, w_h, b_i, b_h = layer
    pre = w_i @ x + b_i + w_h @ h + b_h
    if nonlinearity == "relu":  # by the real part, so that a complex step passes through
        active = pre.real > 0
        out, slope = np.where(active, pre, 0.0), active.astype(np.float64)
    else:
        out = np.tanh(pre)
        slope = 1 - out**2
    return out, slope[:, None] * w_h, slope[:, None] * w_i


def gated_velocity_and_jacobian(
    state: NDArray[np.float64],
    u: NDArray[np.float64],
    layers: list[GatedLayer],
    kind: str,
    nonlinearity: str = "tanh",
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """G(s) = f(s, u) - s (N,) and its Jacobian (N, N) for a stack of "gru", "lstm" or "rnn"
    layers (an RNN's φ: nonlinearity, "tanh" or "relu"), s stacking each layer's state; layer
    l's input is layer l-1's new h."""
    steps: dict[str, LayerStep] = {
        "gru": gru_layer,
        "lstm": lstm_layer,
        "rnn": partial(rnn_layer, nonlinearity=nonlinearity),
    }
    step = steps[kind]
    width = len(state) // len(layers)
    hidden = width // 2 if kind == "lstm" else width
    # complex states pass through (gated_hessian_product's complex step)
    dtype = np.result_type(state, u, 1.0)
    nexts, blocks = [], np.zeros((state.size, state.size), dtype=dtype)
    x, dx = u, np.zeros((u.size, state.size), dtype=dtype)  # the layer's input, d/ds of it
    for index, layer in enumerate(layers):
        rows = slice(index * width, (index + 1) * width)
        s_next, step_s, step_x = step(state[rows], x, layer)
        blocks[rows] = step_x @ dx
        blocks[rows, rows] += step_s
        nexts.append(s_next)
        x, dx = s_next[:hidden], blocks[rows][:hidden]
    return np.concatenate(nexts) - state, blocks - np.eye(state.size)


def gated_hessian_product(
    state: NDArray[np.float64],
    u: NDArray[np.float64],
    layers: list[GatedLayer],
    kind: str,
    vector: NDArray[np.float64],
    nonlinearity: str = "tanh",
) -> NDArray[np.float64]:
    """H v (N,) for the exact Hessian H of q = ½|G|² at `state` (N,) (layers as in
    gated_velocity_and_jacobian), as the derivative of
    ∇q = JᵀG along `vector` (N,) by a complex step (Squire & Trapp 1998): every function above
    is analytic, so Im ∇q(s + i h v) / h is that derivative to rounding, with no truncation
    error at h = 1e-30."""
    h = 1e-30
    G, J = gated_velocity_and_jacobian(state + 1j * h * vector, u, layers, kind, nonlinearity)
    return np.asarray((J.T @ G).imag / h, dtype=np.float64)
