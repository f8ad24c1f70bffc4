"""FORCE's recursive least squares: P's invariants over long runs and its closed form."""

from __future__ import annotations

import numpy as np
import pytest
import rnndyn as rd
from conftest import relative_error
from rnndyn import reference

UPDATES = 30_000


def test_P_stays_symmetric_positive_definite_and_equals_its_closed_form():
    # RLS keeps P = (alpha I + sum over update steps of r r^T)^-1 exactly in exact arithmetic
    alpha = 2.0
    net = rd.ESN(120, 3, 3, seed=4)
    inputs, targets = rd.tasks.FlipFlop(3, seed=4).sample(UPDATES)
    history = rd.train_force(net, inputs, targets, train_every=1, alpha=alpha, record_states=True)
    P = history.inverse_correlation
    np.testing.assert_array_equal(P, P.T)
    np.linalg.cholesky(P)  # raises unless positive definite
    assert np.min(np.linalg.eigvalsh(P)) > 0
    rates = np.tanh(history.states)
    information = alpha * np.eye(120) + rates.T @ rates
    assert relative_error(np.linalg.inv(P), information) <= 1e-6
    # the plain full-matrix reference drifts from symmetry; the core cannot
    net2 = rd.ESN(120, 3, 3, seed=4)
    expected = reference.run_network(
        net2.recurrent,
        net2.feedback,
        net2.input,
        net2.readout,
        net2.state,
        inputs,
        targets,
        train_every=1,
        alpha=alpha,
    )
    assert relative_error(P, expected["P"]) <= 1e-8


def test_rls_readout_is_the_regularised_least_squares_solution():
    # with feedback clamped (teacher forcing) the rates do not depend on the readout, so after
    # training W_o solves min sum_t |W_o r_t - f_t|^2 + alpha |W_o|^2 over the update steps,
    # up to the a-priori/a-posteriori bookkeeping that RLS does exactly
    alpha = 1.0
    net = rd.ESN(80, 2, 2, seed=9)
    inputs, targets = rd.tasks.FlipFlop(2, seed=9).sample(3000)
    history = rd.train_force(
        net,
        inputs,
        targets,
        train_every=1,
        alpha=alpha,
        teacher_forcing=True,
        record_states=True,
    )
    rates = np.tanh(history.states)
    solution = np.linalg.solve(alpha * np.eye(80) + rates.T @ rates, rates.T @ targets).T
    assert relative_error(net.readout, solution) <= 1e-8


def test_updates_follow_the_train_every_schedule():
    net = rd.ESN(40, 1, 1, seed=1)
    inputs = np.zeros((30, 1))
    targets = np.ones((30, 1))  # never matched exactly, so every update moves W_o
    history = rd.train_force(net, inputs, targets, train_every=3, snapshot_every=1)
    changed = np.any(history.readouts[1:] != history.readouts[:-1], axis=(1, 2))
    # snapshot k is taken after step k - 1 (k steps done); updates end steps t with
    # (t + 1) % 3 == 0, i.e. after 3, 6, ... steps
    assert list(history.snapshot_steps[1:][changed]) == list(range(3, 31, 3))


def test_threads_give_the_same_numbers():
    # the units and P's rows are split into fixed parts, summed in a fixed order, so the
    # number of threads changes nothing, bit for bit; N = 203 leaves uneven parts
    results = []
    for n_jobs in (1, 2, 3, 8):
        net = rd.ESN(203, 2, 2, bias=True, seed=4)
        history = rd.train_force(
            net,
            rd.tasks.FlipFlop(2, seed=4).sample(1200),
            train_every=2,
            snapshot_every=500,
            n_jobs=n_jobs,
        )  # chunks: P carried over
        test = net.run(rd.tasks.FlipFlop(2, seed=5).sample(300), n_jobs=n_jobs)
        results.append((net.readout, history.inverse_correlation, history.errors, test.states))
    for other in results[1:]:
        for a, b in zip(results[0], other, strict=True):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="n_jobs must be >= 1"):
        rd.train_force(rd.ESN(20, 1, 1, seed=0), np.zeros((10, 1)), np.zeros((10, 1)), n_jobs=0)
