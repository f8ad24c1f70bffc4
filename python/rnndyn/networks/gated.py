"""Gated networks as PyTorch computes them: the GRU and the LSTM, one layer or a stack, and a
stack of vanilla RNN layers as a one-gate cell (docs/mathematics.md, Gated networks).

A stack of L layers is one map s' = f(s, u) whose state stacks the layers' states,
s = (s_1, ..., s_L): s_l = h_l (H units) for a GRU or an RNN, s_l = (h_l, c_l) (2H) for an
LSTM. Within a step layer 1 reads the input u and layer l > 1 the new h of layer l - 1, as in
`torch.nn.GRU(num_layers=L)`. The weights keep PyTorch's stacked gate order (GRU: r, z, n;
LSTM: i, f, g, o) and its two biases, in float64.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import _core
from .._validation import as_array, as_choice
from .activations import activation_functions
from .maps import MapNetwork

if TYPE_CHECKING:
    import torch

FloatArray = NDArray[np.float64]
# the C++ systems of the stacks (bind_fixedpoints.cpp)
GatedCore = _core.GRUSystem | _core.LSTMSystem | _core.RNNTanhSystem | _core.RNNReluSystem


@dataclass(frozen=True)
class GatedLayer:
    """One layer's weights as PyTorch names them: weight_ih (GH, I), weight_hh (GH, H),
    bias_ih and bias_hh (GH,), with G gates (zeros for a layer without biases)."""

    weight_ih: FloatArray
    weight_hh: FloatArray
    bias_ih: FloatArray
    bias_hh: FloatArray

    @property
    def hidden(self) -> int:
        """Its number of units H."""
        return int(self.weight_hh.shape[1])


def _sigmoid(x: FloatArray) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-x))
    return out


class GatedNetwork(MapNetwork):
    """What the GRU and the LSTM share: the stack of layers, their checks, the core system and
    the run. Subclasses give the number of gates, the state's width per unit and one step."""

    gates: ClassVar[int]
    state_width: ClassVar[int]  # the state's units per hidden unit: 1 (h) or 2 (h, c)
    _core_class: ClassVar[type[GatedCore]]
    _torch_modules: ClassVar[tuple[str, str]]  # the torch.nn layer and cell it imports

    def __init__(
        self,
        weight_ih: ArrayLike | Sequence[ArrayLike],
        weight_hh: ArrayLike | Sequence[ArrayLike],
        bias_ih: ArrayLike | Sequence[ArrayLike] | None = None,
        bias_hh: ArrayLike | Sequence[ArrayLike] | None = None,
    ) -> None:
        """weight_ih (GH, I), weight_hh (GH, H), bias_ih and bias_hh (GH,) or None (no bias),
        each as PyTorch holds it; for a stack of L layers, a list of L of each (layer l > 1
        has weight_ih (GH, H))."""
        stacked = isinstance(weight_ih, list | tuple)
        per_layer = [_as_list(weight_ih, stacked), _as_list(weight_hh, stacked)]
        count = len(per_layer[0])
        biases = [
            _as_list(b, stacked) if b is not None else [None] * count for b in (bias_ih, bias_hh)
        ]
        if count == 0 or any(len(p) != count for p in (*per_layer, *biases)):
            raise ValueError(
                "weight_ih, weight_hh, bias_ih and bias_hh must hold one entry per layer"
            )
        layers: list[GatedLayer] = []
        width: int | None = None  # the layer's input: u (any I) for the first
        for index in range(count):
            suffix = f"[{index}]" if stacked else ""
            weights = [part[index] for part in (*per_layer, *biases)]
            layers.append(self._layer(suffix, width, *weights))
            width = layers[-1].hidden
        self.layers = tuple(layers)

    def _layer(
        self,
        suffix: str,
        width: int | None,
        weight_ih: object,
        weight_hh: object,
        bias_ih: object,
        bias_hh: object,
    ) -> GatedLayer:
        """One layer's weights checked (suffix: "[l]" in a stack; width: its input's, the
        previous layer's H, or None for the first)."""
        w_hh = as_array("weight_hh" + suffix, weight_hh, (None, None))
        hidden = w_hh.shape[1]
        rows = self.gates * hidden
        if w_hh.shape != (rows, hidden) or hidden == 0:
            raise ValueError(
                f"weight_hh{suffix} must be ({self.gates}H, H) with H >= 1, got {w_hh.shape}"
            )
        w_ih = as_array("weight_ih" + suffix, weight_ih, (rows, width))
        zeros = np.zeros(rows)
        b_ih = zeros if bias_ih is None else as_array("bias_ih" + suffix, bias_ih, (rows,))
        b_hh = zeros if bias_hh is None else as_array("bias_hh" + suffix, bias_hh, (rows,))
        return GatedLayer(w_ih, w_hh, b_ih, b_hh)

    @property
    def hidden(self) -> int:
        """Units per layer H (of the first layer; PyTorch's stacks have one H)."""
        return self.layers[0].hidden

    @property
    def num_layers(self) -> int:
        """Number of layers L."""
        return len(self.layers)

    @property
    def size(self) -> int:
        """The state's dimension N: H per layer for a GRU, 2H for an LSTM."""
        return sum(self.state_width * layer.hidden for layer in self.layers)

    @property
    def input_size(self) -> int:
        """Number of inputs I."""
        return int(self.layers[0].weight_ih.shape[1])

    def core_system(self, inputs: ArrayLike | None = None) -> GatedCore:
        """The C++ system G(s) = f(s, u) - s at a constant input u (I,) (zeros if None)."""
        return self._core_type()(
            [layer.weight_ih for layer in self.layers],
            [layer.weight_hh for layer in self.layers],
            [layer.bias_ih for layer in self.layers],
            [layer.bias_hh for layer in self.layers],
            self.constant_input(inputs),
        )

    def run(self, inputs: ArrayLike, h0: ArrayLike | None = None) -> FloatArray:
        """Iterate the map over inputs (T, I) from the state h0 (N,) (zeros if None); returns
        the states (T, N) after each step, every layer's, stacked as `size` says."""
        u = as_array("inputs", inputs, (None, self.input_size))
        # a copy: the state is updated in place, the caller's h0 is not
        s = np.zeros(self.size) if h0 is None else as_array("h0", h0, (self.size,)).copy()
        states = np.empty((u.shape[0], self.size))
        for t in range(u.shape[0]):
            x, offset = u[t], 0
            for layer in self.layers:
                width = self.state_width * layer.hidden
                s[offset : offset + width] = self._step(layer, s[offset : offset + width], x)
                x = s[offset : offset + layer.hidden]
                offset += width
            states[t] = s
        return states

    @abstractmethod
    def _step(self, layer: GatedLayer, state: FloatArray, x: FloatArray) -> FloatArray:
        """One layer's next state from its state and its input x."""

    def _core_type(self) -> type[GatedCore]:
        """The C++ system's class (one per cell kind)."""
        return self._core_class

    @classmethod
    def _torch_options(cls, module: Any) -> dict[str, Any]:
        """What the constructor needs from a torch module beyond its weights."""
        return {}


