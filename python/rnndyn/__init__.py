"""rnndyn: train recurrent rate networks with FORCE and analyse them as dynamical systems.

The concepts live in subpackages (networks, fixedpoints, analysis, plot, app); every public name
is re-exported here, so users write `rnndyn.ESN`, `rnndyn.find_fixed_points`."""

from . import plot, reference, tasks
from .analysis import (
    PCA,
    Evolution,
    MemoryGeometry,
    RobustnessResult,
    fixed_point_evolution,
    grow,
    lyapunov_exponents,
    memory_geometry,
    noise_robustness,
    readout_spectra,
    transfer,
)
from .dynamics import Cycles, Skeleton, find_cycles, skeleton, skeleton_branches
from .errors import DivergenceError
from .fixedpoints import (
    FixedPoints,
    FunctionSystem,
    fastest_states,
    find_fixed_points,
    flipflop_starts,
    sample_states,
    states_with_outputs,
)
from .networks import (
    ESN,
    GRU,
    LSTM,
    RNN,
    RunResult,
    StackedRNN,
    TrainingHistory,
    spectral_radius,
    train_force,
    train_ridge,
)

__all__ = [
    "ESN",
    "GRU",
    "LSTM",
    "RNN",
    "Cycles",
    "DivergenceError",
    "Evolution",
    "FixedPoints",
    "FunctionSystem",
    "MemoryGeometry",
    "PCA",
    "RobustnessResult",
    "RunResult",
    "Skeleton",
    "StackedRNN",
    "TrainingHistory",
    "fastest_states",
    "find_cycles",
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
    "skeleton",
    "skeleton_branches",
    "spectral_radius",
    "states_with_outputs",
    "tasks",
    "train_force",
    "train_ridge",
    "transfer",
]
__version__ = "0.1.0"
