"""More zeros from the same starts: Newton's method on the deflated residual M(x) F(x)
(Farrell, Birkisson & Funke 2015; docs/mathematics.md, The skeleton: deflation).

M(x) = Π_i ((ℓ / |x - x_i|)^p + σ) grows without bound at each known zero x_i, so Newton's
method on M F is repelled from them and converges to zeros not yet known. Its step is the
plain Newton step d (J d = -F) divided by 1 - ∇log M(x)·d. ℓ, half the shortest distance
between known zeros, makes M independent of the units of x. Dense J: meant for N up to a few
hundred.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.linalg

from .flow import FloatArray

# M's power p and shift σ (Farrell et al.'s defaults)
_POWER, _SHIFT = 2.0, 1.0
# ℓ as a share of the shortest distance between known zeros: M stays near 1 (plain Newton)
# except close to them; a step is capped at _MAX_STEP such distances. Chosen on decoupled
# units (tests/test_skeleton.py), where larger ℓ drove the iterates away from every zero.
_LENGTH_SHARE, _MAX_STEP = 0.5, 3.0
_MAX_ITER = 60


def deflated_newton(
    velocity: Callable[[FloatArray], FloatArray],
    jacobian: Callable[[FloatArray], FloatArray],
    start: FloatArray,
    known: FloatArray,
    tol_q: float,
) -> FloatArray | None:
    """A zero of F reached from `start` (N,) by deflated Newton away from the `known` zeros
    (K, N), or None. velocity: x (N,) -> F(x); jacobian: x -> J(x) (N, N)."""
    shortest = _shortest_distance(known)
    length, cap = _LENGTH_SHARE * shortest, _MAX_STEP * shortest
    x = np.array(start, dtype=float)
    for _ in range(_MAX_ITER):
        residual = velocity(x)
        if not np.all(np.isfinite(residual)):
            return None
        if 0.5 * residual @ residual <= tol_q:
            return x
        try:
            d = scipy.linalg.solve(jacobian(x), -residual)
        except (np.linalg.LinAlgError, ValueError):
            return None
        eta = _log_gradient(x, known, length) @ d
        step = d / (1.0 - eta) if abs(1.0 - eta) > 1e-12 else d
        norm = np.linalg.norm(step)
        x = x + (step * (cap / norm) if norm > cap else step)
    return None


def _log_gradient(x: FloatArray, known: FloatArray, length: float) -> FloatArray:
    """∇ log M(x) = Σ_i -p |u_i|^(-p-2) u_i / (ℓ (|u_i|^(-p) + σ)), u_i = (x - x_i) / ℓ."""
    if known.shape[0] == 0:
        return np.zeros_like(x)
    u = (x - known) / length
    distance = np.maximum(np.linalg.norm(u, axis=1), 1e-300)
    weight = -_POWER * distance ** (-_POWER - 2) / (distance ** (-_POWER) + _SHIFT)
    gradient: FloatArray = (weight[:, None] * u).sum(axis=0) / length
    return gradient


def _shortest_distance(known: FloatArray) -> float:
    """The shortest distance between two known zeros (1 with fewer than two)."""
    if known.shape[0] < 2:
        return 1.0
    gaps = np.linalg.norm(known[:, None, :] - known[None, :, :], axis=2)
    gaps[np.diag_indices_from(gaps)] = np.inf
    return float(max(np.min(gaps), 1e-12))
