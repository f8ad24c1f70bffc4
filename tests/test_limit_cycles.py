"""Periodic orbits of continuous-time systems (find_cycles on a flow): the Hopf normal form (its
radius, period and multipliers in closed form), a saddle cycle, a two-unit rate network that
oscillates (as an ESN and as a plain Python system, against SciPy's solve_ivp), systems at
rest, and Sussillo & Abbott's FORCE generator (slow)."""

from __future__ import annotations

import numpy as np
import pytest
import rnndyn as rd
from free_runs import poincare_period
from scipy.integrate import solve_ivp

# the Hopf normal form dr/dt = r(MU - r²), dθ/dt = OMEGA: a stable cycle of radius √MU
MU, OMEGA = 0.25, 1.5


def hopf(growth: float = 0.0) -> rd.FunctionSystem:
    """The Hopf normal form in (x, y), and, with `growth`, a third direction z' = growth·z
    (with growth > 0 the cycle in z = 0 is a saddle)."""

    def velocity(s: np.ndarray) -> np.ndarray:
        x, y = s[0], s[1]
        r2 = x * x + y * y
        rotation = [MU * x - OMEGA * y - x * r2, OMEGA * x + MU * y - y * r2]
        return np.array(rotation + ([growth * s[2]] if growth else []))

    def jacobian(s: np.ndarray) -> np.ndarray:
        x, y = s[0], s[1]
        j = np.zeros((s.size, s.size))
        j[:2, :2] = [
            [MU - 3 * x * x - y * y, -OMEGA - 2 * x * y],
            [OMEGA - 2 * x * y, MU - x * x - 3 * y * y],
        ]
        if growth:
            j[2, 2] = growth
        return j

    return rd.FunctionSystem(velocity, jacobian)


def test_hopf_normal_form_radius_period_and_multipliers() -> None:
    starts = np.random.default_rng(0).normal(0, 1, (16, 2))
    cycles = rd.find_cycles(hopf(), starts, max_period=10)
    # every start but one at the origin goes to the one cycle: it counts once
    assert len(cycles) == 1 and not cycles.discrete_time
    period = 2 * np.pi / OMEGA
    assert cycles.period[0] == pytest.approx(period, rel=1e-8)
    np.testing.assert_allclose(np.linalg.norm(cycles.points[0], axis=1), np.sqrt(MU), rtol=1e-7)
    assert cycles.lengths[0] == cycles.points[0].shape[0] == 128
    mu = cycles.multipliers[0]
    trivial = cycles.trivial[0]
    assert abs(mu[trivial] - 1) < 1e-7
    assert mu[1 - trivial] == pytest.approx(np.exp(-2 * MU * period), rel=1e-6)
    assert cycles.is_stable[0] and cycles.unstable_dims[0] == 0
    assert cycles.residual[0] <= 1e-8
    assert "period 4.18879: stable" in cycles.summary()


def test_cycles_described_for_summary_json() -> None:
    from rnndyn.app.reports import describe_cycles

    cycles = rd.find_cycles(hopf(), np.ones((1, 2)), max_period=10)
    (described,) = describe_cycles(cycles)
    period = 2 * np.pi / OMEGA
    assert described["period"] == pytest.approx(period, rel=1e-8)
    assert described["stable"] and described["unstable_dims"] == 0
    # the trivial multiplier left out: the one left is e^(-2 mu T)
    assert described["leading_multipliers"] == [pytest.approx(np.exp(-2 * MU * period), 1e-6)]
    assert describe_cycles(None) == []


def test_saddle_cycle_has_one_unstable_multiplier() -> None:
    # starts in z = 0 stay there, and reach the cycle; off it, z grows as e^(0.3 t)
    starts = np.random.default_rng(1).normal(0, 1, (8, 3))
    starts[:, 2] = 0.0
    cycles = rd.find_cycles(hopf(growth=0.3), starts, max_period=10)
    assert len(cycles) == 1 and not cycles.is_stable[0] and cycles.unstable_dims[0] == 1
    period = 2 * np.pi / OMEGA
    mu = np.sort(np.abs(cycles.multipliers[0]))
    np.testing.assert_allclose(mu, [np.exp(-2 * MU * period), 1.0, np.exp(0.3 * period)], 1e-6)


