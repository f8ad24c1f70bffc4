"""The shape of a set of memories (the paper's section 7.1, figure 8): the stable fixed points of
an n-bit flip-flop sit near the corners of a hypercube in state space; how long its edges are
along each bit, and how its variance spreads over principal components, tell a tesseract
projected edge-first (a hexagonal prism, all bits alike) from one projected face-first (a
cuboid, one bit apart).

Which of those a 3-D picture on the top three principal components shows is decided by the
axis the picture leaves out, the fourth: a tesseract's parallel projection along a direction
with weight on one bit is a cube (cell-first), on two bits alike a cuboid (face-first), on
three a hexagonal prism (edge-first), on four a rhombic dodecahedron (vertex-first).
`projection_bits` counts those bits; the edge lengths (`anisotropy`) do not say it, since
equal edges projected along a one-bit or a three-bit direction give a cube or a prism."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_array
from .pca import PCA


@dataclass(frozen=True)
class MemoryGeometry:
    """Edges and spread of a hypercube of memories.

    - codes: (M, B) the ±1 pattern each memory stores (the sign of its output).
    - edges: (E, 2) index pairs of memories whose codes differ in exactly one bit.
    - edge_bits: (E,) the bit each edge flips.
    - edge_lengths: (E,) Euclidean distances between the edge's memories (state units).
    - bit_lengths: (B,) mean edge length per flipped bit.
    - bit_cosines: (B, B) cosines between the bits' mean edge vectors (each from the memory
      with the bit at -1 to the one with it at +1): the identity for a right-angled box; the
      lengths and these angles fix the shape of a parallelotope, whatever the projection.
    - explained_variance_ratio: (min(M, N, B + 1),) of the memories' principal components.
    - axis_bit_cosines: (min(M, N, B + 1), B) cosines between each principal axis and each
      bit's mean edge direction.
    """

    codes: np.ndarray
    edges: np.ndarray
    edge_bits: np.ndarray
    edge_lengths: np.ndarray
    bit_lengths: np.ndarray
    bit_cosines: np.ndarray
    explained_variance_ratio: np.ndarray
    axis_bit_cosines: np.ndarray

    @property
    def anisotropy(self) -> float:
        """Longest over shortest mean edge length across bits: 1 for a cube with equal sides."""
        return float(self.bit_lengths.max() / self.bit_lengths.min())

    @property
    def edge_spread(self) -> float:
        """Coefficient of variation of all edge lengths (0 when every edge is as long)."""
        return float(np.std(self.edge_lengths) / np.mean(self.edge_lengths))

    @property
    def skew(self) -> float:
        """Largest absolute cosine between two bits' edge directions (0 for a right-angled
        box)."""
        off = self.bit_cosines[~np.eye(len(self.bit_cosines), dtype=bool)]
        return float(np.max(np.abs(off))) if off.size else 0.0

    @property
    def projection_bits(self) -> float | None:
        """How many bits the 3-D picture on the top three principal components mixes: the
        participation number 1 / sum(c_b^4) of the fourth principal axis over the bits, c its
        cosines with the bits' edge directions scaled to sum(c_b^2) = 1. 1 for a tesseract
        projected cell-first (a cube), 2 face-first (a cuboid), 3 edge-first (a hexagonal
        prism), 4 vertex-first; None with fewer than 4 bits (the picture keeps every bit)."""
        if self.codes.shape[1] < 4 or len(self.axis_bit_cosines) < 4:
            return None
        cosines = self.axis_bit_cosines[3]
        weights = cosines**2 / np.sum(cosines**2)
        return float(1 / np.sum(weights**2))

    def as_dict(self) -> dict[str, Any]:
        """The measures, JSON-ready."""
        bits = self.projection_bits
        return {
            "memories": len(self.codes),
            "edges": len(self.edges),
            "bit_edge_lengths": np.round(self.bit_lengths, 4).tolist(),
            "anisotropy": round(self.anisotropy, 4),
            "edge_length_cv": round(self.edge_spread, 4),
            "bit_cosines": np.round(self.bit_cosines, 4).tolist(),
            "skew": round(self.skew, 4),
            "explained_variance_ratio": np.round(self.explained_variance_ratio, 4).tolist(),
            "projection_bits": None if bits is None else round(bits, 4),
        }


def memory_geometry(points: ArrayLike, outputs: ArrayLike) -> MemoryGeometry:
    """Measure the hypercube of memories at `points` (M, N) whose outputs are `outputs` (M, B).

    Each memory's code is the sign of its output; codes must be distinct, and every bit must be
    flipped by at least one edge (ValueError otherwise: then the points are not a hypercube's
    corners, e.g. a memory was missed).
    """
    points = as_array("points", points, (None, None))
    outputs = as_array("outputs", outputs, (points.shape[0], None))
    codes = np.where(outputs >= 0, 1, -1)
    if len({tuple(c) for c in codes}) != len(codes):
        raise ValueError("outputs: two memories share a sign pattern; pass one point per code")
    differ = codes[:, None, :] != codes[None, :, :]  # (M, M, B)
    first, second = np.nonzero(np.triu(differ.sum(axis=2) == 1))
    bits = np.argmax(differ[first, second], axis=1)
    lengths = np.linalg.norm(points[first] - points[second], axis=1)
    missing = np.setdiff1d(np.arange(codes.shape[1]), bits)
    if missing.size:
        raise ValueError(
            f"outputs: no pair of memories differs in bit(s) {missing.tolist()} "
            "alone, so their edges cannot be measured"
        )
    bit_lengths = np.array([lengths[bits == b].mean() for b in range(codes.shape[1])])
    # each edge oriented from the bit's -1 end to its +1 end
    edge_vectors = (points[second] - points[first]) * codes[second, bits][:, None]
    directions = np.array([edge_vectors[bits == b].mean(axis=0) for b in range(codes.shape[1])])
    unit = directions / np.linalg.norm(directions, axis=1, keepdims=True)
    pca = PCA(min(*points.shape, codes.shape[1] + 1)).fit(points)
    return MemoryGeometry(
        codes,
        np.column_stack([first, second]),
        bits,
        lengths,
        bit_lengths,
        unit @ unit.T,
        pca.explained_variance_ratio_,
        pca.components_ @ unit.T,
    )
