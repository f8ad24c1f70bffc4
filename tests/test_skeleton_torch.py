"""The skeleton of a tanh RNN trained with PyTorch (BPTT on a 3-bit flip-flop, as
FixedPointFinder's example trains one): every fixed point that a long Adam search (the method
FixedPointFinder uses) reaches from many noisy starts is in the skeleton."""

from __future__ import annotations

import numpy as np
import pytest
import rnndyn as rd
import torch

BITS, UNITS = 3, 16
ITERATIONS = 300  # Adam steps of BPTT: a brief training (two memories and a saddle)


def _trained_rnn(seed: int = 0) -> tuple[rd.RNN, np.ndarray]:
    """A 16-unit tanh RNN with a linear readout, trained by Adam through time on flip-flop
    sequences; returns it as an rd.RNN and the states of a test sequence (T, 16)."""
    torch.manual_seed(seed)
    task = rd.tasks.FlipFlop(BITS, seed=seed)
    rnn = torch.nn.RNN(BITS, UNITS, batch_first=True, dtype=torch.float64)
    readout = torch.nn.Linear(UNITS, BITS, dtype=torch.float64)
    optimiser = torch.optim.Adam([*rnn.parameters(), *readout.parameters()], lr=1e-2)
    for _ in range(ITERATIONS):
        batch = [task.sample(150) for _ in range(16)]
        inputs = torch.tensor(np.stack([u for u, _ in batch]))
        targets = torch.tensor(np.stack([f for _, f in batch]))
        states, _ = rnn(inputs)
        loss = torch.mean((readout(states) - targets) ** 2)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    imported = rd.RNN.from_torch(rnn)
    return imported, imported.run(task.sample(2_000)[0])


@pytest.mark.slow
def test_every_point_a_long_adam_search_finds_is_in_the_skeleton() -> None:
    rnn, states = _trained_rnn()
    starts = rd.sample_states(states, 512, noise=0.5, seed=1)  # FixedPointFinder's way
    zero = np.zeros(BITS)
    adam = rd.find_fixed_points(
        rnn, starts, inputs=zero, method="adam", max_iter=20_000, kinds=("fixed", "slow")
    )
    reached = adam.points[adam.q <= 1e-12]
    assert len(reached) >= 3  # the trained network has its memories' points and saddles
    sk = rd.skeleton(rnn, starts, inputs=zero, n_jobs=2)
    # Adam stops short of q = 0: each of its points lies within 1e-4 of an exact zero
    distance = np.linalg.norm(reached[:, None] - sk.fixed_points.points[None], axis=2)
    assert np.all(distance.min(axis=1) < 1e-4), np.sort(distance.min(axis=1))[-3:]
    assert np.all(sk.fixed_points.q <= 1e-20)