def rotation_weights(gain: float = 2.0, angle: float = np.pi / 4) -> np.ndarray:
    """gain · R(angle): the rest state x = 0 of dx/dt = -x + W tanh(x) is an unstable focus
    (gain·cos(angle) > 1), and tanh's saturation bounds the runs: a limit cycle."""
    c, s = np.cos(angle), np.sin(angle)
    return gain * np.array([[c, -s], [s, c]])


def oscillating_esn() -> rd.ESN:
    """Two units, W = rotation_weights(), tau 2 (one per unit), dt 0.1, no outputs' feedback."""
    net = rd.ESN.from_weights(
        rotation_weights(), np.zeros((2, 1)), np.zeros((2, 0)), np.zeros((1, 2))
    )
    net.tau, net.dt = np.array([2.0, 2.0]), 0.1
    return net


def test_oscillating_esn_matches_a_python_system_and_solve_ivp() -> None:
    weights, tau = rotation_weights(), np.array([2.0, 2.0])
    net = oscillating_esn()

    def rate(_: float, x: np.ndarray) -> np.ndarray:
        return (-x + weights @ np.tanh(x)) / tau

    python = rd.FunctionSystem(
        lambda x: rate(0.0, x),
        lambda x: (-np.eye(2) + weights * (1 - np.tanh(x) ** 2)) / tau[:, None],
    )
    starts = np.random.default_rng(2).normal(0, 1, (6, 2))
    ours, theirs = rd.find_cycles(net, starts), rd.find_cycles(python, starts, max_period=400)
    assert len(ours) == len(theirs) == 1 and ours.is_stable[0]
    assert ours.period[0] == pytest.approx(theirs.period[0], rel=1e-7)
    assert ours.period[0] == pytest.approx(
        poincare_period(rate, ours.points[0][0], ours.period[0]), rel=1e-7
    )
    # every sample lies on the orbit: the ODE carries it T/128 on to the next
    step = ours.period[0] / ours.lengths[0]
    moved = solve_ivp(rate, (0, step), ours.points[0][5], "DOP853", rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(moved.y[:, -1], ours.points[0][6], atol=1e-7)


def test_same_orbit_whatever_the_threads() -> None:
    # 40 units: the rotation pair among weak ones; its products split over threads
    weights = np.zeros((40, 40))
    weights[:2, :2] = rotation_weights()
    weights[2:, 2:] = 0.3 * np.random.default_rng(5).normal(0, 1 / np.sqrt(38), (38, 38))
    net = rd.ESN.from_weights(weights, np.zeros((40, 1)), np.zeros((40, 0)), np.zeros((1, 40)))
    starts = np.random.default_rng(6).normal(0, 1, (3, 40))
    one, two = (rd.find_cycles(net, starts, n_jobs=n) for n in (1, 2))
    assert len(one) == 1
    for name in ("period", "states", "multipliers", "residual"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name))


