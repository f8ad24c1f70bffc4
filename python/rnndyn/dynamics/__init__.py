"""The dynamics beyond single points: free runs, basin boundaries and the skeleton of a
network (its attractors, the saddles between them and the graph they make)."""

from .branches import skeleton_branches
from .graph import Skeleton
from .hypercube import bit_patterns, hypercube
from .skeletonize import skeleton

__all__ = ["Skeleton", "bit_patterns", "hypercube", "skeleton", "skeleton_branches"]
