"""The study's Table 1 flip-flop network, trained one way: by the command line, the study and
the tests alike."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import numpy as np

from ..networks.activations import Activation
from ..networks.esn import ESN, RunResult
from ..networks.training import TrainingHistory, train_force
from ..tasks import FlipFlop


@dataclass(frozen=True)
class Table1:
    """The paper's Table 1: N units, gain g, FORCE's α, τ and dt, an update every
    `train_every` steps, and the lengths of training and test."""

    n: int = 1000
    g: float = 1.5
    alpha: float = 1.0
    tau: float = 10.0
    dt: float = 1.0
    train_every: int = 2
    train_steps: int = 30_000
    test_steps: int = 5_000


TABLE1 = Table1()


@dataclass(frozen=True)
class TrainedFlipFlop:
    """A network trained on a flip-flop, its training history, the training targets (T, bits)
    (None where not kept) and its test run (from the trained state; the network's own state is
    left where training ended)."""

    net: ESN
    history: TrainingHistory
    train_targets: np.ndarray | None
    test: RunResult


def train_flipflop(
    bits: int,
    seed: int = 0,
    table: Table1 = TABLE1,
    activation: Activation = "tanh",
    snapshot_every: int | None = None,
    progress: bool = False,
    n_jobs: int | None = None,
    clock: Callable[[str], AbstractContextManager[object]] | None = None,
) -> TrainedFlipFlop:
    """Train a `table` network (Table 1 by default) on the `bits`-bit flip-flop by FORCE and
    run it on a test sample. The network, the task and its samples are all seeded by `seed`.

    snapshot_every, progress, n_jobs: passed to `train_force` (and n_jobs, progress to the test
    run). clock: a context-manager factory that times the stages "train" and "test".
    """
    timed = clock or (lambda stage: nullcontext())
    task = FlipFlop(bits, seed=seed)
    t = table
    net = ESN(t.n, bits, bits, g=t.g, tau=t.tau, dt=t.dt, activation=activation, seed=seed)
    sample = task.sample(t.train_steps)
    with timed("train"):
        history = train_force(
            net,
            sample,
            train_every=t.train_every,
            alpha=t.alpha,
            snapshot_every=snapshot_every,
            progress=progress,
            n_jobs=n_jobs,
        )
    with timed("test"):
        test = net.copy().run(task.sample(t.test_steps), progress=progress, n_jobs=n_jobs)
    return TrainedFlipFlop(net, history, sample[1], test)