def test_skeleton_takes_a_limit_cycle_as_its_attractor(tmp_path) -> None:
    net = oscillating_esn()
    starts = np.random.default_rng(4).normal(0, 1, (16, 2))
    sk = rd.skeleton(net, starts)
    # the origin, an unstable focus, and the cycle around it: the one attractor
    assert list(sk.attractor_kind) == ["cycle"] and sk.attractor_index.tolist() == [-1]
    assert "cycles among the attractors: periods 12.83" in sk.summary()
    assert len(sk.fixed_points) == 1 and sk.fixed_points.unstable_dims.tolist() == [2]
    cycles = rd.find_cycles(net, starts)
    assert sk.stable_cycles is not None
    assert sk.stable_cycles.period[0] == pytest.approx(cycles.period[0], rel=1e-7)
    # the attractor's state is on the Euler network's cycle: O(dt/tau) from the ODE's
    net.state = sk.attractor_states[0]
    run = net.run(400).states
    gap = np.min(np.linalg.norm(run[:, None] - cycles.points[0][None], axis=2), axis=1)
    assert np.max(gap) < 0.1 * np.max(np.linalg.norm(cycles.points[0], axis=1))
    loaded = rd.Skeleton.load(sk.save(tmp_path / "skeleton.npz"))
    assert loaded.stable_cycles is not None
    np.testing.assert_array_equal(loaded.stable_cycles.states, sk.stable_cycles.states)


def test_systems_at_rest_have_no_cycles() -> None:
    net = rd.ESN(30, 1, 1, g=0.5, seed=0)  # a contracting reservoir: every run to rest
    cycles = rd.find_cycles(net, np.random.default_rng(3).normal(0, 1, (4, 30)))
    assert len(cycles) == 0 and not cycles.discrete_time and cycles.states.shape == (0, 30)
    python = rd.FunctionSystem(lambda x: -x, lambda x: -np.eye(x.size))
    assert len(rd.find_cycles(python, np.ones((2, 3)))) == 0


def test_flow_cycles_save_and_load(tmp_path) -> None:
    cycles = rd.find_cycles(hopf(), np.ones((1, 2)), max_period=10)
    loaded = rd.Cycles.load(cycles.save(tmp_path / "cycles.npz"))
    assert loaded.period.dtype == np.float64 and not loaded.discrete_time
    np.testing.assert_array_equal(loaded.states, cycles.states)
    np.testing.assert_array_equal(loaded.trivial, cycles.trivial)
    assert loaded.summary() == cycles.summary()


def test_flow_arguments_name_themselves() -> None:
    net = rd.ESN(20, 2, 1, seed=0)
    starts = np.zeros((2, 20))
    with pytest.raises(ValueError, match="max_period"):
        rd.find_cycles(net, starts, max_period=0.0)
    with pytest.raises(ValueError, match="tol"):
        rd.find_cycles(net, starts, tol=-1.0)
    with pytest.raises(ValueError, match="inputs"):
        rd.find_cycles(net, starts, inputs=np.zeros(3))
    with pytest.raises(ValueError, match="settle_steps"):
        rd.find_cycles(net, starts, settle_steps=0)


@pytest.mark.slow
def test_sussillo_abbott_generator_holds_a_stable_limit_cycle() -> None:
    # Sussillo & Abbott 2009: N = 1000, g = 1.5, p = 0.1, dt/tau = 0.1, update every 2 steps
    task = rd.tasks.SumOfSines()
    net = rd.ESN(1000, 0, 1, g=1.5, p=0.1, tau=1.0, dt=0.1, seed=0)
    rd.train_force(net, task.sample(14_400), train_every=2)
    test = net.run(task.sample(2_400, start=14_400))
    cycles = rd.find_cycles(net, test.states[-1:])
    assert len(cycles) == 1 and cycles.is_stable[0]
    # the target's period is 120 time units; the ODE's differs from the Euler network's by
    # O(dt/tau)
    assert abs(cycles.period[0] - 120.0) < 0.05 * 120.0
    weights = net.closed_loop_matrix()

    def rate(_: float, x: np.ndarray) -> np.ndarray:
        return -x + weights @ np.tanh(x)  # tau = 1

    independent = poincare_period(rate, cycles.points[0][0], cycles.period[0])
    assert cycles.period[0] == pytest.approx(independent, rel=1e-3)
    mu = cycles.multipliers[0]
    others = np.delete(mu, cycles.trivial[0])
    assert abs(mu[cycles.trivial[0]] - 1) < 1e-4 and np.all(np.abs(others) < 1)
