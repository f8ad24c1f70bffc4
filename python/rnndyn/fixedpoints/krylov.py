"""The least stable eigenvalues of several Jacobians at once, by Krylov-Schur.

Each point runs its own Arnoldi process with restarts (Stewart, "A Krylov-Schur algorithm for
large eigenproblems", SIAM J. Matrix Anal. Appl. 23, 2002), but the points advance in lockstep,
so that one batched product through the C++ core serves all of them at each step: for N = 1000
and ten points it costs less than half of ten separate matrix-vector products, the bulk of an
ARPACK run. The small dense work (Schur forms, reordering) is LAPACK's, through SciPy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg

FloatArray = np.ndarray

# (rows, V) -> A_p v_p for each listed point p (one row of V each): the batched operator.
BatchedOperator = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass
class _Process:
    """One point's Krylov-Schur decomposition A V[:, :j] = V[:, :j+1] H[:j+1, :j]."""

    basis: FloatArray  # (m + 1, N): row i is v_i
    hessenberg: FloatArray  # (m + 1, m)
    size: int = 0  # j: vectors whose products are in H
    restarts: int = 0
    result: tuple[np.ndarray, np.ndarray] | None = None
    failed: bool = False


def least_stable_batched(
    apply: BatchedOperator,
    count: int,
    size: int,
    k: int,
    key: Callable[[np.ndarray], np.ndarray],
    tol: float = 1e-10,
    ncv: int = 60,
    max_restarts: int = 300,
    seed: int = 0,
) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """For each of `count` operators of size N, the k eigenvalues with the largest `key` (e.g.
    the real part) and their right eigenvectors.

    - apply: `apply(rows, V)` returns the products A_p v_p, (len(rows), N), for the points
      `rows` and their vectors V (len(rows), N).
    - key: eigenvalues (complex array) -> what "least stable" maximises (the same for a
      conjugate pair).
    - tol: a Ritz pair (θ, x) counts once |A x - θ x| <= tol max(|θ|, ε^(2/3)), ARPACK's
      test, with the floor raised to 100 ε max |Ritz value| / tol (eigenvalues near 0 then get
      an absolute accuracy near rounding, which is all the products allow).
    - ncv: the largest basis; a restart keeps the best (ncv + 2k) / 3 or so Ritz vectors.

    Returns per point (values (k,), vectors (N, k) complex), or None where it did not converge
    within `max_restarts` or broke down (the caller then falls back to another method). The
    start vector is the same seeded one for every point, so results repeat call after call.
    """
    m = min(size - 1, max(ncv, 2 * k + 1))
    # a pair may add one: at most m - 1 kept. Keeping a third of the unwanted part rather than
    # half took 7 % more products but a third fewer restarts (whose LAPACK calls hold the GIL):
    # 10 % less time for the 14 points of the benchmark network
    keep = min(m - 2, k + (m - k) // 3)
    start = np.random.default_rng(seed).standard_normal(size)
    start /= np.linalg.norm(start)
    processes = []
    for _ in range(count):
        process = _Process(np.zeros((m + 1, size)), np.zeros((m + 1, m)))
        process.basis[0] = start
        processes.append(process)
    floor = np.finfo(float).eps ** (2 / 3)
    while True:
        active = [
            p for p in range(count) if processes[p].result is None and not processes[p].failed
        ]
        if not active:
            break
        vectors = np.array([processes[p].basis[processes[p].size] for p in active])
        products = apply(np.asarray(active), vectors)
        for row, p in enumerate(active):
            process = processes[p]
            if not _expand(process, products[row]):
                process.failed = True
            elif process.size == m:
                _restart(process, k, keep, key, tol, floor, max_restarts)
    return [p.result for p in processes]


def _expand(process: _Process, w: FloatArray) -> bool:
    """Adds A v_j (= w) to the decomposition: two passes of classical Gram-Schmidt against the
    basis (enough for orthogonality to working precision), then the next basis vector. False on
    a breakdown (A's Krylov space closed: rare, and left to the caller's fallback)."""
    j = process.size
    V = process.basis[: j + 1]
    h = V @ w
    w = w - h @ V
    correction = V @ w
    w -= correction @ V
    h += correction
    norm = float(np.linalg.norm(w))
    process.hessenberg[: j + 1, j] = h
    process.hessenberg[j + 1, j] = norm
    if not norm > 1e-14 * max(1.0, float(np.linalg.norm(h))):
        return False
    process.basis[j + 1] = w / norm
    process.size = j + 1
    return True


def _restart(
    process: _Process,
    k: int,
    keep: int,
    key: Callable[[np.ndarray], np.ndarray],
    tol: float,
    floor: float,
    max_restarts: int,
) -> None:
    """Reorders the Schur form of H so that the best Ritz values lead; stops if the k best have
    converged, else truncates the decomposition to about `keep` of them."""
    m = process.size
    H = process.hessenberg[:m, :m]
    last = process.hessenberg[m, :m]  # A V_m = V_m H + v_{m+1} last
    schur = _schur(H)
    if schur is None:
        process.failed = True
        return
    T, Q, values = schur
    scores = key(values)
    order = np.argsort(-scores, kind="stable")
    # the `keep` best lead (a conjugate pair has one score: both or neither); the margin
    # absorbs the rounding between these eigenvalues and those LAPACK reorders
    threshold = scores[order[keep - 1]]
    threshold -= 1e-10 * max(1.0, abs(threshold))
    T, Q, kept = _reorder(T, Q, values, key(values) >= threshold, key, threshold)
    if not k <= kept < m:
        process.failed = True
        return
    coupling = last @ Q  # A (V Q) = (V Q) T + v_{m+1} coupling
    ritz, vectors = scipy.linalg.eig(T[:kept, :kept])
    best = np.argsort(-key(ritz), kind="stable")[:k]
    residuals = np.abs(coupling[:kept] @ vectors[:, best])
    # ARPACK's test, but with an absolute floor near rounding for eigenvalues near 0 (there
    # ε^(2/3) asks for residuals below what the products' rounding lets the estimate reach)
    floor = max(floor, 100 * np.finfo(float).eps * float(np.max(np.abs(values))) / tol)
    if np.all(residuals <= tol * np.maximum(np.abs(ritz[best]), floor)):
        ritz_vectors = process.basis[:m].T @ (Q[:, :kept] @ vectors[:, best])
        ritz_vectors /= np.linalg.norm(ritz_vectors, axis=0, keepdims=True)
        process.result = (ritz[best], ritz_vectors)
        return
    process.restarts += 1
    if process.restarts > max_restarts:
        process.failed = True
        return
    basis = process.basis
    basis[:kept] = Q[:, :kept].T @ basis[:m]
    basis[kept] = basis[m]
    hessenberg = np.zeros_like(process.hessenberg)
    hessenberg[:kept, :kept] = T[:kept, :kept]
    hessenberg[kept, :kept] = coupling[:kept]
    process.hessenberg = hessenberg
    process.size = kept


def _schur(H: FloatArray) -> tuple[FloatArray, FloatArray, np.ndarray] | None:
    """H = Q T Qᵀ, real Schur form, and H's eigenvalues in the order of T's diagonal (LAPACK
    dgees, which gives them with T); None if its QR iteration failed."""
    T, _, real, imaginary, Q, _, info = scipy.linalg.lapack.dgees(lambda *_: None, H, sort_t=0)
    if info != 0:
        return None
    return T, Q, real + 1j * imaginary


def _reorder(
    T: FloatArray,
    Q: FloatArray,
    values: np.ndarray,
    selected: np.ndarray,
    key: Callable[[np.ndarray], np.ndarray],
    threshold: float,
) -> tuple[FloatArray, FloatArray, int]:
    """The Schur form reordered so that the `selected` eigenvalues lead, with how many they are:
    LAPACK's dtrsen where SciPy has it (1.12 and later), else a sorted dgees."""
    trsen = getattr(scipy.linalg.lapack, "dtrsen", None)
    if trsen is None:
        H = Q @ T @ Q.T
        return scipy.linalg.schur(  # type: ignore[no-any-return]
            H,
            output="real",
            sort=lambda re, im: bool(key(np.array([re + 1j * im]))[0] >= threshold),
        )
    T, Q, _, _, kept, _, _, info = trsen(selected.astype(np.int32), T, Q, job="N")
    if info != 0:
        return T, Q, -1
    return T, Q, int(kept)
