"""The q-minimisers for systems given as Python functions (FunctionSystem and the like): the
same methods as the C++ core, through SciPy where it has them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import scipy.optimize
from numpy.typing import NDArray

from .. import _core

if TYPE_CHECKING:
    from .systems import VelocitySystem

FloatArray = NDArray[np.float64]

# the stop reasons' codes, as the core defines them (options.hpp)
_Reason = _core.StopReason


class _NonFinite(Exception):
    """F or J is not finite at `x`: the minimisation of this state stops there."""

    def __init__(self, x: FloatArray) -> None:
        super().__init__("non-finite F or J")
        self.x = x


class _Speed:
    """q, ∇q and Hessian products of one system, with F and J cached at the last point."""

    def __init__(self, system: VelocitySystem) -> None:
        self.system = system
        self._x: FloatArray | None = None

    def _at(self, x: FloatArray) -> None:
        if self._x is None or not np.array_equal(x, self._x):
            self._x = np.array(x, dtype=float)
            self.F: FloatArray = np.asarray(self.system.velocity(self._x), dtype=float)
            self.J: FloatArray = np.asarray(self.system.jacobian(self._x), dtype=float)
            # SciPy's minimisers stop with an error on NaN; the state is reported instead
            if not (np.all(np.isfinite(self.F)) and np.all(np.isfinite(self.J))):
                raise _NonFinite(self._x)

    def q(self, x: FloatArray) -> float:
        self._at(x)
        return 0.5 * float(self.F @ self.F)

    def gradient(self, x: FloatArray) -> FloatArray:
        self._at(x)
        return self.J.T @ self.F

    def residual(self, x: FloatArray) -> FloatArray:
        self._at(x)
        return self.F

    def jacobian(self, x: FloatArray) -> FloatArray:
        self._at(x)
        return self.J

    def hessian_product(self, x: FloatArray, v: FloatArray) -> FloatArray:
        # the exact Hessian from central differences of ∇q along v (the second derivatives
        # of a generic F are not available)
        h = 1e-6 * max(1.0, float(np.linalg.norm(x))) / max(float(np.linalg.norm(v)), 1e-300)
        return (self.gradient(x + h * v) - self.gradient(x - h * v)) / (2 * h)


def minimize_generic(
    system: VelocitySystem,
    starts: FloatArray,
    method: str,
    tol_q: float,
    tol_grad: float,
    max_iter: int,
    progress: bool = False,
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.int_], NDArray[np.int_]]:
    """Minimise q from each row of starts; returns (points, q, grad_norm, iterations, codes)."""
    points = np.empty_like(starts)
    q = np.empty(starts.shape[0])
    grad_norm = np.empty(starts.shape[0])
    iterations = np.zeros(starts.shape[0], dtype=int)
    codes = np.empty(starts.shape[0], dtype=int)
    rows = range(starts.shape[0])
    if progress:
        from tqdm.auto import tqdm

        rows = tqdm(rows, desc="fixed points", unit="state")
    for i in rows:
        speed = _Speed(system)
        try:
            x, iterations[i] = _METHODS[method](speed, starts[i], tol_q, tol_grad, max_iter)
            points[i] = x
            q[i] = speed.q(x)
            grad_norm[i] = float(np.linalg.norm(speed.gradient(x)))
        except _NonFinite as stop:
            points[i], q[i], grad_norm[i] = stop.x, np.inf, np.inf
        codes[i] = _stop_code(q[i], grad_norm[i], iterations[i], tol_q, tol_grad, max_iter)
    return points, q, grad_norm, iterations, codes


def _stop_code(
    q: float, grad: float, iterations: int, tol_q: float, tol_grad: float, max_iter: int
) -> int:
    if not (np.isfinite(q) and np.isfinite(grad)):
        return int(_Reason.non_finite)
    if q <= tol_q:
        return int(_Reason.q_tolerance)
    if grad <= tol_grad:
        return int(_Reason.gradient_tolerance)
    if iterations >= max_iter:
        return int(_Reason.iteration_limit)
    return int(_Reason.step_tolerance)


class _Converged(Exception):
    """Raised from a SciPy callback to stop at q <= tol_q."""


def _scipy_minimize(
    speed: _Speed, x0: FloatArray, tol_q: float, tol_grad: float, max_iter: int, **method: object
) -> tuple[FloatArray, int]:
    last, steps = np.array(x0, dtype=float), 0

    def callback(x: FloatArray, *_: object) -> None:
        nonlocal last, steps
        last, steps = np.array(x), steps + 1
        if speed.q(x) <= tol_q:
            raise _Converged

    try:
        result = scipy.optimize.minimize(
            speed.q,
            x0,
            jac=speed.gradient,
            callback=callback,
            options={"maxiter": max_iter, "gtol": tol_grad},
            **method,
        )
        return result.x, int(result.nit)
    except _Converged:
        return last, steps


def _newton(
    speed: _Speed, x0: FloatArray, tol_q: float, tol_grad: float, max_iter: int
) -> tuple[FloatArray, int]:
    # MINPACK's hybrid method is the dense form of the core's Newton dogleg (newton_krylov.hpp);
    # like the core, hand what it leaves above tol_q to trust-ncg
    result = scipy.optimize.root(
        speed.residual,
        x0,
        jac=speed.jacobian,
        method="hybr",
        options={"xtol": 1e-15, "maxfev": max(1, max_iter)},
    )
    x, used = result.x, int(result.nfev)
    if speed.q(x) <= tol_q or used >= max_iter:
        return x, used
    x, more = _trust_ncg(speed, x, tol_q, tol_grad, max_iter - used)
    return x, used + more


def _trust_ncg(
    speed: _Speed, x0: FloatArray, tol_q: float, tol_grad: float, max_iter: int
) -> tuple[FloatArray, int]:
    return _scipy_minimize(
        speed, x0, tol_q, tol_grad, max_iter, method="trust-ncg", hessp=speed.hessian_product
    )


def _cg(
    speed: _Speed, x0: FloatArray, tol_q: float, tol_grad: float, max_iter: int
) -> tuple[FloatArray, int]:
    return _scipy_minimize(speed, x0, tol_q, tol_grad, max_iter, method="CG")


def _lm(
    speed: _Speed, x0: FloatArray, tol_q: float, tol_grad: float, max_iter: int
) -> tuple[FloatArray, int]:
    if speed.residual(x0).size < x0.size:
        raise ValueError("method 'lm' needs F with as many components as x")
    result = scipy.optimize.least_squares(
        speed.residual,
        x0,
        jac=speed.jacobian,
        method="lm",
        xtol=1e-15,
        ftol=1e-15,
        gtol=max(tol_grad, 1e-15),
        max_nfev=max(1, max_iter) * (x0.size + 1),
    )
    return result.x, int(result.nfev)


def _adam(
    speed: _Speed, x0: FloatArray, tol_q: float, tol_grad: float, max_iter: int, rate: float = 1.0
) -> tuple[FloatArray, int]:
    # the core's scheme (adam.hpp): clipped gradients, halve the rate when q rises
    x = np.array(x0, dtype=float)
    first = np.zeros_like(x)
    second = np.zeros_like(x)
    q = speed.q(x)
    for t in range(1, max_iter + 1):
        g = speed.gradient(x)
        if q <= tol_q or np.linalg.norm(g) <= tol_grad:
            return x, t - 1
        norm = np.linalg.norm(g)
        if norm > 1:
            g = g / norm
        first = 0.9 * first + 0.1 * g
        second = 0.999 * second + 0.001 * g**2
        x = x - rate * (first / (1 - 0.9**t)) / (np.sqrt(second / (1 - 0.999**t)) + 1e-8)
        q_new = speed.q(x)
        rate = 0.5 * rate if q_new > q else min(10.0, 1.05 * rate)
        q = q_new
    return x, max_iter


_Method = Callable[[_Speed, FloatArray, float, float, int], tuple[FloatArray, int]]
_METHODS: dict[str, _Method] = {
    "newton": _newton,
    "trust-ncg": _trust_ncg,
    "lm": _lm,
    "cg": _cg,
    "adam": _adam,
}