def _as_list(value: object, stacked: bool) -> list[object]:
    """One entry per layer: the list given for a stack, or the one array."""
    if not stacked:
        return [value]
    if not isinstance(value, list | tuple):
        raise TypeError("with a list of weight_ih, every argument must be a list (one per layer)")
    return list(value)


class GRU(GatedNetwork):
    """A GRU (one layer or a stack), PyTorch's equations: r = σ(W_ir u + b_ir + W_hr h + b_hr),
    z = σ(W_iz u + b_iz + W_hz h + b_hz), n = tanh(W_in u + b_in + r ⊙ (W_hn h + b_hn)),
    h' = (1 - z) ⊙ n + z ⊙ h. The state is h (N = H L)."""

    gates = 3
    state_width = 1
    _core_class = _core.GRUSystem
    _torch_modules = ("GRU", "GRUCell")

    @classmethod
    def from_torch(cls, module: torch.nn.GRU | torch.nn.GRUCell) -> GRU:
        """The GRU of a trained `torch.nn.GRU` (any num_layers, one direction) or `GRUCell`,
        in float64 (see `rnndyn.networks.from_torch`)."""
        from .from_torch import gated_from_torch

        return gated_from_torch(cls, module)

    def _step(self, layer: GatedLayer, state: FloatArray, x: FloatArray) -> FloatArray:
        H = layer.hidden
        drive = layer.weight_ih @ x + layer.bias_ih
        recurrent = layer.weight_hh @ state + layer.bias_hh
        r = _sigmoid(drive[:H] + recurrent[:H])
        z = _sigmoid(drive[H : 2 * H] + recurrent[H : 2 * H])
        n = np.tanh(drive[2 * H :] + r * recurrent[2 * H :])
        out: FloatArray = (1.0 - z) * n + z * state
        return out


