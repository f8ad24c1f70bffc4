"""The dynamics beyond single points: free runs, basin boundaries and the skeleton of a
network (its attractors, the saddles between them and the graph they make), and the cycles of
maps."""

from .branches import skeleton_branches
from .cycles import Cycles, find_cycles
from .graph import Skeleton
from .hypercube import bit_patterns, hypercube
from .skeletonize import skeleton

__all__ = [
    "Cycles",
    "Skeleton",
    "bit_patterns",
    "find_cycles",
    "hypercube",
    "skeleton",
    "skeleton_branches",
]
