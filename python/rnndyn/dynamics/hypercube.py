"""A flip-flop network's skeleton read against the hypercube of its outputs: which memories
(attractors whose outputs sit at a corner of the cube, each output near ±1) it has, and
which of the cube's edges a 1-saddle joins."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_array, as_float
from .graph import Skeleton


def bit_patterns(outputs: ArrayLike) -> list[str]:
    """The sign of each output of each row of `outputs` (A, O): "+-+" for z = (0.9, -1, 1)."""
    signs = as_array("outputs", outputs, (None, None)) >= 0
    return ["".join("+" if bit else "-" for bit in row) for row in signs]


def hypercube(skeleton: Skeleton, outputs: ArrayLike, tolerance: float = 0.2) -> dict[str, Any]:
    """The memories and the cube's edges, as JSON-ready lists.

    - outputs: (A, O) the outputs of `skeleton`'s attractors (e.g. `net.output_of(
      sk.attractor_states)`).
    - tolerance: an attractor is a memory when every output is within `tolerance` of ±1.

    Returns {"memories": the bit patterns of the memories, sorted; "edges_with_saddle": the
    cube's edges [pattern, pattern] that some 1-saddle joins (both ends memories);
    "edges_without_saddle": the rest of the cube's O·2^(O-1) edges}."""
    if not isinstance(skeleton, Skeleton):
        raise TypeError(f"skeleton must be a Skeleton, got {type(skeleton).__name__}")
    z = as_array("outputs", outputs, (len(skeleton), None))
    tolerance = as_float("tolerance", tolerance, positive=True)
    patterns = bit_patterns(z)
    at_corner = np.all(np.abs(np.abs(z) - 1.0) <= tolerance, axis=1)
    joined = {
        tuple(sorted((patterns[a], patterns[b])))
        for a, b in skeleton.joined()
        if at_corner[a] and at_corner[b]
    }
    with_saddle: list[list[str]] = []
    without: list[list[str]] = []
    for first, second in _cube_edges(z.shape[1]):
        (with_saddle if (first, second) in joined else without).append([first, second])
    memories = sorted({p for p, corner in zip(patterns, at_corner, strict=True) if corner})
    return {
        "memories": memories,
        "edges_with_saddle": with_saddle,
        "edges_without_saddle": without,
    }


def _cube_edges(bits: int) -> list[tuple[str, str]]:
    """The edges of the `bits`-cube as pairs of patterns (sorted within and between pairs)."""
    corners = ["".join(c) for c in itertools.product("+-", repeat=bits)]
    return sorted(
        (min(a, b), max(a, b))
        for a, b in itertools.combinations(corners, 2)
        if sum(x != y for x, y in zip(a, b, strict=True)) == 1
    )
