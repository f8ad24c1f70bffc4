"""FORCE in NumPy with BLAS in place: the strongest baseline a NumPy user would write.

The same step order as `rnndyn.reference.run_network` (docs/mathematics.md, FORCE learning),
but P is one triangle of a Fortran-ordered array updated in place by BLAS `dsymv` (k = P r)
and `dsyr` (P ← P - c k kᵀ) from `scipy.linalg.blas`, and the recurrent product writes into a
buffer, so the loop allocates only O(N) temporaries. Continuous-time tanh network, float64.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg.blas import dsymv, dsyr


def run_network(
    recurrent: np.ndarray,
    feedback: np.ndarray,
    input_weights: np.ndarray,
    readout: np.ndarray,
    x0: np.ndarray,
    inputs: np.ndarray,
    targets: np.ndarray | None = None,
    *,
    dt_over_tau: float | np.ndarray = 0.1,
    train_every: int | None = None,
    alpha: float = 1.0,
    record_states: bool = False,
) -> dict[str, np.ndarray]:
    """Simulate T = len(inputs) steps, FORCE-training the readout when `train_every` is set.

    Shapes as in `rnndyn.reference.run_network`. Returns outputs (T, O), the final state (N,),
    with targets errors (T, O) (before each update), with training readout (O, N) and P (N, N)
    (symmetric), and with `record_states` the states (T, N).
    """
    n, steps = recurrent.shape[0], inputs.shape[0]
    readout = np.array(readout, dtype=float)
    P = np.asfortranarray(np.eye(n) / alpha)  # only its lower triangle is read and written
    x = np.array(x0, dtype=float)
    r = np.tanh(x)
    z = readout @ r
    drive = np.empty(n)
    outputs = np.empty((steps, readout.shape[0]))
    errors = np.empty_like(outputs) if targets is not None else None
    states = np.empty((steps, n)) if record_states else None
    for t in range(steps):
        np.dot(recurrent, r, out=drive)
        drive -= x
        drive += feedback @ z
        drive += input_weights @ inputs[t]
        x += dt_over_tau * drive
        np.tanh(x, out=r)
        z = readout @ r
        if targets is not None:
            e = z - targets[t]
            errors[t] = e
            if train_every is not None and (t + 1) % train_every == 0:
                k = dsymv(1.0, P, r, lower=1)
                c = 1.0 / (1.0 + r @ k)
                dsyr(-c, k, a=P, lower=1, overwrite_a=1)
                readout -= c * np.outer(e, k)
                z = readout @ r
        if states is not None:
            states[t] = x
        outputs[t] = z
    result = {"outputs": outputs, "state": x}
    if errors is not None:
        result["errors"] = errors
    if train_every is not None:
        lower = np.tril(P)
        result["readout"] = readout
        result["P"] = lower + np.tril(P, -1).T
    if states is not None:
        result["states"] = states
    return result
