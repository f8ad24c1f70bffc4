"""Starting states for fixed-point searches."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_array, as_float, as_int, as_rng
from ..networks.activations import activation_functions
from ..networks.esn import ESN, RunResult
from ..tasks import FlipFlop


def sample_states(
    states: ArrayLike,
    n: int,
    noise: float = 0.0,
    seed: int | np.random.Generator | None = None,
) -> NDArray[np.float64]:
    """`n` rows drawn from `states` (T, N) (without replacement when n <= T), each plus
    Gaussian noise of standard deviation `noise` (FixedPointFinder's convention); (n, N)."""
    states = as_array("states", states, (None, None))
    n = as_int("n", n, minimum=1)
    noise = as_float("noise", noise, minimum=0.0)
    rng = as_rng(seed)
    rows = rng.choice(states.shape[0], size=n, replace=n > states.shape[0])
    return states[rows] + noise * rng.standard_normal((n, states.shape[1]))


def fastest_states(
    net: ESN, states: ArrayLike, n: int, inputs: ArrayLike | None = None
) -> NDArray[np.float64]:
    """The `n` rows of `states` (T, N) where the speed `|F(x)|` of `net`'s closed loop at the
    constant `inputs` (I,) (zeros if None) is largest; (min(n, T), N), fastest first.

    On a trajectory that moves between memories these are the transitions, which pass by the
    saddles: starts drawn only from where the trajectory rests find the stable points alone.
    """
    if not isinstance(net, ESN):
        raise TypeError(f"net must be an ESN, got {type(net).__name__}")
    states = as_array("states", states, (None, net.size))
    n = as_int("n", n, minimum=1)
    speed = np.linalg.norm(net.velocity(states, inputs), axis=1)
    return states[np.argsort(-speed, kind="stable")[:n]]


def flipflop_starts(
    net: ESN,
    n: int,
    fastest: int = 32,
    seed: int | np.random.Generator | None = None,
    hold: int = 300,
    tour: RunResult | None = None,
) -> tuple[NDArray[np.float64], RunResult]:
    """Starting states for a flip-flop network (inputs = outputs = bits): a run from
    `net.state` through every pattern, each held `hold` steps, so that no memory goes
    unsampled; `n - fastest` states sampled from it plus its `fastest` fastest states (the
    transitions, see `fastest_states`). Returns the starts (n, N) and the run; pass that run
    back as `tour` to draw more starts without simulating it again.
    """
    if not isinstance(net, ESN):
        raise TypeError(f"net must be an ESN, got {type(net).__name__}")
    if net.n_inputs != net.n_outputs:
        raise ValueError(
            f"net must have one input per output bit, got {net.n_inputs} inputs "
            f"and {net.n_outputs} outputs"
        )
    n = as_int("n", n, minimum=1)
    fastest = min(as_int("fastest", fastest, minimum=0), n // 2)
    if tour is None:
        tour = net.copy().run(FlipFlop(net.n_outputs).sample_patterns(hold=hold))
    elif not isinstance(tour, RunResult) or tour.states.shape[1:] != (net.size,):
        raise ValueError(f"tour must be a RunResult of this network (states (T, {net.size}))")
    starts = sample_states(tour.states, n - fastest, seed=seed)
    if fastest:
        starts = np.vstack([starts, fastest_states(net, tour.states, fastest)])
    return starts, tour


def states_with_outputs(
    net: ESN, outputs: ArrayLike, base_states: ArrayLike | None = None, max_iter: int = 50
) -> NDArray[np.float64]:
    """States whose readout equals chosen output values z̄: W_o φ(x) = z̄ (the paper's
    out-of-bounds initial conditions, section 6, e.g. z̄ = (0.5, 0.5, 0.5) or (2, 2, 0)).

    outputs: (M, O) targets z̄. base_states: (M, N) states to start from (zeros if None). Each
    state moves by the smallest steps that solve W_o φ(x) = z̄ (Gauss-Newton on the
    underdetermined system: x ← x + (W_o diag φ'(x))⁺ (z̄ - W_o φ(x))), so it stays as close to
    its base as the readout allows. Returns (M, N); raises ValueError for a z̄ out of reach.
    """
    z = as_array("outputs", outputs, (None, net.n_outputs))
    states = (
        np.zeros((z.shape[0], net.size))
        if base_states is None
        else as_array("base_states", base_states, (z.shape[0], net.size)).copy()
    )
    if not np.any(net.readout):
        raise ValueError("states_with_outputs needs a trained readout (it is all zeros)")
    phi, slope, _ = activation_functions(net.activation)
    for i in range(z.shape[0]):
        x = states[i]
        for _ in range(max_iter):
            miss = z[i] - net.readout @ phi(x)
            if np.max(np.abs(miss)) <= 1e-12 * max(1.0, np.max(np.abs(z[i]))):
                break
            x = x + np.linalg.lstsq(net.readout * slope(x)[None, :], miss, rcond=None)[0]
        if np.max(np.abs(net.readout @ phi(x) - z[i])) > 1e-9:
            raise ValueError(f"outputs: row {i}, z̄ = {z[i]}, is out of the readout's reach")
        states[i] = x
    return states
