"""Skeleton: a network's attractors, its fixed points, and the graph that its 1-saddles make
of them (docs/mathematics.md, The skeleton)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._io import load_archive, save_archive
from ..fixedpoints.result import FixedPoints
from .cycles import Cycles

if TYPE_CHECKING:
    import networkx

_FIXED = "fixed_points."
# the arrays saved beside the fixed points, in the order of the fields
_ARRAYS = (
    "attractor_states",
    "attractor_kind",
    "attractor_index",
    "edges",
    "adjacent",
    "boundary_saddle",
    "cycle_edges",
)
# the Cycles saved beside them, by field
_CYCLE_FIELDS = ("stable_cycles", "saddle_cycles")


@dataclass(frozen=True)
class Skeleton:
    """The skeleton of a network.

    - fixed_points: every fixed point found (a FixedPoints, q <= tol_q), linearised.
    - attractor_states: (A, N) a state on each attractor (a stable fixed point; a state on
      the orbit of a stable cycle once cycles join).
    - attractor_kind: (A,) "fixed" (or "cycle").
    - attractor_index: (A,) the attractor's row in `fixed_points` (-1 for a cycle).
    - edges: (E, 3) int, one row per 1-saddle: its row in `fixed_points` and the two
      attractors its unstable branches settle in (ascending; -1, last, for a branch that
      settles at no known attractor).
    - adjacent: (B, 2) int, the pairs of neighbouring attractors (ascending) whose basins
      meet: their straight segment passes directly from one's basin to the other's, and
      not where more basins meet (there edge tracking ends at a saddle of index >= 2). The
      edge state of their boundary is a 1-saddle joining them (an edge) or, where
      `unjoined` lists the pair, a 1-saddle joining others (a chain of saddles) or
      something the skeleton does not hold (a saddle cycle, a chaotic saddle).
    - stable_cycles: the cycles among the attractors (a Cycles, one row per attractor of
      kind "cycle", in their order; a flow's periodic orbits, whose attractor_states lie on
      the cycle of its Euler steps nearby), or None.
    - saddle_cycles: a map's cycles with one unstable direction (a Cycles; none for a
      flow), and cycle_edges: (E', 3) int, one row per saddle cycle: its row in
      `saddle_cycles` and the two attractors its unstable branches settle in (as `edges`).
    - boundary_saddle: (B,) int, for each adjacent pair the row in `fixed_points` of the
      1-saddle that joins it, else of the saddle at which edge tracking along its boundary
      came to rest, else -1 (the runs did not come to rest within the skeleton's `rounds`:
      the edge state is not a fixed point, or one the tracking did not reach).
    """

    fixed_points: FixedPoints
    attractor_states: np.ndarray
    attractor_kind: np.ndarray
    attractor_index: np.ndarray
    edges: np.ndarray
    adjacent: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.intp))
    boundary_saddle: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    saddle_cycles: Cycles | None = None
    cycle_edges: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), dtype=np.intp))
    stable_cycles: Cycles | None = None

    def __len__(self) -> int:
        """The number of attractors."""
        return int(self.attractor_states.shape[0])

    @property
    def saddles(self) -> np.ndarray:
        """(S,) rows of `fixed_points` that are saddles (index >= 1), by index then q."""
        fps = self.fixed_points
        rows = np.flatnonzero((fps.kind == "fixed") & (fps.unstable_dims > 0))
        return rows[np.argsort(fps.unstable_dims[rows], kind="stable")]

    def joined(self) -> set[tuple[int, int]]:
        """The pairs of attractors (a < b) that some 1-saddle (or saddle cycle) joins."""
        rows = np.vstack([self.edges, self.cycle_edges]).reshape(-1, 3)
        return {(int(a), int(b)) for _, a, b in rows if a >= 0 and b >= 0 and a != b}

    def unjoined(self) -> np.ndarray:
        """(U, 2) the adjacent pairs of attractors that no 1-saddle found joins."""
        joined = self.joined()
        rows = [tuple(map(int, pair)) not in joined for pair in self.adjacent]
        unjoined: np.ndarray = self.adjacent[np.array(rows, dtype=bool)].reshape(-1, 2)
        return unjoined

    def summary(self) -> str:
        """A few lines: attractors by kind, saddles by index, edges."""
        kinds, counts = np.unique(self.attractor_kind, return_counts=True)
        lines = [
            f"{len(self)} attractors ("
            + ", ".join(f"{c} {k}" for k, c in zip(kinds, counts, strict=True))
            + f"), {len(self.fixed_points)} fixed points"
        ]
        dims = self.fixed_points.unstable_dims[self.saddles]
        index, how_many = np.unique(dims, return_counts=True)
        detail = ", ".join(
            f"{c} {k}-saddle{'s' if c > 1 else ''}" for k, c in zip(index, how_many, strict=True)
        )
        lines.append(f"  saddles: {dims.size}" + (f" ({detail})" if dims.size else ""))
        lines.append(
            f"  edges: {len(self.edges)} 1-saddles join {len(self.joined())} pairs of attractors"
            + (
                f" ({len(self.cycle_edges)} saddle cycles with them)"
                if len(self.cycle_edges)
                else ""
            )
        )
        if len(self.adjacent):
            lines.append(self._boundaries_line())
        if self.stable_cycles is not None and len(self.stable_cycles):
            periods = ", ".join(f"{p:.6g}" for p in self.stable_cycles.period.tolist())
            lines.append(f"  cycles among the attractors: periods {periods}")
        return "\n".join(lines)

    def _boundaries_line(self) -> str:
        """How many pairs of attractors meet, and what lies between those no 1-saddle joins."""
        unjoined = [tuple(map(int, p)) not in self.joined() for p in self.adjacent]
        rows = self.boundary_saddle[np.array(unjoined, dtype=bool)]
        line = (
            f"  boundaries: {len(self.adjacent)} pairs of attractors meet on their segment, "
            f"{rows.size} of them joined by no 1-saddle found"
        )
        if rows.size:
            moving = int(np.sum(rows < 0))
            line += (
                f" ({rows.size - moving} whose boundary leads to a saddle joining others, "
                f"{moving} whose tracked runs never came to rest)"
            )
        return line

    def __repr__(self) -> str:
        return f"Skeleton(\n{self.summary()}\n)"

    def to_networkx(self) -> networkx.MultiGraph:
        """The graph: a node per attractor (attributes `state`, `kind`) and per 1-saddle
        (`saddle`: its row in fixed_points), an edge from each 1-saddle to each attractor its
        branches reach. Needs networkx (`pip install "rnndyn[graph]"`)."""
        try:
            import networkx
        except ImportError:
            raise ImportError('to_networkx needs networkx: pip install "rnndyn[graph]"') from None
        graph = networkx.MultiGraph()
        for a in range(len(self)):
            graph.add_node(
                ("attractor", a), state=self.attractor_states[a], kind=str(self.attractor_kind[a])
            )
        for saddle, a, b in self.edges:
            node = ("saddle", int(saddle))
            graph.add_node(node, state=self.fixed_points.points[saddle])
            for end in (a, b):
                if end >= 0:
                    graph.add_edge(node, ("attractor", int(end)))
        return graph

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save to `path` (.npz, no pickle); returns the path."""
        arrays: dict[str, np.ndarray] = {}
        meta: dict[str, Any] = {}
        for item in fields(self.fixed_points):
            value = getattr(self.fixed_points, item.name)
            if isinstance(value, np.ndarray):
                arrays[_FIXED + item.name] = value
            else:
                meta[_FIXED + item.name] = list(value) if isinstance(value, tuple) else value
        for name in _ARRAYS:
            arrays[name] = getattr(self, name)
        for name in _CYCLE_FIELDS:
            cycles = getattr(self, name)
            for item in fields(cycles) if cycles is not None else ():
                arrays[f"{name}.{item.name}"] = getattr(cycles, item.name)
        return save_archive(path, "Skeleton", arrays, meta)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Skeleton:
        """Load a skeleton written by `save`."""
        arrays, meta = load_archive(path, "Skeleton")
        prefix = len(_FIXED)
        try:
            settings: dict[str, Any] = {
                k[prefix:]: v for k, v in meta.items() if k.startswith(_FIXED)
            }
            per_point: dict[str, Any] = {
                k[prefix:]: v for k, v in arrays.items() if k.startswith(_FIXED)
            }
            fixed = FixedPoints(**per_point, **settings)
            return cls(
                fixed,
                arrays["attractor_states"],
                arrays["attractor_kind"],
                arrays["attractor_index"],
                arrays["edges"],
                arrays.get("adjacent", np.zeros((0, 2), dtype=np.intp)),
                arrays.get("boundary_saddle", np.zeros(0, dtype=np.intp)),
                _cycles(arrays, "saddle_cycles"),
                arrays.get("cycle_edges", np.zeros((0, 3), dtype=np.intp)),
                _cycles(arrays, "stable_cycles"),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a valid Skeleton archive ({exc})") from None


def _cycles(arrays: dict[str, np.ndarray], name: str) -> Cycles | None:
    """The Cycles saved in `arrays` as the field `name`, if any."""
    prefix = name + "."
    saved = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
    return Cycles(**saved) if saved else None
