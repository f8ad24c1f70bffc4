"""A GRU and an LSTM trained with PyTorch on the 3-bit flip-flop (16 units, FixedPointFinder's
example's data and training, torch seed 0, a few seconds each): every attractor that
PyTorch's own free runs reach is one of the skeleton's, a stable fixed point at its own corner
of the readout's cube, and the skeleton's graph joins memories one bit apart."""

from __future__ import annotations

import numpy as np
import pytest
import rnndyn as rd
import torch
from rnndyn.dynamics.branches import branch_starts
from torch_flipflop import FlipFlopNet, Training, train_on_one_thread

STARTS, NOISE, RUN = 256, 0.5, 2_000
IMPORT = {"gru": rd.GRU, "lstm": rd.LSTM}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["gru", "lstm"])
def trained(request) -> tuple[FlipFlopNet, rd.GatedNetwork, np.ndarray]:
    """The trained model, its import, and noisy starts (K, N): states of validation trials
    (rnndyn's run from the learnt initial state) plus Gaussian noise."""
    ex = Training(cell=request.param)
    model, valid, loss = train_on_one_thread(ex)
    assert loss < ex.stop_loss
    net = IMPORT[ex.cell].from_torch(model.rnn)
    initial = model.initial_state.detach().double().numpy()[0]
    trials = valid["inputs"][:32].astype(np.float64)
    states = np.vstack([net.run(u, h0=initial) for u in trials])
    # the import runs as the model does, from its learnt initial state
    with torch.no_grad():
        hidden = model.double()(torch.from_numpy(trials))[1].numpy().reshape(-1, ex.hidden)
    model.float()
    np.testing.assert_allclose(states[:, : ex.hidden], hidden, rtol=0, atol=1e-12)
    noise = np.random.default_rng(0)
    rows = noise.choice(states.shape[0], STARTS, replace=False)
    return model, net, states[rows] + noise.normal(0, NOISE, (STARTS, net.size))


def _torch_free_run_ends(model: FlipFlopNet, starts: np.ndarray) -> np.ndarray:
    """(K, N): where PyTorch's own runs from `starts` at zero input are after RUN steps, as
    rnndyn's states: h, or (h, c)."""
    layer = model.rnn.double()
    hidden = layer.hidden_size
    zeros = torch.zeros(starts.shape[0], RUN, layer.input_size, dtype=torch.float64)
    start = torch.from_numpy(starts)[None]
    with torch.no_grad():
        if isinstance(layer, torch.nn.LSTM):
            _, (h, c) = layer(zeros, (start[..., :hidden], start[..., hidden:]))
            ends = torch.cat([h[0], c[0]], dim=1)
        else:
            ends = layer(zeros, start)[1][0]
    model.rnn.float()
    return ends.numpy()


def _corners(model: FlipFlopNet, states: np.ndarray) -> np.ndarray:
    """The readout of each state's h (K, 3)."""
    w = model.readout.weight.detach().double().numpy()
    b = model.readout.bias.detach().double().numpy()
    return states[:, : w.shape[1]] @ w.T + b


def test_every_attractor_free_runs_reach_is_in_the_skeleton(trained) -> None:
    model, net, starts = trained
    zero = np.zeros(3)
    sk = rd.skeleton(net, starts, inputs=zero, n_jobs=2)
    ends = _torch_free_run_ends(model, starts)
    gaps = np.max(np.abs(ends[:, None] - sk.attractor_states[None]), axis=2)
    assert np.max(np.min(gaps, axis=1)) < 1e-8
    # and the runs reach every one of them
    assert set(np.argmin(gaps, axis=1).tolist()) == set(range(len(sk)))
    # the memories: 8 stable fixed points, each at its own corner of the readout's cube
    assert len(sk) == 8 and np.all(sk.attractor_kind == "fixed")
    points = sk.fixed_points
    assert np.all(points.is_stable[sk.attractor_index]) and np.all(
        points.q[sk.attractor_index] < 1e-20
    )
    outputs = _corners(model, sk.attractor_states)
    np.testing.assert_allclose(np.abs(outputs), 1.0, atol=0.1)
    bits = np.sign(outputs)
    assert len({tuple(row) for row in bits.astype(int)}) == 8
    # no stable cycle besides: the cycles that free runs and Newton reach are all unstable
    cycles = rd.find_cycles(net, starts, inputs=zero, max_period=4)
    assert not np.any(cycles.is_stable)
    # the fixed-point search from the same starts finds the same stable points
    found = rd.find_fixed_points(net, starts, inputs=zero)
    stable = found.points[found.is_stable & (found.kind == "fixed")]
    assert stable.shape[0] == 8
    assert np.max(np.min(np.max(np.abs(stable[:, None] - sk.attractor_states[None]), 2), 1)) < 1e-8


def test_the_skeletons_graph_joins_memories_one_bit_apart(trained) -> None:
    model, net, starts = trained
    zero = np.zeros(3)
    sk = rd.skeleton(net, starts, inputs=zero, n_jobs=2)
    bits = np.sign(_corners(model, sk.attractor_states))
    cube = {(i, j) for i in range(8) for j in range(i + 1, 8) if np.sum(bits[i] != bits[j]) == 1}
    assert len(cube) == 12
    # the 3-cube of memories: a 1-saddle joins every pair one bit apart, and no other
    assert sk.joined() == cube and len(sk.unjoined()) == 0 and len(sk.edges) == 12
    # each edge's saddle has one unstable direction, and its branches (from the skeleton's
    # starts x ± 1e-3 d v), run by PyTorch, settle at the two memories it lists
    rows = sk.edges[:, 0]
    assert np.all(sk.fixed_points.unstable_dims[rows] == 1)
    ends = _torch_free_run_ends(
        model, branch_starts(sk.fixed_points, rows, sk.attractor_states, 1e-3)
    )
    gaps = np.max(np.abs(ends[:, None] - sk.attractor_states[None]), axis=2)
    assert np.max(np.min(gaps, axis=1)) < 1e-8
    reached = np.argmin(gaps, axis=1).reshape(2, -1).T
    for (_, a, b), pair in zip(sk.edges.tolist(), reached.tolist(), strict=True):
        assert sorted(pair) == sorted([a, b])
