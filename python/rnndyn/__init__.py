"""rnndyn: train recurrent rate networks with FORCE and analyse them as dynamical systems."""

from . import reference, tasks
from .errors import DivergenceError
from .fixedpoints import FixedPoints, find_fixed_points
from .initial_states import sample_states, states_with_outputs
from .network import ESN, RunResult
from .spectral import spectral_radius
from .systems import RNN, FunctionSystem
from .training import TrainingHistory, train_force, train_ridge

__all__ = [
    "ESN",
    "RNN",
    "DivergenceError",
    "FixedPoints",
    "FunctionSystem",
    "RunResult",
    "TrainingHistory",
    "find_fixed_points",
    "reference",
    "sample_states",
    "spectral_radius",
    "states_with_outputs",
    "tasks",
    "train_force",
    "train_ridge",
]
__version__ = "0.1.0"
