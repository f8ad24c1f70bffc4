"""The dynamics beyond single points: free runs, basin boundaries and the skeleton of a
network (its attractors, the saddles between them and the graph they make)."""

from .branches import skeleton_branches
from .graph import Skeleton
from .skeletonize import skeleton

__all__ = ["Skeleton", "skeleton", "skeleton_branches"]
