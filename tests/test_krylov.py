"""The core's batched Krylov-Schur (`least_stable`, krylov_schur.hpp) against LAPACK's full
eigendecompositions: the same leading eigenvalues, right eigenvectors with A x = λ x and, from
the transposed operator, left ones with wᴴ A = λ wᴴ; for both systems, with per-unit time
scales; the same results for any n_jobs; failures reported; bad arguments refused."""

import numpy as np
import pytest
import rnndyn as rd
import scipy.linalg
from rnndyn import _core

N = 300


def _weights(size: int, seed: int) -> np.ndarray:
    """A random non-normal W with a disk of eigenvalues and a few outliers, like a trained
    network's (a rank-one feedback part)."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((size, size)) * 1.3 / np.sqrt(size)
    return W + np.outer(rng.uniform(-1, 1, size), rng.standard_normal(size)) * 3 / size


def _closed_loop(W: np.ndarray) -> _core.ClosedLoopSystem:
    size = len(W)
    return _core.ClosedLoopSystem(
        W, np.zeros(size), "tanh", np.zeros((size, 0)), np.zeros((0, size))
    )


def _states(count: int, size: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.8, (count, size))


def _check(system, states, k, growth, shift=0.0, scale=None):
    """Right and left eigenpairs from least_stable against scipy.linalg.eig of the dense J."""
    key = np.real if growth == "real" else np.abs
    size = states.shape[1]
    right = system.least_stable(states, k, growth=growth, shift=shift, scale=scale)
    left = system.least_stable(states, k, transpose=True, growth=growth, shift=shift, scale=scale)
    assert right[0].shape == (len(states), k) and right[1].shape == (len(states), size, k)
    assert right[2].dtype == bool and np.all(right[2]) and np.all(left[2])
    for p, x in enumerate(states):
        J = system.jacobian(x) if scale is None else scale[:, None] * system.jacobian(x)
        A = J + shift * np.eye(size)
        exact = scipy.linalg.eigvals(A)
        exact = exact[np.argsort(-key(exact), kind="stable")][:k]
        for values, vectors, matrix in (
            (right[0][p], right[1][p], A),
            (left[0][p], left[1][p], A.T),
        ):
            # the same set (a pair straddling the k-th place may swap with its partner)
            np.testing.assert_allclose(np.sort(key(values))[::-1], key(exact), atol=1e-9)
            for value in exact[: k - 1]:
                assert np.min(np.abs(values - value)) < 1e-8
            np.testing.assert_allclose(np.linalg.norm(vectors, axis=0), 1)
            residual = np.linalg.norm(matrix @ vectors - vectors * values, axis=0)
            assert np.all(residual <= 1e-8 * np.maximum(1, np.abs(values)))
        # the conjugated right vectors of Aᵀ are A's left ones: wᴴ A = λ wᴴ
        w = left[1][p].conj()
        residual = np.linalg.norm(w.conj().T @ A - left[0][p][:, None] * w.conj().T, axis=1)
        assert np.all(residual <= 1e-8 * np.maximum(1, np.abs(left[0][p])))


def test_flows_match_lapack_with_and_without_time_scales():
    system = _closed_loop(_weights(N, 3))
    states = _states(4, N, 4)
    _check(system, states, 8, "real")
    scale = np.random.default_rng(5).uniform(0.5, 2.0, N)
    _check(system, states, 6, "real", scale=scale / scale.mean())


def test_maps_match_lapack_by_modulus():
    rng = np.random.default_rng(6)
    system = rd.RNN(_weights(N, 7), bias=rng.normal(0, 0.3, N)).core_system()
    _check(system, _states(3, N, 8) * 0.5, 8, "modulus", shift=1.0)


@pytest.mark.slow
def test_a_trained_flipflop_network_matches_lapack():
    # N = 1000 trained on the 3-bit flip-flop, at the fastest states of its test run (where it
    # switches: saddles' unstable directions nearby) and at a resting state
    from conftest import trained_flipflop

    net, _, test = trained_flipflop(3, 1)
    states = np.vstack([rd.fastest_states(net, test.states, 2), test.states[-1:]])
    _check(net.core_system(), states, 10, "real")


def test_widening_goes_on_until_a_stable_eigenvalue_is_among_them():
    # J = -I + W D: at the origin a cap of W's disk (radius 1.3) lies beyond Re = 1, and fewer
    # eigenvalues are unstable as D shrinks away from it: 18, 10, 5 and none here
    system = _closed_loop(_weights(N, 13))
    states = _states(1, N, 14) * np.array([[0.0], [0.45], [0.6], [0.8]])
    k, limit = 4, 32
    values, vectors, converged, found = system.least_stable(
        states, k, widen_to=limit, widen_above=0.0
    )
    assert values.shape == (4, limit) and vectors.shape == (4, N, limit) and np.all(converged)
    counts = []
    for p, x in enumerate(states):
        exact = scipy.linalg.eigvals(system.jacobian(x))
        unstable = int(np.sum(exact.real > 0))
        counts.append(unstable)
        # doubled from k while every one found was unstable
        expected = k
        while expected <= unstable and expected < limit:
            expected = min(2 * expected, limit)
        assert found[p] == expected
        exact = exact[np.argsort(-exact.real, kind="stable")][: found[p]]
        got = values[p, : found[p]]
        np.testing.assert_allclose(np.sort(got.real)[::-1], exact.real, atol=1e-9)
        for value in exact[: found[p] - 1]:
            assert np.min(np.abs(got - value)) < 1e-8
        assert not np.any(values[p, found[p] :]) and not np.any(vectors[p, :, found[p] :])
        v = vectors[p, :, : found[p]]
        residual = np.linalg.norm(system.jacobian(x) @ v - v * got, axis=0)
        assert np.all(residual <= 1e-8 * np.maximum(1, np.abs(got)))
    # every stage is reached, the last (32) with a basis larger than ncv = 60
    assert counts == [18, 10, 5, 0] and found.tolist() == [32, 16, 8, 4]


def test_results_are_bit_identical_for_any_threads_and_call():
    system = _closed_loop(_weights(200, 9))
    states = np.random.default_rng(10).normal(0, 0.8, (19, 200))
    one = system.least_stable(states, 6, n_jobs=1)
    two = system.least_stable(states, 6, n_jobs=2)
    again = system.least_stable(states, 6, n_jobs=2)
    for a, b, c in zip(one, two, again, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(b, c)


def test_a_breakdown_or_no_convergence_is_reported():
    # W = 0: J = -I, and the first product closes the Krylov space (a breakdown)
    values, vectors, converged, found = _closed_loop(np.zeros((50, 50))).least_stable(
        np.zeros((2, 50)), 3
    )
    assert not np.any(converged) and not np.any(values) and not np.any(vectors)
    assert not np.any(found)
    # too few restarts to converge
    system = _closed_loop(_weights(N, 11))
    assert not system.least_stable(_states(1, N, 12), 10, max_restarts=0)[2][0]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"k": 0}, "k must be"),
        ({"k": 49}, "k must be"),
        ({"states": np.zeros((2, 7))}, "states must have N columns"),
        ({"scale": np.ones(3)}, "scale must have length N"),
        ({"growth": "imaginary"}, "growth must be"),
        ({"tol": 0.0}, "tol must be"),
        ({"max_restarts": -1}, "max_restarts must be"),
        ({"counts": [1, 4]}, "counts must be"),
        ({"counts": [1]}, "counts must have one entry per state"),
        ({"widen_to": -1}, "widen_to must be"),
    ],
)
def test_bad_arguments_are_refused(arguments, message):
    call = {"states": np.zeros((2, 50)), "k": 3, **arguments}
    with pytest.raises(ValueError, match=message):
        _closed_loop(np.eye(50)).least_stable(**call)
