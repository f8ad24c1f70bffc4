"""The networks: the ESN with output feedback and its FORCE and ridge training, the
discrete-time RNN (and its import from PyTorch), activations and spectral radius."""

from .esn import ESN, RunResult
from .rnn import RNN
from .spectral import spectral_radius
from .training import TrainingHistory, train_force, train_ridge

__all__ = [
    "ESN",
    "RNN",
    "RunResult",
    "TrainingHistory",
    "spectral_radius",
    "train_force",
    "train_ridge",
]
