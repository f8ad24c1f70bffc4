"""Cycles of a tanh RNN trained with PyTorch as FixedPointFinder's own example trains it (16
units, the 3-bit flip-flop, torch seed 0): its memories are stable period-2 cycles, not fixed
points. Every attractor that PyTorch's own free runs reach is a stable cycle from find_cycles
or a stable fixed point."""

from __future__ import annotations

import numpy as np
import pytest
import rnndyn as rd
import torch
from rnndyn.dynamics.cycles import leading_directions
from torch_flipflop import FlipFlopNet, Training, train_on_one_thread

STARTS, NOISE, RUN = 256, 0.5, 400


@pytest.fixture(scope="module")
def trained() -> tuple[FlipFlopNet, np.ndarray]:
    """The example's network, trained as it ships (a few seconds), and noisy starts (K, 16):
    validation states plus Gaussian noise, as the example seeds its search."""
    ex = Training()
    model, valid, _ = train_on_one_thread(ex)
    with torch.no_grad():
        hidden = model(torch.from_numpy(valid["inputs"]))[1].numpy().reshape(-1, ex.hidden)
    noise = np.random.default_rng(0)
    rows = noise.choice(hidden.shape[0], STARTS, replace=False)
    return model, hidden[rows].astype(np.float64) + noise.normal(0, NOISE, (STARTS, ex.hidden))


def _free_run_ends(model: FlipFlopNet, starts: np.ndarray) -> np.ndarray:
    """(2, K, N): the last two states of PyTorch's own runs from `starts` at zero input."""
    rnn = model.rnn.double()
    with torch.no_grad():
        zeros = torch.zeros(starts.shape[0], RUN, rnn.input_size, dtype=torch.float64)
        states, _ = rnn(zeros, torch.from_numpy(starts)[None])
    model.rnn.float()
    return states[:, -2:].numpy().transpose(1, 0, 2)


def test_every_attractor_free_runs_reach_is_a_stable_cycle_or_point(trained) -> None:
    model, starts = trained
    rnn = rd.RNN.from_torch(model.rnn)
    zero = np.zeros(3)
    cycles = rd.find_cycles(rnn, starts, inputs=zero, max_period=4)
    fixed = rd.find_fixed_points(rnn, starts, inputs=zero)
    stable_points = fixed.points[fixed.is_stable]
    stable_states = np.vstack(
        [p for p, s in zip(cycles.points, cycles.is_stable, strict=True) if s]
    )
    ends = _free_run_ends(model, starts)
    on_cycle = np.min(np.max(np.abs(ends[1][:, None] - stable_states[None]), axis=2), axis=1)
    if stable_points.size:
        at_point = np.min(np.max(np.abs(ends[1][:, None] - stable_points[None]), axis=2), axis=1)
        on_cycle = np.minimum(on_cycle, at_point)
    assert np.max(on_cycle) < 1e-6
    # this network (torch seed 0) keeps its 8 memories on 2-cycles: each run alternates
    assert np.all(np.max(np.abs(ends[1] - ends[0]), axis=1) > 1.0)
    assert int(cycles.is_stable.sum()) == 8 and np.all(cycles.period[cycles.is_stable] == 2)
    assert not np.any(fixed.is_stable)
    # the memories: the readout is the same at both states of a cycle, a distinct corner each
    w, b = (
        model.readout.weight.detach().double().numpy(),
        model.readout.bias.detach().double().numpy(),
    )
    corners = set()
    for orbit in (p for p, s in zip(cycles.points, cycles.is_stable, strict=True) if s):
        outputs = orbit @ w.T + b
        np.testing.assert_allclose(np.abs(outputs), 1.0, atol=0.1)
        assert np.all(np.sign(outputs[0]) == np.sign(outputs[1]))
        corners.add(tuple(np.sign(outputs[0]).astype(int)))
    assert len(corners) == 8


def test_the_skeleton_takes_the_stable_cycles_as_attractors(trained) -> None:
    model, starts = trained
    rnn = rd.RNN.from_torch(model.rnn)
    sk = rd.skeleton(rnn, starts, inputs=np.zeros(3), n_jobs=1)
    # the 8 memories, each a stable 2-cycle at its own corner of the readout's cube
    assert len(sk) == 8 and np.all(sk.attractor_kind == "cycle")
    assert np.all(sk.attractor_index == -1)
    cycles = rd.find_cycles(rnn, sk.attractor_states, inputs=np.zeros(3), max_period=2)
    stable = np.vstack([p for p, ok in zip(cycles.points, cycles.is_stable, strict=True) if ok])
    assert stable.shape[0] == 16  # 8 stable 2-cycles, and each attractor state is on one
    gaps = np.max(np.abs(sk.attractor_states[:, None] - stable[None]), axis=2)
    assert np.max(np.min(gaps, axis=1)) < 1e-8
    w, b = (
        model.readout.weight.detach().double().numpy(),
        model.readout.bias.detach().double().numpy(),
    )
    corners = {tuple(np.sign(z).astype(int)) for z in sk.attractor_states @ w.T + b}
    assert len(corners) == 8
    # each 1-saddle is a corner's flip-unstable fixed point (multiplier < -1): both its
    # branches fall onto the 2-cycle around it
    assert len(sk.edges) == 8 and np.all(sk.edges[:, 1] == sk.edges[:, 2])
    multipliers = sk.fixed_points.eigenvalues[sk.edges[:, 0], 0] + 1
    assert np.all(multipliers.real < -1)
    # the memories one bit apart are joined by saddle 2-cycles (one unstable direction):
    # the cube's 12 edges, checked against PyTorch's own free runs from each one's branches
    assert np.all(sk.saddle_cycles.period == 2) and np.all(sk.saddle_cycles.unstable_dims == 1)
    bits = {a: np.sign(z) for a, z in enumerate(sk.attractor_states @ w.T + b)}
    cube = {(i, j) for i in bits for j in bits if i < j and np.sum(bits[i] != bits[j]) == 1}
    assert sk.joined() == cube and len(sk.unjoined()) == 0
    x = np.vstack([orbit[0] for orbit in sk.saddle_cycles.points])
    v = leading_directions(rnn, sk.saddle_cycles, np.zeros(3))
    ends = _free_run_ends(model, np.vstack([x + 1e-3 * v, x - 1e-3 * v]))[1]
    # both states of each attractor's 2-cycle, and whose they are
    states = np.vstack([[h, rnn.run(np.zeros((1, 3)), h0=h)[0]] for h in sk.attractor_states])
    owner = np.repeat(np.arange(len(sk)), 2)
    gaps = np.max(np.abs(ends[:, None] - states[None]), axis=2)
    assert np.max(np.min(gaps, axis=1)) < 1e-6
    reached = owner[np.argmin(gaps, axis=1)].reshape(2, -1).T
    for (_, a, c), pair in zip(sk.cycle_edges.tolist(), reached.tolist(), strict=True):
        assert sorted(pair) == [a, c]
