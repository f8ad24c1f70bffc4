"""The networks: the ESN with output feedback and its FORCE and ridge training, the
discrete-time maps (the RNN, the GRU, the LSTM and the stacked RNN, and their import from
PyTorch),
activations and spectral radius."""

from .esn import ESN, RunResult
from .gated import GRU, LSTM, GatedNetwork, StackedRNN
from .maps import MapNetwork
from .rnn import RNN
from .spectral import spectral_radius
from .training import TrainingHistory, train_force, train_ridge

__all__ = [
    "ESN",
    "GRU",
    "LSTM",
    "RNN",
    "GatedNetwork",
    "MapNetwork",
    "RunResult",
    "StackedRNN",
    "TrainingHistory",
    "spectral_radius",
    "train_force",
    "train_ridge",
]
