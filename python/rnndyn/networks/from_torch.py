"""Networks trained with PyTorch, brought in as rnndyn systems (weights only).

PyTorch is optional: it is imported only when a conversion is asked for, and nothing here keeps
a reference to the module, so the result is a plain NumPy network that pickles and saves
without torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import torch

    from .rnn import RNN


def rnn_from_torch(module: torch.nn.RNN | torch.nn.RNNCell) -> RNN:
    """An `RNN` with the weights of a trained `torch.nn.RNN` (one layer, tanh) or `RNNCell`.

    PyTorch's recurrence h_t = tanh(W_ih u_t + b_ih + W_hh h_(t-1) + b_hh) is rnndyn's
    h' = φ(W h + B u + b) with W = weight_hh (H, H), B = weight_ih (H, I) and
    b = bias_ih + bias_hh (H,) (None for a module built with bias=False). The weights are
    copied to float64 (exact for float32 and float16 modules); the module is not changed.
    `batch_first` does not matter: it only orders PyTorch's input tensor.

    Raises ImportError without PyTorch, TypeError for anything but an RNN or RNNCell, and
    ValueError for what rnndyn's RNN cannot represent: more than one layer, a bidirectional
    layer, the relu nonlinearity, or weights that are not finite.
    """
    try:
        import torch
    except ImportError as error:  # pragma: no cover - torch is in the test extra
        raise ImportError("RNN.from_torch needs PyTorch: pip install torch") from error
    from .rnn import RNN

    if isinstance(module, torch.nn.RNN):
        if module.num_layers != 1:
            raise ValueError(f"module must have one layer, got num_layers={module.num_layers}")
        if module.bidirectional:
            raise ValueError("module must not be bidirectional: rnndyn's RNN has one direction")
        suffix = "_l0"
    elif isinstance(module, torch.nn.RNNCell):
        suffix = ""
    else:
        raise TypeError(
            f"module must be a torch.nn.RNN or torch.nn.RNNCell, got {type(module).__name__}"
        )
    if module.nonlinearity != "tanh":
        raise ValueError(
            f"module's nonlinearity must be 'tanh' (rnndyn has no relu RNN), "
            f"got {module.nonlinearity!r}"
        )

    def weight(name: str) -> NDArray[np.float64]:
        value = getattr(module, name + suffix).detach().to("cpu", torch.float64).numpy()
        if not np.all(np.isfinite(value)):
            raise ValueError(f"module's {name + suffix} holds non-finite values")
        return np.array(value)  # own the memory, apart from torch's tensor

    bias = weight("bias_ih") + weight("bias_hh") if module.bias else None
    return RNN(weight("weight_hh"), weight("weight_ih"), bias, activation="tanh")
