"""The discrete-time vanilla RNN h' = φ(W h + B u + b) (docs/mathematics.md, Discrete time)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import _core
from .._validation import as_array, as_choice
from .activations import ACTIVATIONS, Activation, activation_functions
from .maps import MapNetwork

if TYPE_CHECKING:
    import torch

    from .gated import StackedRNN


class RNN(MapNetwork):
    """A discrete-time vanilla RNN h' = φ(W h + B u + b) (docs/mathematics.md, Stability).

    recurrent: W (N, N); input: B (N, I) or None; bias: b (N,) or None; activation: "tanh",
    "logistic" or "relu" (piecewise linear: within each region, where the same units are
    active, the map is affine and Newton's method exact). Its fixed points at a constant input
    u are the zeros of G(h) = φ(Wh + Bu + b) - h, and a point is stable when every eigenvalue
    of the map's Jacobian diag(φ') W lies inside the unit circle (equivalently `|λ + 1| < 1`
    for the eigenvalues λ of J_G = diag(φ') W - I, which `find_fixed_points` reports).
    """

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
    def from_torch(cls, module: torch.nn.RNN | torch.nn.RNNCell) -> RNN | StackedRNN:
        """The RNN of a trained one-layer `torch.nn.RNN` (or `RNNCell`), tanh or relu:
        W = weight_hh, B = weight_ih, b = bias_ih + bias_hh, in float64; for num_layers > 1,
        a `StackedRNN` (its layers chain within a step, which one RNN cannot hold; see
        `rnndyn.networks.from_torch`)."""
        from .from_torch import rnn_from_torch

        return rnn_from_torch(module)

    @property
    def size(self) -> int:
        """Number of units N."""
        return int(self.recurrent.shape[0])

    @property
    def input_size(self) -> int:
        """Number of inputs I."""
        return int(self.input.shape[1])

    def offset(self, inputs: ArrayLike | None = None) -> NDArray[np.float64]:
        """B u + b (N,) at a constant input u (I,) (zeros if None)."""
        return self.input @ self.constant_input(inputs) + (0.0 if self.bias is None else self.bias)

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
