"""Fixed and slow points: the search, its result, the linearisation, the Python minimisers for
systems given as functions, and the starting states."""

from .result import KINDS, FixedPoints, Kind
from .search import find_fixed_points
from .starts import fastest_states, flipflop_starts, sample_states, states_with_outputs
from .systems import FunctionSystem, VelocitySystem

__all__ = [
    "KINDS",
    "FixedPoints",
    "FunctionSystem",
    "Kind",
    "VelocitySystem",
    "fastest_states",
    "find_fixed_points",
    "flipflop_starts",
    "sample_states",
    "states_with_outputs",
]
