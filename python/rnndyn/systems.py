"""Dynamical systems whose fixed points rnndyn finds: the ESN's closed loop (network.py), the
discrete-time vanilla RNN, and any pair of Python functions F(x), J(x)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from ._validation import as_array, as_choice
from .activations import ACTIVATIONS, Activation, activation_functions

if TYPE_CHECKING:
    import torch


@runtime_checkable
class VelocitySystem(Protocol):
    """What the generic fixed-point path needs: F(x) and its Jacobian at one state (N,)."""

    def velocity(self, x: np.ndarray) -> np.ndarray: ...

    def jacobian(self, x: np.ndarray) -> np.ndarray: ...


class RNN:
    """A discrete-time vanilla RNN h' = φ(W h + B u + b) (DESIGN.md).

    recurrent: W (N, N); input: B (N, I) or None; bias: b (N,) or None; activation: "tanh" or
    "logistic". Its fixed points at a constant input u are the zeros of G(h) = φ(Wh + Bu + b) - h,
    and a point is stable when every eigenvalue of the map's Jacobian diag(φ') W lies inside the
    unit circle (equivalently `|λ + 1| < 1` for the eigenvalues λ of J_G = diag(φ') W - I,
    which `find_fixed_points` reports).
    """

    discrete_time = True

    def __init__(
        self,
        recurrent: ArrayLike,
        input: ArrayLike | None = None,
        bias: ArrayLike | None = None,
        activation: Activation = "tanh",
    ) -> None:
        self.recurrent = as_array("recurrent", recurrent, (None, None))
        n = self.recurrent.shape[0]
        if self.recurrent.shape != (n, n) or n == 0:
            raise ValueError(f"recurrent must be square (N, N), got {self.recurrent.shape}")
        self.input = np.zeros((n, 0)) if input is None else as_array("input", input, (n, None))
        self.bias = None if bias is None else as_array("bias", bias, (n,))
        self.activation = as_choice("activation", activation, ACTIVATIONS)

    @classmethod
    def from_torch(cls, module: torch.nn.RNN | torch.nn.RNNCell) -> RNN:
        """The RNN of a trained one-layer tanh `torch.nn.RNN` (or `RNNCell`): W = weight_hh,
        B = weight_ih, b = bias_ih + bias_hh, in float64 (see `rnndyn.torch_interop`)."""
        from .torch_interop import rnn_from_torch

        return rnn_from_torch(module)

    @property
    def size(self) -> int:
        """Number of units N."""
        return int(self.recurrent.shape[0])

    def offset(self, inputs: ArrayLike | None = None) -> NDArray[np.float64]:
        """B u + b (N,) at a constant input u (I,) (zeros if None)."""
        u = (
            np.zeros(self.input.shape[1])
            if inputs is None
            else as_array("inputs", inputs, (self.input.shape[1],))
        )
        return self.input @ u + (0.0 if self.bias is None else self.bias)

    def core_system(self, inputs: ArrayLike | None = None) -> _core.DiscreteSystem:
        """The C++ system G(h) at a constant input."""
        return _core.DiscreteSystem(self.recurrent, self.offset(inputs), self.activation)

    def run(self, inputs: ArrayLike, h0: ArrayLike | None = None) -> NDArray[np.float64]:
        """Iterate the map over inputs (T, I) from h0 (N,) (zeros if None); returns (T, N)."""
        u = as_array("inputs", inputs, (None, self.input.shape[1]))
        h = np.zeros(self.size) if h0 is None else as_array("h0", h0, (self.size,))
        phi = activation_functions(self.activation)[0]
        bias = 0.0 if self.bias is None else self.bias
        states = np.empty((u.shape[0], self.size))
        for t in range(u.shape[0]):
            h = phi(self.recurrent @ h + self.input @ u[t] + bias)
            states[t] = h
        return states


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
