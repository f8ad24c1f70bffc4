"""rnndyn: train recurrent rate networks with FORCE and analyse them as dynamical systems."""

from . import reference, tasks
from .errors import DivergenceError
from .network import ESN, RunResult
from .spectral import spectral_radius
from .training import TrainingHistory, train_force, train_ridge

__all__ = [
    "ESN",
    "DivergenceError",
    "RunResult",
    "TrainingHistory",
    "reference",
    "spectral_radius",
    "tasks",
    "train_force",
    "train_ridge",
]
__version__ = "0.1.0"
