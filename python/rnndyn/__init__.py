"""rnndyn: train recurrent rate networks with FORCE and analyse them as dynamical systems."""

from . import plot, reference, tasks
from .errors import DivergenceError
from .evolution import Evolution, fixed_point_evolution
from .fixedpoints import FixedPoints, find_fixed_points
from .geometry import MemoryGeometry, memory_geometry
from .initial_states import fastest_states, flipflop_starts, sample_states, states_with_outputs
from .lyapunov import lyapunov_exponents
from .network import ESN, RunResult
from .pca import PCA
from .robustness import RobustnessResult, noise_robustness
from .spectra import readout_spectra
from .spectral import spectral_radius
from .systems import RNN, FunctionSystem
from .training import TrainingHistory, train_force, train_ridge
from .transfer import grow, transfer

__all__ = [
    "ESN",
    "RNN",
    "DivergenceError",
    "Evolution",
    "FixedPoints",
    "FunctionSystem",
    "MemoryGeometry",
    "PCA",
    "RobustnessResult",
    "RunResult",
    "TrainingHistory",
    "fastest_states",
    "find_fixed_points",
    "fixed_point_evolution",
    "flipflop_starts",
    "grow",
    "lyapunov_exponents",
    "memory_geometry",
    "noise_robustness",
    "plot",
    "readout_spectra",
    "reference",
    "sample_states",
    "spectral_radius",
    "states_with_outputs",
    "tasks",
    "train_force",
    "train_ridge",
    "transfer",
]
__version__ = "0.1.0"
