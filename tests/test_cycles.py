"""Cycles of maps (find_cycles) on maps whose cycles are known: decoupled units that flip sign
each step (every 2-cycle, its index and multipliers in closed form), a cyclic permutation
(3-cycles), a contraction (none); checked against a plain Python system and free runs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import rnndyn as rd

# decoupled units: k that flip, h ↦ tanh(-w h) with w > 1 (0 unstable, a 2-cycle ±a), among
# contracting ones (h ↦ tanh(w h), |w| < 1: only 0), in shuffled positions
FLIP, WEAK, UNITS = 2.0, 0.5, 12


def flipping_units(k: int, seed: int = 0) -> tuple[rd.RNN, np.ndarray]:
    """A map of UNITS decoupled units, k of them flipping; and their positions."""
    rng = np.random.default_rng(seed)
    strong = rng.choice(UNITS, k, replace=False)
    w = np.full(UNITS, WEAK)
    w[strong] = -FLIP
    return rd.RNN(np.diag(w)), strong


def fixed_point_of_tanh(gain: float) -> float:
    """a > 0 with a = tanh(gain a), by fixed-point iteration."""
    a = 1.0
    for _ in range(200):
        a = np.tanh(gain * a)
    return float(a)


@pytest.mark.parametrize("k", [3, 4])
def test_flipping_units_give_every_2_cycle_with_its_index(k: int) -> None:
    rnn, strong = flipping_units(k)
    cycles = rd.find_cycles(rnn, np.random.default_rng(1).normal(0, 1.5, (64, UNITS)))
    # the 2-cycles {h, -h}: each flipping unit at 0 or ±a, not all at 0; the others at 0
    assert len(cycles) == (3**k - 1) // 2 and np.all(cycles.period == 2)
    a = fixed_point_of_tanh(FLIP)
    patterns = set()
    for orbit, dims, mu in zip(
        cycles.points, cycles.unstable_dims, cycles.multipliers, strict=True
    ):
        np.testing.assert_allclose(orbit[1], -orbit[0], atol=1e-9)
        values = orbit[0, strong]
        zero = np.abs(values) < 1e-9
        np.testing.assert_allclose(np.abs(values[~zero]), a, rtol=1e-10)
        patterns.add(tuple(np.sign(np.round(values, 9)).astype(int)))
        # f² per unit: a unit at 0 multiplies by w², one on its cycle by (w (1 - a²))², a weak
        # one by 0.5²: the index is the number of flipping units at 0
        assert dims == zero.sum()
        expected = np.sort(
            [FLIP**2] * zero.sum()
            + [(FLIP * (1 - a**2)) ** 2] * (~zero).sum()
            + [WEAK**2] * (UNITS - k)
        )[::-1]
        np.testing.assert_allclose(np.sort(np.abs(mu))[::-1], expected[: mu.size], rtol=1e-8)
    assert len(patterns) == len(cycles)
    assert int(cycles.is_stable.sum()) == 2 ** (k - 1)
    assert np.max(cycles.residual) < 1e-9


def test_large_maps_solve_newton_by_gmres_like_the_dense_solve(monkeypatch) -> None:
    # 240 units (beyond the dense monodromy's 200): 2 flipping among weak ones, weakly coupled
    rng = np.random.default_rng(3)
    w = np.diag(np.where(np.arange(240) < 2, -FLIP, WEAK)) + rng.normal(0, 0.002, (240, 240))
    starts = rng.normal(0, 1.5, (12, 240))
    krylov = rd.find_cycles(rd.RNN(w), starts, max_period=2)
    monkeypatch.setattr(rd.dynamics.cycles, "_DENSE", 1000)
    dense = rd.find_cycles(rd.RNN(w), starts, max_period=2)
    # the 2-cycles: each flipping unit at 0 or on its cycle, not both at 0
    assert len(krylov) == len(dense) == 4 and np.all(krylov.period == 2)
    np.testing.assert_allclose(krylov.states, dense.states, atol=1e-9)
    np.testing.assert_array_equal(krylov.unstable_dims, dense.unstable_dims)
    np.testing.assert_allclose(np.abs(krylov.multipliers), np.abs(dense.multipliers), rtol=1e-6)
    assert sorted(krylov.unstable_dims.tolist()) == [0, 0, 1, 1]
    assert np.max(krylov.residual) < 1e-9


def test_a_cyclic_permutation_has_its_3_cycles() -> None:
    # h ↦ tanh(g P h), P the cyclic shift: f³ acts on each coordinate as s³, s = tanh(g ·),
    # so the 3-periodic points have every coordinate at a fixed point of s (0, ±b): the 27
    # such points less the 3 fixed points (all coordinates equal) make 8 3-cycles, and f³'s
    # multipliers are s'³ at each coordinate: g³ at 0, (g (1 - b²))³ at ±b
    gain = 2.0
    rnn = rd.RNN(gain * np.roll(np.eye(3), 1, axis=0))
    cycles = rd.find_cycles(rnn, np.random.default_rng(2).normal(0, 1.5, (64, 3)), max_period=4)
    assert len(cycles) == 8 and np.all(cycles.period == 3)
    b = fixed_point_of_tanh(gain)
    orbits = set()
    for orbit, mu, dims in zip(
        cycles.points, cycles.multipliers, cycles.unstable_dims, strict=True
    ):
        levels = np.where(np.abs(orbit) < 1e-9, 0.0, np.sign(orbit) * b)
        np.testing.assert_allclose(orbit, levels, atol=1e-10)
        np.testing.assert_allclose(orbit[1], np.roll(orbit[0], 1), atol=1e-9)  # f = shift
        slopes = np.where(levels[0] == 0, gain**3, (gain * (1 - b**2)) ** 3)
        np.testing.assert_allclose(np.sort(np.abs(mu)), np.sort(slopes), rtol=1e-8)
        assert dims == np.sum(levels[0] == 0)
        orbits.add(frozenset(tuple(np.sign(np.round(h, 9)).astype(int)) for h in orbit))
    every = {p for p in itertools.product([-1, 0, 1], repeat=3) if len(set(p)) > 1}
    assert set().union(*orbits) == every


def test_a_contraction_has_no_cycles() -> None:
    rng = np.random.default_rng(3)
    w = rng.normal(size=(8, 8))
    w *= 0.9 / np.linalg.norm(w, 2)  # |f(h) - f(g)| <= 0.9 |h - g|: one fixed point, no cycle
    cycles = rd.find_cycles(rd.RNN(w, bias=rng.normal(0, 0.3, 8)), rng.normal(0, 1, (32, 8)))
    assert len(cycles) == 0 and cycles.states.shape == (0, 8) and cycles.points == []


def test_a_python_system_gives_the_same_cycles() -> None:
    rnn, _ = flipping_units(3)
    w = rnn.recurrent

    def velocity(h: np.ndarray) -> np.ndarray:
        return np.tanh(w @ h) - h

    def jacobian(h: np.ndarray) -> np.ndarray:
        return (1 - np.tanh(w @ h) ** 2)[:, None] * w - np.eye(h.size)

    system = rd.FunctionSystem(velocity, jacobian, discrete_time=True)
    starts = np.random.default_rng(1).normal(0, 1.5, (64, UNITS))
    ours, theirs = rd.find_cycles(rnn, starts), rd.find_cycles(system, starts)
    np.testing.assert_array_equal(ours.period, theirs.period)
    np.testing.assert_allclose(ours.states, theirs.states, atol=1e-10)
    np.testing.assert_array_equal(ours.unstable_dims, theirs.unstable_dims)


def test_stable_cycles_attract_free_runs() -> None:
    rnn, _ = flipping_units(3)
    cycles = rd.find_cycles(rnn, np.random.default_rng(1).normal(0, 1.5, (64, UNITS)))
    rng = np.random.default_rng(4)
    for orbit in (p for p, stable in zip(cycles.points, cycles.is_stable, strict=True) if stable):
        states = rnn.run(np.zeros((400, 0)), h0=orbit[0] + rng.normal(0, 0.05, UNITS))
        assert np.min(np.max(np.abs(states[-1] - orbit), axis=1)) < 1e-8


def test_cycles_save_and_load(tmp_path) -> None:
    rnn, _ = flipping_units(3)
    cycles = rd.find_cycles(rnn, np.random.default_rng(1).normal(0, 1.5, (16, UNITS)))
    loaded = rd.Cycles.load(cycles.save(tmp_path / "cycles"))
    for a, b in zip(loaded.points, cycles.points, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.multipliers, cycles.multipliers)
    assert loaded.summary() == cycles.summary() and "period 2" in cycles.summary()


def test_bad_arguments_name_themselves() -> None:
    rnn, _ = flipping_units(3)
    starts = np.zeros((4, UNITS))
    with pytest.raises(ValueError, match="max_period"):
        rd.find_cycles(rnn, starts, max_period=1)
    with pytest.raises(ValueError, match="initial_states"):
        rd.find_cycles(rnn, np.zeros((4, 3)))


def test_same_cycles_whatever_the_threads() -> None:
    # 160 units, 96 starts: enough rows and work (K N² >= 2e6) that steps split over threads
    rng = np.random.default_rng(5)
    w = np.diag(np.where(np.arange(160) < 3, -FLIP, WEAK)) + rng.normal(0, 0.01, (160, 160))
    starts = rng.normal(0, 1.5, (96, 160))
    one, two = (rd.find_cycles(rd.RNN(w), starts, max_period=2, n_jobs=n) for n in (1, 2))
    assert len(one) >= 1
    np.testing.assert_array_equal(one.states, two.states)
    np.testing.assert_array_equal(one.multipliers, two.multipliers)
