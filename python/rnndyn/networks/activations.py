"""The rate nonlinearities φ with their first and second derivatives (docs/mathematics.md, The
network; Derivatives)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

# the `activation` argument of the public API
Activation = Literal["tanh", "logistic", "relu"]
ACTIVATIONS: tuple[Activation, ...] = ("tanh", "logistic", "relu")
# the ESN's: bounded rates (its closed loop feeds the readout of unbounded ReLU rates back)
RATE_ACTIVATIONS: tuple[Activation, ...] = ("tanh", "logistic")

Elementwise = Callable[[np.ndarray], np.ndarray]


def _logistic(x: np.ndarray) -> np.ndarray:
    rate: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return rate


def _relu(x: np.ndarray) -> np.ndarray:
    rate: np.ndarray = np.maximum(x, 0.0)
    return rate


def _relu_slope(x: np.ndarray) -> np.ndarray:
    # 0 at the kink, as PyTorch's autograd has it
    slope: np.ndarray = (x > 0).astype(np.float64)
    return slope


def _relu_curvature(x: np.ndarray) -> np.ndarray:
    # piecewise linear: no curvature within a region (docs/mathematics.md, Derivatives)
    return np.zeros_like(x, dtype=np.float64)


def _tanh_slope(x: np.ndarray) -> np.ndarray:
    slope: np.ndarray = 1.0 - np.tanh(x) ** 2
    return slope


def _logistic_slope(x: np.ndarray) -> np.ndarray:
    r = _logistic(x)
    return r * (1.0 - r)


def _tanh_curvature(x: np.ndarray) -> np.ndarray:
    r: np.ndarray = np.tanh(x)
    return -2.0 * r * (1.0 - r**2)


def _logistic_curvature(x: np.ndarray) -> np.ndarray:
    r = _logistic(x)
    return r * (1.0 - r) * (1.0 - 2.0 * r)


_TABLE: dict[str, tuple[Elementwise, Elementwise, Elementwise]] = {
    "tanh": (np.tanh, _tanh_slope, _tanh_curvature),
    "logistic": (_logistic, _logistic_slope, _logistic_curvature),
    "relu": (_relu, _relu_slope, _relu_curvature),
}


def activation_functions(name: str) -> tuple[Elementwise, Elementwise, Elementwise]:
    """(φ, φ', φ'') for `name` in ACTIVATIONS."""
    if name not in _TABLE:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {name!r}")
    return _TABLE[name]
