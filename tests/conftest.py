"""Shared fixtures: small random networks and (cached) networks trained on the paper's task."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import rnndyn as rd

# Table 1 of the paper: N = 1000, g = 1.5, alpha = 1, tau = 10, dt = 1, train every 2 steps,
# 30,000 training and 5,000 test steps.
TABLE1 = {"n": 1000, "g": 1.5, "tau": 10.0, "dt": 1.0}
TRAIN_STEPS, TEST_STEPS = 30_000, 5_000


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """max |actual - expected| / max |expected|."""
    return float(np.max(np.abs(actual - expected)) / np.max(np.abs(expected)))


@functools.cache
def trained_flipflop(bits: int, seed: int) -> tuple[rd.ESN, rd.TrainingHistory, rd.RunResult]:
    """A Table 1 network trained on the `bits`-bit flip-flop with the task's defaults, and its
    test run (cached: tests must not modify what this returns)."""
    task = rd.tasks.FlipFlop(bits, seed=seed)
    net = rd.ESN(inputs=bits, outputs=bits, seed=seed, **TABLE1)
    history = rd.train_force(net, task.sample(TRAIN_STEPS), train_every=2, alpha=1.0)
    test = net.run(task.sample(TEST_STEPS))
    return net, history, test


@pytest.fixture
def small_net() -> rd.ESN:
    """N = 60 with 2 inputs, 3 outputs and a bias."""
    return rd.ESN(60, 2, 3, bias=True, seed=11)
