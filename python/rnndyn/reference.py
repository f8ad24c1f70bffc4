"""Plain NumPy implementation of what the C++ core computes, written from DESIGN.md.

It exists to check the core (tests hold the two to ≤ 1e-10 in float64) and as the baseline
of the benchmarks. It favours readability over speed: P is updated as a full matrix.
"""

from __future__ import annotations

import numpy as np


def rate(x: np.ndarray, activation: str = "tanh") -> np.ndarray:
    """φ(x): tanh, or the logistic 1/(1+e^-x)."""
    if activation == "tanh":
        return np.tanh(x)
    if activation == "logistic":
        return 1.0 / (1.0 + np.exp(-x))
    raise ValueError(f"unknown activation {activation!r}")


def run_network(
    recurrent: np.ndarray,
    feedback: np.ndarray,
    input_weights: np.ndarray,
    readout: np.ndarray,
    x0: np.ndarray,
    inputs: np.ndarray,
    targets: np.ndarray | None = None,
    *,
    bias: np.ndarray | None = None,
    dt_over_tau: float | np.ndarray = 0.1,
    activation: str = "tanh",
    teacher_forcing: bool = False,
    train_every: int | None = None,
    alpha: float = 1.0,
) -> dict[str, np.ndarray]:
    """Simulate T = len(inputs) steps, FORCE-training the readout when `train_every` is set.

    Shapes: recurrent (N, N), feedback (N, O), input_weights (N, I), readout (O, N), x0 (N,),
    inputs (T, I), targets (T, O). Returns states (T, N), outputs (T, O), and with targets
    errors (T, O) (before each update); with training also readout (O, N) and P (N, N).
    """
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
        if teacher_forcing:
            fed_back = np.zeros(n_out) if t == 0 else targets[t - 1]
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
