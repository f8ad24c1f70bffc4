"""Plain-NumPy free runs of a trained ESN's closed loop (Euler, no input), written from the
equations for the skeleton's tests and benchmarks/skeleton_edges.py: which memory a state
runs to, and which pairs of memories have basins that meet on their straight segment. And
the period of an orbit by SciPy's solve_ivp alone (for the cycles' tests and benchmark)."""

from __future__ import annotations

import itertools

import numpy as np
import rnndyn as rd
from scipy.integrate import solve_ivp


def settle_numpy(net: rd.ESN, states: np.ndarray, memories: np.ndarray) -> np.ndarray:
    """The memory each state's free run comes to, once within a quarter of the distance
    between the two closest memories (-1: none in 20,000 steps)."""
    w_c = net.recurrent + net.feedback @ net.readout
    leak = net.dt / np.asarray(net.tau)
    gap = min(np.linalg.norm(a - b) for a, b in itertools.combinations(memories, 2))
    x = states.copy()
    label = np.full(len(x), -1)
    active = np.arange(len(x))  # the runs not yet settled
    for _ in range(20_000):
        if active.size == 0:
            break
        y = x[active]
        y += leak * (-y + np.tanh(y) @ w_c.T)
        x[active] = y
        distance = np.linalg.norm(y[:, None] - memories[None], axis=2)
        near = distance.min(axis=1) < 0.25 * gap
        label[active[near]] = distance[near].argmin(axis=1)
        active = active[~near]
    return label


def direct_pairs(net: rd.ESN, memories: np.ndarray, pairs: list[tuple[int, int]]) -> list:
    """The pairs (a, b) whose segment runs from a's basin straight into b's: of 31 points along
    it, runs from the first go to a and from the rest to b, and so do those of 12 bisections
    of the switch."""
    t = np.linspace(0, 1, 33)[1:-1]
    a_states = memories[[a for a, _ in pairs]]
    b_states = memories[[b for _, b in pairs]]
    lines = a_states[:, None] + t[None, :, None] * (b_states - a_states)[:, None]
    labels = settle_numpy(net, lines.reshape(-1, net.size), memories).reshape(len(pairs), -1)
    kept, low, high = [], [], []
    for k, (a, b) in enumerate(pairs):
        to_b = labels[k] == b
        if set(labels[k]) <= {a, b} and not np.any(np.diff(to_b.astype(int)) < 0):
            switch = int(np.argmax(to_b)) if to_b.any() else len(t)
            kept.append(k)
            low.append(lines[k, switch - 1] if switch else a_states[k])
            high.append(lines[k, switch] if switch < len(t) else b_states[k])
    low_, high_ = np.array(low).reshape(-1, net.size), np.array(high).reshape(-1, net.size)
    ends = np.array([pairs[k] for k in kept]).reshape(-1, 2)
    alive = np.ones(len(kept), dtype=bool)
    for _ in range(12):
        middle = 0.5 * (low_ + high_)
        label = settle_numpy(net, middle, memories)
        alive &= (label == ends[:, 0]) | (label == ends[:, 1])
        to_a = label == ends[:, 0]
        low_[to_a], high_[~to_a] = middle[to_a], middle[~to_a]
    return [pairs[k] for k, ok in zip(kept, alive, strict=True) if ok]


def one_bit_pairs(outputs: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The attractors whose outputs (A, O) sit at a corner of the output cube (|z_i| ≈ 1),
    and the pairs of them one bit apart (ascending)."""
    corner = np.flatnonzero(np.all(np.abs(np.abs(outputs) - 1) < 0.2, axis=1))
    signs = outputs[corner] > 0
    pairs = [
        (int(corner[i]), int(corner[j]))
        for i, j in itertools.combinations(range(len(corner)), 2)
        if np.sum(signs[i] != signs[j]) == 1
    ]
    return corner, pairs


def poincare_period(rate, state: np.ndarray, guess: float) -> float:
    """The time a solve_ivp run (tight tolerances) from `state` takes to cross, in the same
    direction, the plane through `state` across the flow there: the period, independently."""
    normal = rate(0.0, state)

    def section(_: float, x: np.ndarray) -> float:
        return float(normal @ (x - state))

    section.direction = 1.0  # type: ignore[attr-defined]
    run = solve_ivp(
        rate, (0.0, 1.5 * guess), state, "DOP853", rtol=1e-12, atol=1e-12, events=section
    )
    times = run.t_events[0]
    return float(times[np.argmin(np.abs(times - guess))])
