"""The skeleton of trained flip-flops against free runs: for each network, the memories found,
the one-bit pairs of memories whose straight segment passes directly from one basin to the
other (checked here with plain NumPy free runs), which of them a 1-saddle joins, and the time.

    python benchmarks/skeleton_edges.py                 # 3 bits, seeds 0-3
    python benchmarks/skeleton_edges.py --bits 4 --seeds 0 1

Issue 19 asks for an edge on every direct pair; this prints where that holds and where not.
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import rnndyn as rd
from rnndyn.app.recipes import train_flipflop


def settle_numpy(net: rd.ESN, states: np.ndarray, memories: np.ndarray) -> np.ndarray:
    """The memory each state's free run (Euler, closed loop, no input) comes to, once within
    a quarter of the distance between the two closest memories (-1: none in 20,000 steps)."""
    w_c = net.recurrent + net.feedback @ net.readout
    leak = net.dt / np.asarray(net.tau)
    gap = min(np.linalg.norm(a - b) for a, b in itertools.combinations(memories, 2))
    x = states.copy()
    label = np.full(len(x), -1)
    for _ in range(20_000):
        x += leak * (-x + np.tanh(x) @ w_c.T)
        distance = np.linalg.norm(x[:, None] - memories[None], axis=2)
        near = distance.min(axis=1) < 0.25 * gap
        label = np.where((label < 0) & near, distance.argmin(axis=1), label)
        if np.all(label >= 0):
            break
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


def report(bits: int, seed: int) -> str:
    """One line for the network trained on `bits` bits with `seed`."""
    trained = train_flipflop(bits, seed, n_jobs=2)
    net = trained.net
    starts = rd.sample_states(trained.test.states, 256, seed=0)
    clock = time.perf_counter()
    sk = rd.skeleton(net, starts, n_jobs=2)
    seconds = time.perf_counter() - clock
    outputs = net.output_of(sk.attractor_states)
    corner = np.flatnonzero(np.all(np.abs(np.abs(outputs) - 1) < 0.2, axis=1))
    signs = (outputs[corner] > 0).astype(int)
    one_bit = [
        (int(min(corner[i], corner[j])), int(max(corner[i], corner[j])))
        for i, j in itertools.combinations(range(len(corner)), 2)
        if np.sum(signs[i] != signs[j]) == 1
    ]
    direct = direct_pairs(net, sk.attractor_states, one_bit)
    joined = sk.joined()
    return (
        f"{bits} bits, seed {seed}: {seconds:.1f} s; {len(corner)} of {2**bits} memories; "
        f"{sum(p in joined for p in one_bit)} of {len(one_bit)} one-bit pairs joined; "
        f"{sum(p in joined for p in direct)} of {len(direct)} direct pairs joined"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bits", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    args = parser.parse_args()
    for seed in args.seeds:
        print(report(args.bits, seed), flush=True)


if __name__ == "__main__":
    main()
