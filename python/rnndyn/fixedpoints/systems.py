"""What the fixed-point search takes besides the core's networks: the VelocitySystem protocol
(F(x) and J(x) at one state), and FunctionSystem, a system given by plain Python functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray


@runtime_checkable
class VelocitySystem(Protocol):
    """What the generic fixed-point path needs: F(x) and its Jacobian at one state (N,)."""

    def velocity(self, x: np.ndarray) -> np.ndarray: ...

    def jacobian(self, x: np.ndarray) -> np.ndarray: ...


class FunctionSystem:
    """A system given by plain functions: velocity F(x) (N,) → (N,) and, optionally, its
    Jacobian J(x) → (N, N); without one, J comes from central finite differences (step
    `fd_step` · `max(1, |x_i|)`). `discrete_time=True` marks F as G(h) = map(h) - h."""

    def __init__(
        self,
        velocity: Callable[[NDArray[np.float64]], ArrayLike],
        jacobian: Callable[[NDArray[np.float64]], ArrayLike] | None = None,
        discrete_time: bool = False,
        fd_step: float = 1e-6,
    ) -> None:
        if not callable(velocity):
            raise TypeError("velocity must be callable: x (N,) -> F(x) (N,)")
        if jacobian is not None and not callable(jacobian):
            raise TypeError("jacobian must be callable: x (N,) -> J(x) (N, N), or None")
        self._velocity = velocity
        self._jacobian = jacobian
        self.discrete_time = bool(discrete_time)
        self.fd_step = fd_step

    def velocity(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """F(x), shape (N,)."""
        return np.asarray(self._velocity(x), dtype=float)

    def jacobian(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """J(x), shape (N, N): the given function, or central differences of F."""
        if self._jacobian is not None:
            return np.asarray(self._jacobian(x), dtype=float)
        x = np.asarray(x, dtype=float)
        columns = []
        for i in range(x.size):
            h = self.fd_step * max(1.0, abs(x[i]))
            e = np.zeros_like(x)
            e[i] = h
            columns.append((self.velocity(x + e) - self.velocity(x - e)) / (2 * h))
        return np.stack(columns, axis=1)