class LSTM(GatedNetwork):
    """An LSTM (one layer or a stack), PyTorch's equations: i, f, o = σ(W_i* u + b_i* + W_h* h
    + b_h*), g = tanh(W_ig u + b_ig + W_hg h + b_hg), c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c').
    Each layer's state is (h, c), h first (N = 2 H L)."""

    gates = 4
    state_width = 2
    _core_class = _core.LSTMSystem
    _torch_modules = ("LSTM", "LSTMCell")

    @classmethod
    def from_torch(cls, module: torch.nn.LSTM | torch.nn.LSTMCell) -> LSTM:
        """The LSTM of a trained `torch.nn.LSTM` (any num_layers, one direction, no
        proj_size) or `LSTMCell`, in float64 (see `rnndyn.networks.from_torch`)."""
        from .from_torch import gated_from_torch

        return gated_from_torch(cls, module)

    def _step(self, layer: GatedLayer, state: FloatArray, x: FloatArray) -> FloatArray:
        H = layer.hidden
        h, c = state[:H], state[H:]
        a = layer.weight_ih @ x + layer.bias_ih + layer.weight_hh @ h + layer.bias_hh
        i, f, o = _sigmoid(a[:H]), _sigmoid(a[H : 2 * H]), _sigmoid(a[3 * H :])
        c_next = f * c + i * np.tanh(a[2 * H : 3 * H])
        return np.concatenate([o * np.tanh(c_next), c_next])


class StackedRNN(GatedNetwork):
    """A stack of vanilla RNN layers, PyTorch's `torch.nn.RNN(num_layers=L)`: layer l's
    h_l' = φ(W_ih x + b_ih + W_hh h_l + b_hh), φ = tanh or relu, x = u for the first layer and
    layer l - 1's new h for the others. The state is h (N = H L).

    `RNN.from_torch` gives one for more than one layer; one layer stays an `RNN`, whose map
    h' = φ(W h + B u + b) is the same. A stack is not an `RNN` of the stacked state: its layers
    chain within a step (layer l reads layer l - 1's *new* h), so G(s) is a composition of
    maps, whose exact products come from the same C++ stack as the GRU's and the LSTM's
    (gated.hpp, with rnn_cell.hpp's one-gate cell). Whatever takes a GRU takes it.
    """

    gates = 1
    state_width = 1
    _core_class = _core.RNNTanhSystem
    _torch_modules = ("RNN", "RNNCell")

    def __init__(
        self,
        weight_ih: ArrayLike | Sequence[ArrayLike],
        weight_hh: ArrayLike | Sequence[ArrayLike],
        bias_ih: ArrayLike | Sequence[ArrayLike] | None = None,
        bias_hh: ArrayLike | Sequence[ArrayLike] | None = None,
        activation: Literal["tanh", "relu"] = "tanh",
    ) -> None:
        """weight_ih (H, I), weight_hh (H, H), bias_ih and bias_hh (H,) or None, each as
        PyTorch holds it, or a list of L of each for a stack (layer l > 1 has weight_ih (H, H));
        activation: PyTorch's nonlinearity, "tanh" or "relu"."""
        self.activation = as_choice("activation", activation, ("tanh", "relu"))
        super().__init__(weight_ih, weight_hh, bias_ih, bias_hh)

    @classmethod
    def from_torch(cls, module: torch.nn.RNN | torch.nn.RNNCell) -> StackedRNN:
        """The stack of a trained `torch.nn.RNN` (any num_layers, one direction) or `RNNCell`,
        tanh or relu, in float64 (see `rnndyn.networks.from_torch`)."""
        from .from_torch import gated_from_torch

        return gated_from_torch(cls, module)

    def _core_type(self) -> type[GatedCore]:
        return _core.RNNReluSystem if self.activation == "relu" else _core.RNNTanhSystem

    @classmethod
    def _torch_options(cls, module: Any) -> dict[str, Any]:
        return {"activation": module.nonlinearity}

    def _step(self, layer: GatedLayer, state: FloatArray, x: FloatArray) -> FloatArray:
        phi = activation_functions(self.activation)[0]
        pre = layer.weight_ih @ x + layer.bias_ih + layer.weight_hh @ state + layer.bias_hh
        out: FloatArray = phi(pre)
        return out
