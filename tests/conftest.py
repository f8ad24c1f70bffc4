"""Shared fixtures: small random networks and (cached) networks trained on the paper's task."""

from __future__ import annotations

import functools
import os

# PyTorch's CPU products (MKL) choose their code by the processor, and so round differently on
# different machines: FixedPointFinder's example, trained from torch seed 0, kept its memories
# on 2-cycles on an AMD machine and at fixed points on an Intel one with AVX-512. MKL's
# conditional numerical reproducibility on its AVX branch gives every x86-64 machine the same
# sums (on the Intel one, the AMD machine's 2-cycles). Read at MKL's first call: set before any
# test imports torch.
os.environ.setdefault("MKL_CBWR", "AVX")

import numpy as np
import pytest
import rnndyn as rd
from rnndyn.app.recipes import train_flipflop


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """max |actual - expected| / max |expected|."""
    return float(np.max(np.abs(actual - expected)) / np.max(np.abs(expected)))


@functools.cache
def trained_flipflop(bits: int, seed: int) -> tuple[rd.ESN, rd.TrainingHistory, rd.RunResult]:
    """A Table 1 network trained on the `bits`-bit flip-flop by the package's one recipe (the
    command line's and the study's), and its test run; the network continues from the end of
    its test run (cached: tests must not modify what this returns)."""
    trained = train_flipflop(bits, seed)
    trained.net.state = trained.test.states[-1]
    return trained.net, trained.history, trained.test


@pytest.fixture
def small_net() -> rd.ESN:
    """N = 60 with 2 inputs, 3 outputs and a bias."""
    return rd.ESN(60, 2, 3, bias=True, seed=11)
