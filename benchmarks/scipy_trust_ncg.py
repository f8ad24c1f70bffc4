"""Fixed points by SciPy's trust-ncg on q(x) = ½|F(x)|² with the reference's dense NumPy
derivatives (rnndyn.reference): the baseline of a SciPy user, one state at a time."""

from __future__ import annotations

import numpy as np
import rnndyn as rd
import scipy.optimize
from rnndyn import reference


def scipy_trust_ncg(
    net: rd.ESN, starts: np.ndarray, max_iter: int = 500
) -> tuple[np.ndarray, np.ndarray]:
    """Minimise q from each row of `starts` (K, N); returns the points (K, N) and q (K,)."""
    closed_loop = net.closed_loop_matrix()
    offset = net.offset()

    def parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (
            reference.closed_loop_velocity(x, closed_loop, offset),
            reference.closed_loop_jacobian(x, closed_loop),
        )

    def q(x: np.ndarray) -> float:
        return reference.speed(reference.closed_loop_velocity(x, closed_loop, offset))

    def gradient(x: np.ndarray) -> np.ndarray:
        return reference.speed_gradient(*parts(x))

    def hessp(x: np.ndarray, v: np.ndarray) -> np.ndarray:
        # docs/mathematics.md, Derivatives: the exact Hessian JᵀJ + diag((W_cᵀF) ⊙ φ''(x))
        F, J = parts(x)
        curvature = (closed_loop.T @ F) * reference.rate_curvature(x)
        return J.T @ (J @ v) + curvature * v

    points, speeds = [], []
    for x0 in starts:
        result = scipy.optimize.minimize(
            q,
            x0,
            jac=gradient,
            hessp=hessp,
            method="trust-ncg",
            options={"gtol": 1e-12, "maxiter": max_iter},
        )
        points.append(result.x)
        speeds.append(result.fun)
    return np.array(points), np.array(speeds)
