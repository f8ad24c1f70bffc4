"""Networks trained with PyTorch, brought in as rnndyn systems (weights only).

PyTorch is optional: it is imported only when a conversion is asked for, and nothing here keeps
a reference to the module, so the result is a plain NumPy network that pickles and saves
without torch. Weights are copied to float64 (exact for float32 and float16 modules); the
module is not changed. `batch_first` does not matter: it only orders PyTorch's input tensor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import torch

    from .activations import Activation
    from .gated import GatedNetwork, StackedRNN
    from .rnn import RNN

    Gated = TypeVar("Gated", bound=GatedNetwork)


def rnn_from_torch(module: torch.nn.RNN | torch.nn.RNNCell) -> RNN | StackedRNN:
    """An `RNN` with the weights of a trained one-layer `torch.nn.RNN` or `RNNCell`, or a
    `StackedRNN` for num_layers > 1.

    PyTorch's recurrence h_t = φ(W_ih u_t + b_ih + W_hh h_(t-1) + b_hh), φ its nonlinearity
    (tanh or relu), is rnndyn's h' = φ(W h + B u + b) with W = weight_hh (H, H),
    B = weight_ih (H, I) and b = bias_ih + bias_hh (H,) (None for a module built with
    bias=False). A stack's layers chain within a step, which no single `RNN` represents: it
    becomes a `StackedRNN` (see `gated_from_torch`).

    Raises ImportError without PyTorch, TypeError for anything but an RNN or RNNCell, and
    ValueError for what rnndyn cannot represent: a bidirectional module, or weights that are
    not finite.
    """
    torch = _torch("RNN.from_torch")
    from .gated import StackedRNN
    from .rnn import RNN

    suffixes = _layer_suffixes(module, torch.nn.RNN, torch.nn.RNNCell)
    if len(suffixes) > 1:
        return gated_from_torch(StackedRNN, module)
    (suffix,) = suffixes
    bias = (
        _weight(module, "bias_ih" + suffix) + _weight(module, "bias_hh" + suffix)
        if module.bias
        else None
    )
    # torch.nn.RNN takes only these two
    activation: Activation = "relu" if module.nonlinearity == "relu" else "tanh"
    return RNN(
        _weight(module, "weight_hh" + suffix),
        _weight(module, "weight_ih" + suffix),
        bias,
        activation=activation,
    )


def gated_from_torch(cls: type[Gated], module: Any) -> Gated:
    """A `GRU`, `LSTM` or `StackedRNN` (cls) with the weights of a trained `torch.nn.GRU` /
    `GRUCell`, `torch.nn.LSTM` / `LSTMCell` or `torch.nn.RNN` / `RNNCell` (and its
    nonlinearity): every layer's weight_ih, weight_hh, bias_ih and bias_hh as
    PyTorch stacks them (zeros for a module built with bias=False); a stack of layers becomes
    one system whose state stacks theirs (see `rnndyn.networks.gated`). A module's `dropout`
    acts between layers in training only: the map is the module in eval mode.

    Raises ImportError without PyTorch, TypeError for any other module, and ValueError for
    what rnndyn cannot represent: a bidirectional module, an LSTM with proj_size, or weights
    that are not finite.
    """
    torch = _torch(f"{cls.__name__}.from_torch")
    suffixes = _layer_suffixes(module, *(getattr(torch.nn, name) for name in cls._torch_modules))
    weights = {
        name: [_weight(module, name + suffix) for suffix in suffixes]
        for name in ("weight_ih", "weight_hh")
    }
    biases = {
        name: [_weight(module, name + suffix) for suffix in suffixes] if module.bias else None
        for name in ("bias_ih", "bias_hh")
    }
    return cls(
        weights["weight_ih"],
        weights["weight_hh"],
        biases["bias_ih"],
        biases["bias_hh"],
        **cls._torch_options(module),
    )


def _torch(caller: str) -> Any:
    """The torch module, or an ImportError naming what needs it."""
    try:
        import torch
    except ImportError as error:  # pragma: no cover - torch is in the test extra
        raise ImportError(f"{caller} needs PyTorch: pip install torch") from error
    return torch


def _layer_suffixes(module: Any, layer: Any, cell: Any) -> list[str]:
    """The suffixes of the module's weight names, one per layer ("_l0", "_l1", ...; "" for a
    cell), after checking that rnndyn can represent it."""
    if isinstance(module, cell):
        return [""]
    if not isinstance(module, layer):
        raise TypeError(
            f"module must be a torch.nn.{layer.__name__} or torch.nn.{cell.__name__}, "
            f"got {type(module).__name__}"
        )
    if module.bidirectional:
        raise ValueError("module must not be bidirectional: rnndyn's maps run one direction")
    if getattr(module, "proj_size", 0):
        raise ValueError(f"module must have proj_size=0 (no projection), got {module.proj_size}")
    return [f"_l{index}" for index in range(module.num_layers)]


def _weight(module: Any, name: str) -> NDArray[np.float64]:
    """The module's parameter `name` in float64, in memory of its own; refused if not finite."""
    value = getattr(module, name).detach().cpu().double().numpy()
    if not np.all(np.isfinite(value)):
        raise ValueError(f"module's {name} holds non-finite values")
    return np.array(value)  # own the memory, apart from torch's tensor
