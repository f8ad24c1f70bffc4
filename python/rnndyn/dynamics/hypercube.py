"""A flip-flop network's skeleton read against the hypercube of its outputs: which memories
(attractors whose outputs sit at a corner of the cube, each output near ±1) it has, and
which of the cube's edges a 1-saddle joins."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_array, as_float
from .graph import Skeleton

# an output within this of ±1 holds a bit; an attractor all of whose outputs do is a memory
CORNER_TOLERANCE = 0.2


def bit_patterns(outputs: ArrayLike, tolerance: float | None = None) -> list[str]:
    """The sign of each output of each row of `outputs` (A, O): "+-+" for z = (0.9, -1, 1).

    tolerance: None, every output's sign; a number, "?" for an output farther than
    `tolerance` from ±1 (a bit the row does not hold): "?-+" for z = (0.3, -1, 1)."""
    z = as_array("outputs", outputs, (None, None))
    signs = np.where(z >= 0, "+", "-")
    if tolerance is not None:
        signs[~_holds_bit(z, tolerance)] = "?"
    return ["".join(row) for row in signs]


def at_corner(outputs: ArrayLike, tolerance: float = CORNER_TOLERANCE) -> NDArray[np.bool_]:
    """(A,) whether each row of `outputs` (A, O) is at a corner of the cube (a memory): every
    output within `tolerance` of ±1."""
    corner: NDArray[np.bool_] = np.all(
        _holds_bit(as_array("outputs", outputs, (None, None)), tolerance), axis=1
    )
    return corner


def attractor_names(outputs: ArrayLike, tolerance: float = CORNER_TOLERANCE) -> list[str]:
    """A distinct label for each attractor whose outputs are the rows of `outputs` (A, O),
    as `rnndyn.plot.skeleton_graph` writes them: a memory's bits, "+-+"; any other
    attractor's bits with "?" where an output is not within `tolerance` of ±1, and its
    index, "?-? #8"; a memory whose corner another memory shares gets its index too."""
    z = as_array("outputs", outputs, (None, None))
    bits = bit_patterns(z, tolerance)
    memory = at_corner(z, tolerance)
    shared = Counter(b for b, m in zip(bits, memory, strict=True) if m)
    return [
        b if m and shared[b] == 1 else f"{b} #{a}"
        for a, (b, m) in enumerate(zip(bits, memory, strict=True))
    ]


def _holds_bit(z: NDArray[np.float64], tolerance: float) -> NDArray[np.bool_]:
    """(A, O) whether each output is within `tolerance` of ±1."""
    near: NDArray[np.bool_] = np.abs(np.abs(z) - 1.0) <= as_float(
        "tolerance", tolerance, positive=True
    )
    return near


def hypercube(
    skeleton: Skeleton, outputs: ArrayLike, tolerance: float = CORNER_TOLERANCE
) -> dict[str, Any]:
    """The memories and the cube's edges, as JSON-ready lists.

    - outputs: (A, O) the outputs of `skeleton`'s attractors (e.g. `net.output_of(
      sk.attractor_states)`).
    - tolerance: an attractor is a memory when every output is within `tolerance` of ±1
      (`at_corner`).

    Returns {"memories": the bit patterns of the memories, sorted; "edges_with_saddle": the
    cube's edges [pattern, pattern] that some 1-saddle joins (both ends memories);
    "edges_without_saddle": the rest of the cube's O·2^(O-1) edges}."""
    if not isinstance(skeleton, Skeleton):
        raise TypeError(f"skeleton must be a Skeleton, got {type(skeleton).__name__}")
    z = as_array("outputs", outputs, (len(skeleton), None))
    patterns = bit_patterns(z)
    corner = at_corner(z, tolerance)
    joined = {
        tuple(sorted((patterns[a], patterns[b])))
        for a, b in skeleton.joined()
        if corner[a] and corner[b]
    }
    with_saddle: list[list[str]] = []
    without: list[list[str]] = []
    for first, second in _cube_edges(z.shape[1]):
        (with_saddle if (first, second) in joined else without).append([first, second])
    memories = sorted({p for p, memory in zip(patterns, corner, strict=True) if memory})
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
