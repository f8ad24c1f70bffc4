"""Krylov-Schur for several operators at once (rnndyn/krylov.py) against LAPACK's full
eigendecompositions: the same leading eigenvalues, eigenvectors that satisfy A x = λ x, and
points whose results do not depend on the company they keep."""

import numpy as np
import pytest
import scipy.linalg
from rnndyn.fixedpoints.krylov import least_stable_batched


def _matrices(count: int, size: int, seed: int) -> np.ndarray:
    """Random non-normal matrices with a disk of eigenvalues and a few outliers, like the
    Jacobians of trained networks (-I + W D, W with a rank-one feedback part)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        W = rng.standard_normal((size, size)) * 1.2 / np.sqrt(size)
        W += np.outer(rng.uniform(-1, 1, size), rng.standard_normal(size)) * 3 / size
        out.append(-np.eye(size) + W * rng.uniform(0.2, 1.0, size))
    return np.array(out)


def _apply(matrices: np.ndarray):
    def apply(rows: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        return np.einsum("kij,kj->ki", matrices[rows], vectors)

    return apply


@pytest.mark.parametrize(("key", "name"), [(np.real, "rightmost"), (np.abs, "largest")])
def test_leading_eigenvalues_match_lapack(key, name):
    matrices = _matrices(4, 300, seed=3)
    if name == "largest":
        matrices = matrices + np.eye(300)  # multipliers of a map
    k = 8
    found = least_stable_batched(_apply(matrices), len(matrices), 300, k, key, tol=1e-10)
    for A, result in zip(matrices, found, strict=True):
        assert result is not None
        values, vectors = result
        exact = scipy.linalg.eigvals(A)
        exact = exact[np.argsort(-key(exact), kind="stable")][:k]
        # the same set (a conjugate pair straddling the k-th place may swap with its partner)
        assert np.allclose(np.sort(key(values))[::-1], key(exact), atol=1e-9)
        for value in exact[: k - 1]:
            assert np.min(np.abs(values - value)) < 1e-8
        residual = np.linalg.norm(A @ vectors - vectors * values, axis=0)
        assert np.all(residual < 1e-8) and np.allclose(np.linalg.norm(vectors, axis=0), 1)


def test_a_point_gets_the_same_result_alone_or_with_others():
    matrices = _matrices(3, 200, seed=4)
    together = least_stable_batched(_apply(matrices), 3, 200, 6, np.real)
    alone = least_stable_batched(_apply(matrices[1:2]), 1, 200, 6, np.real)
    assert together[1] is not None and alone[0] is not None
    assert np.array_equal(together[1][0], alone[0][0])
    assert np.array_equal(together[1][1], alone[0][1])


def test_an_invariant_start_or_no_convergence_gives_none():
    # the identity: the first product closes the Krylov space (a breakdown)
    eye = np.eye(50)[None]
    assert least_stable_batched(_apply(eye), 1, 50, 3, np.real) == [None]
    # too few restarts to converge
    matrices = _matrices(1, 300, seed=5)
    assert least_stable_batched(_apply(matrices), 1, 300, 10, np.real, max_restarts=0) == [None]
