"""Free runs (rnndyn.dynamics.flow): an ESN's runs go through the core's free_run, which must
be the forward-Euler steps of its closed loop at the constant input, written here in NumPy
from docs/mathematics.md (The network), the same for a state alone or in a batch and on any
number of threads; `settle` checks every few steps and stops at max_steps exactly."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import rnndyn as rd
from rnndyn.dynamics.flow import Flow, settle


def _network(dtype: type = np.float64) -> rd.ESN:
    """N = 60, 2 inputs, 3 outputs fed back, a bias and per-unit time constants, with a
    readout as if trained."""
    tau = np.random.default_rng(3).uniform(2.0, 20.0, 60)
    net = rd.ESN(60, 2, 3, bias=0.3, tau=tau, seed=5, dtype=dtype)
    net.readout = np.random.default_rng(4).normal(0, 0.3, (3, 60)).astype(dtype)
    return net


def _euler(net: rd.ESN, u: np.ndarray, x: np.ndarray, steps: int) -> tuple[np.ndarray, ...]:
    """`steps` steps x <- x + (dt/τ) ⊙ (-x + W_c tanh(x) + B u + b) from each row of x, in
    float64 from the network's weights: the states, those before the last step, F there."""
    f64 = np.float64
    w_c = net.recurrent.astype(f64) + net.feedback.astype(f64) @ net.readout.astype(f64)
    drive = net.input.astype(f64) @ u + np.asarray(net.bias, dtype=f64)
    leak = net.dt / np.asarray(net.tau, dtype=f64)
    for _ in range(steps):
        previous, velocity = x, -x + np.tanh(x) @ w_c.T + drive
        x = x + leak * velocity
    return x, previous, velocity


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_an_esns_free_runs_are_euler_steps_of_its_closed_loop(dtype: type) -> None:
    net, u = _network(dtype), np.array([0.4, -0.7])
    starts = np.random.default_rng(6).normal(0, 1.0, (5, 60))
    flow = Flow.of(net, net.core_system(u), n_jobs=2, inputs=u)
    assert flow.advance_rows is not None  # the core's free runs
    for got, expected in zip(flow.advance(starts, 7), _euler(net, u, starts, 7), strict=True):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    after, velocity = flow.step(starts)
    np.testing.assert_allclose(after, _euler(net, u, starts, 1)[0], rtol=0, atol=1e-13)
    np.testing.assert_allclose(velocity, _euler(net, u, starts, 1)[2], rtol=0, atol=1e-13)


def test_free_runs_do_not_depend_on_the_batch_or_the_threads() -> None:
    net = _network()
    net.recurrent = net.recurrent.astype(np.float32).astype(np.float64)  # W_r read as floats
    starts = np.random.default_rng(7).normal(0, 1.0, (9, 60))
    one = Flow.of(net, net.core_system(), n_jobs=1).advance(starts, 40)[0]
    for n_jobs in (2, 3):
        flow = Flow.of(net, net.core_system(), n_jobs=n_jobs)
        assert np.array_equal(flow.advance(starts, 40)[0], one)
        assert np.array_equal(flow.advance(starts[4:5], 40)[0], one[4:5])


def test_settle_checks_every_few_steps_and_stops_at_max_steps() -> None:
    net = _network()
    starts = np.random.default_rng(8).normal(0, 1.0, (4, 60))
    far = np.full((1, 60), 100.0)  # an attractor no run reaches
    settled = settle(Flow.of(net, net.core_system()), starts, far, np.ones(1), max_steps=23)
    assert np.all(settled.label == -1) and np.all(settled.steps == 23)
    ends, before, velocity = _euler(net, np.zeros(2), starts, 23)
    np.testing.assert_allclose(settled.ends, ends, rtol=0, atol=1e-12)
    np.testing.assert_allclose(settled.speed, np.linalg.norm(velocity, axis=1), rtol=1e-12)
    # the slowest state is one of the checked ones (steps 4, 9, ..., 19, 22 before their step)
    checked = [_euler(net, np.zeros(2), starts, s)[0] for s in (4, 9, 14, 19, 22)]
    gaps = [np.max(np.abs(settled.slowest - c), axis=1) for c in checked]
    assert np.all(np.min(gaps, axis=0) <= 1e-12)
    # the same as stepping F one step at a time through the closed loop's W_c
    stepped = dataclasses.replace(Flow.of(net, net.core_system()), advance_rows=None)
    by_steps = settle(stepped, starts, far, np.ones(1), max_steps=23)
    np.testing.assert_allclose(by_steps.ends, settled.ends, rtol=0, atol=1e-12)
    assert np.array_equal(by_steps.steps, settled.steps)
