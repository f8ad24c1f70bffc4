"""What every discrete-time network (RNN, GRU, LSTM) shares: a map s' = f(s, u) whose fixed
points at a constant input are the zeros of G(s) = f(s, u) - s, with G and its Jacobian from
the network's C++ system (docs/mathematics.md, Stability: discrete time; Gated networks)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_array

if TYPE_CHECKING:
    from ..fixedpoints.linearization import CoreSystem


class MapNetwork(ABC):
    """A discrete-time network s' = f(s, u) with an N-dimensional state s and I inputs u.

    Subclasses give `size`, `input_size`, `core_system(inputs)` and `run`; `velocity` and
    `jacobian` at one state follow from the core system."""

    discrete_time = True

    @property
    @abstractmethod
    def size(self) -> int:
        """The dimension N of the state."""

    @property
    @abstractmethod
    def input_size(self) -> int:
        """The number of inputs I."""

    @abstractmethod
    def core_system(self, inputs: ArrayLike | None = None) -> CoreSystem:
        """The C++ system G(s) = f(s, u) - s at a constant input u (I,) (zeros if None)."""

    @abstractmethod
    def run(self, inputs: ArrayLike, h0: ArrayLike | None = None) -> NDArray[np.float64]:
        """Iterate the map over inputs (T, I) from h0 (N,) (zeros if None); returns the states
        after each step (T, N)."""

    def velocity(self, state: ArrayLike, inputs: ArrayLike | None = None) -> NDArray[np.float64]:
        """G(s) = f(s, u) - s (N,) at a state s (N,) and a constant input u (I,) (zeros if
        None)."""
        s = as_array("state", state, (self.size,))
        velocity: NDArray[np.float64] = self.core_system(inputs).velocity(s[None])[0]
        return velocity

    def jacobian(self, state: ArrayLike, inputs: ArrayLike | None = None) -> NDArray[np.float64]:
        """∂G/∂s (N, N) at a state s (N,) and a constant input u (I,) (zeros if None): the
        map's Jacobian minus the identity."""
        s = as_array("state", state, (self.size,))
        jacobian: NDArray[np.float64] = self.core_system(inputs).jacobian(s)
        return jacobian

    def constant_input(self, inputs: ArrayLike | None) -> NDArray[np.float64]:
        """A constant input u (I,) checked, zeros if None."""
        if inputs is None:
            return np.zeros(self.input_size)
        return as_array("inputs", inputs, (self.input_size,))
