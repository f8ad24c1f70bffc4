"""Transfer learning (the paper's section 7.1): grow a trained flip-flop network by new bits and
retrain it with FORCE, keeping everything it learned as the starting point."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import as_int, as_rng
from ..networks.esn import ESN, WEIGHTS, Size, WeightSpec
from ..networks.training import TrainingHistory, train_force
from ..tasks import FlipFlop, Task


def grow(net: ESN, inputs: int, outputs: int, seed: int | np.random.Generator | None = None) -> ESN:
    """A copy of `net` with `inputs` input channels and `outputs` outputs (each ≥ the current).

    The new columns of the input weights B (N, inputs) and of the feedback weights W_fb
    (N, outputs) are drawn as the ESN constructor draws them, uniform in [-1, 1] (W_fb's new
    columns first, then B's, from `seed`: an int or a Generator); the new readout rows are
    zero, so the grown network's old outputs are unchanged until it is retrained (a new
    output reads 0 and so feeds nothing back). Everything else — W_r, the old columns and rows,
    bias, τ, dt, activation, state, dtype — is copied (new weights drawn in float64, then
    rounded to a float32 network's dtype). `net` is not modified.
    """
    _check_network(net)
    inputs = as_int("inputs", inputs, minimum=net.n_inputs)
    outputs = as_int("outputs", outputs, minimum=net.n_outputs)
    rng = as_rng(seed)
    sizes: dict[Size, int] = {"N": net.size, "I": inputs, "O": outputs}
    weights = {
        weight.name: _grown(weight, getattr(net, weight.name), sizes, rng) for weight in WEIGHTS
    }
    return ESN._from(weights, **net._settings())


def _grown(
    weight: WeightSpec, value: np.ndarray | None, sizes: dict[Size, int], rng: np.random.Generator
) -> np.ndarray | None:
    """A copy of `value` with new columns or rows where `sizes` exceed its shape, filled as
    `weight.grown` says."""
    if value is None:
        return None
    grown = value.copy()
    for axis, size in enumerate(weight.shape):
        extra = sizes[size] - grown.shape[axis]
        if extra == 0:
            continue
        if weight.grown is None:
            raise ValueError(f"{weight.name}'s {size} cannot grow")
        shape = (*grown.shape[:axis], extra, *grown.shape[axis + 1 :])
        new = rng.uniform(-1.0, 1.0, size=shape) if weight.grown == "uniform" else np.zeros(shape)
        grown = np.concatenate([grown, new], axis=axis)
    return grown


def transfer(
    net: ESN,
    bits: int,
    task: Task | None = None,
    steps: int = 30_000,
    reset_p: bool = True,
    history: TrainingHistory | None = None,
    seed: int | np.random.Generator | None = None,
    train_every: int = 2,
    alpha: float = 1.0,
    progress: bool = False,
    **train_options: Any,
) -> tuple[ESN, TrainingHistory]:
    """Grow a network trained on a flip-flop (inputs = outputs = its bits) to `bits` bits and
    retrain its readout by FORCE; returns the new network and its training history.

    - net: the trained network; it is not modified.
    - bits: the new number of bits, ≥ the current one.
    - task: anything with `sample(steps)` → (inputs (T, bits), targets (T, bits)); default
      `FlipFlop(bits, seed=seed)`.
    - steps: FORCE steps of retraining.
    - reset_p: start FORCE from P = I/alpha (True) or continue from the P that trained
      `net`, `history.inverse_correlation` (False; `history` is then required). P depends
      only on the rates, so the old P is valid for the grown network, but it has shrunk over
      the first training: the new outputs then learn with a small gain.
    - seed: the new weights' draws (see `grow`) and the default task's.
    - train_every, alpha, progress, train_options: passed to `train_force` (e.g.
      snapshot_every, record_states, teacher_forcing).
    """
    _check_network(net)
    if net.n_inputs != net.n_outputs:
        raise ValueError(
            f"net must be a flip-flop network with as many inputs as outputs, got "
            f"{net.n_inputs} inputs and {net.n_outputs} outputs; use grow() for other shapes"
        )
    bits = as_int("bits", bits, minimum=net.n_outputs)
    steps = as_int("steps", steps, minimum=1)
    if not isinstance(reset_p, bool):
        raise TypeError(f"reset_p must be a bool, got {type(reset_p).__name__}")
    if "inverse_correlation" in train_options:
        raise TypeError("transfer takes P through reset_p and history, not inverse_correlation")
    inverse_correlation = None
    if not reset_p:
        if not isinstance(history, TrainingHistory):
            raise ValueError(
                "reset_p=False continues from the previous P: pass history=, the "
                "TrainingHistory that trained net"
            )
        inverse_correlation = history.inverse_correlation
    if task is None:
        task = FlipFlop(bits, seed=seed)
    elif not callable(getattr(task, "sample", None)):
        raise TypeError(f"task must have a sample(steps) method, got {type(task).__name__}")
    grown = grow(net, bits, bits, seed=seed)
    new_history = train_force(
        grown,
        task.sample(steps),
        train_every=train_every,
        alpha=alpha,
        inverse_correlation=inverse_correlation,
        progress=progress,
        **train_options,
    )
    return grown, new_history


def _check_network(net: object) -> None:
    if not isinstance(net, ESN):
        raise TypeError(f"net must be an ESN, got {type(net).__name__}")
