"""A batched Newton-GMRES fixed-point search in plain NumPy: the baseline a NumPy user would
write for many starting states at once (docs/mathematics.md, Finding the points).

Every Newton step solves J(x) d = -F(x) for all active states together by GMRES(m) without
restarts, whose Jacobian products for the whole batch are one matrix-matrix product
(J v = -v + W_c (φ'(x) ⊙ v), batched as -V + (φ'(X) ⊙ V) W_cᵀ), then backtracks (halving the
step up to 10 times) until q = ½|F|² decreases. States with q <= tol_q stop; no slow points:
a state that does not get there is left unconverged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NewtonResult:
    """points (K, N), q (K,) and Newton iterations (K,) of each starting state."""

    points: np.ndarray
    q: np.ndarray
    iterations: np.ndarray


def velocity(states: np.ndarray, closed_loop: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """F(X) = -X + φ(X) W_cᵀ + offset for states X (K, N), φ = tanh."""
    return np.tanh(states) @ closed_loop.T + offset - states


def gmres_batch(
    closed_loop: np.ndarray, slopes: np.ndarray, rhs: np.ndarray, krylov_dim: int
) -> np.ndarray:
    """Solve (-I + W_c diag(slopes_k)) d_k = rhs_k for every row k by GMRES(krylov_dim) from 0.

    slopes, rhs: (K, N). The Arnoldi basis is orthogonalised by classical Gram-Schmidt twice.
    """
    batch, n = rhs.shape
    m = min(krylov_dim, n)
    beta = np.linalg.norm(rhs, axis=1)
    basis = np.zeros((m + 1, batch, n))
    hessenberg = np.zeros((batch, m + 1, m))
    basis[0] = rhs / np.where(beta > 0, beta, 1.0)[:, None]
    for j in range(m):
        w = (slopes * basis[j]) @ closed_loop.T - basis[j]
        for _ in range(2):  # CGS2: one re-orthogonalisation keeps the basis orthogonal
            h = np.einsum("ikn,kn->ki", basis[: j + 1], w)
            w -= np.einsum("ki,ikn->kn", h, basis[: j + 1])
            hessenberg[:, : j + 1, j] += h
        norm = np.linalg.norm(w, axis=1)
        hessenberg[:, j + 1, j] = norm
        basis[j + 1] = w / np.where(norm > 0, norm, 1.0)[:, None]
    first = np.zeros((batch, m + 1))
    first[:, 0] = beta
    coefficients = np.einsum("kij,kj->ki", np.linalg.pinv(hessenberg), first)
    return np.einsum("ki,ikn->kn", coefficients, basis[:m])


def newton_gmres(
    closed_loop: np.ndarray,
    offset: np.ndarray,
    starts: np.ndarray,
    tol_q: float = 1e-20,
    max_iter: int = 30,
    krylov_dim: int = 40,
) -> NewtonResult:
    """Minimise q(x) = ½|F(x)|² from each row of `starts` (K, N) by batched Newton-GMRES."""
    points = np.array(starts, dtype=float)
    forces = velocity(points, closed_loop, offset)
    q = 0.5 * np.einsum("kn,kn->k", forces, forces)
    iterations = np.zeros(len(points), dtype=int)
    for _ in range(max_iter):
        active = np.flatnonzero(q > tol_q)
        if active.size == 0:
            break
        x, f, q_active = points[active], forces[active], q[active]
        step = gmres_batch(closed_loop, 1.0 - np.tanh(x) ** 2, -f, krylov_dim)
        length = np.ones(active.size)
        pending = np.ones(active.size, dtype=bool)
        for _ in range(11):  # backtracking: λ = 1, 1/2, ..., 1/1024
            rows = np.flatnonzero(pending)
            trial = x[rows] + length[rows, None] * step[rows]
            trial_f = velocity(trial, closed_loop, offset)
            trial_q = 0.5 * np.einsum("kn,kn->k", trial_f, trial_f)
            better = trial_q < q_active[rows]
            accepted = rows[better]
            x[accepted], f[accepted], q_active[accepted] = (
                trial[better],
                trial_f[better],
                trial_q[better],
            )
            pending[accepted] = False
            length[rows[~better]] *= 0.5
            if not pending.any():
                break
        points[active], forces[active], q[active] = x, f, q_active
        iterations[active] += 1
    return NewtonResult(points, q, iterations)
