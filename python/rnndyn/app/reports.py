"""What the command line and the study write about a skeleton: JSON-ready descriptions, so
that `summary.json` and the study's `results.json` say the same things in the same words,
written as strict JSON (`json_text`)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from ..dynamics.cycles import Cycles
from ..dynamics.graph import Skeleton
from ..dynamics.hypercube import hypercube
from ..networks.esn import ESN


def json_text(value: Any) -> str:
    """`value` as indented, strict JSON text ending in a newline. JSON has no infinity or NaN
    (Python's `json` would write `Infinity`, which other readers refuse): a non-finite float,
    such as the error of a run that diverged, is written as null."""
    return json.dumps(_finite_or_null(value), indent=2, allow_nan=False) + "\n"


def _finite_or_null(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite_or_null(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_null(item) for item in value]
    return value


def describe_skeleton(sk: Skeleton, net: ESN) -> dict[str, Any]:
    """Attractors (by kind), saddles by index, the edges [saddle, a, b] (and [saddle cycle, a,
    b] for a map), the pairs of attractors
    whose basins meet ("adjacent"), the saddle on each one's boundary (-1: none reached) and
    those pairs no 1-saddle joins, and for a flip-flop network (inputs = outputs) the
    hypercube of its outputs: its memories and which edges a 1-saddle joins; the cycles among
    the attractors and the saddle cycles (`describe_cycles`)."""
    kinds, kind_counts = np.unique(sk.attractor_kind, return_counts=True)
    index, index_counts = np.unique(sk.fixed_points.unstable_dims[sk.saddles], return_counts=True)
    described: dict[str, Any] = {
        "attractors": len(sk),
        "attractor_kind": {str(k): int(c) for k, c in zip(kinds, kind_counts, strict=True)},
        "saddles_by_index": {str(k): int(c) for k, c in zip(index, index_counts, strict=True)},
        "edges": sk.edges.tolist(),
        "cycle_edges": sk.cycle_edges.tolist(),
        "adjacent": sk.adjacent.tolist(),
        "boundary_saddle": sk.boundary_saddle.tolist(),
        "unjoined": sk.unjoined().tolist(),
        "cycles": describe_cycles(sk.stable_cycles) + describe_cycles(sk.saddle_cycles),
    }
    if net.n_inputs == net.n_outputs:
        described["hypercube"] = hypercube(sk, net.output_of(sk.attractor_states))
    return described


def describe_cycles(cycles: Cycles | None) -> list[dict[str, Any]]:
    """One entry per cycle: its period (steps of a map, time units of a flow), whether it
    is stable, its unstable dimensions and the moduli of its three leading multipliers (a
    flow's trivial one left out)."""
    if cycles is None:
        return []
    described = []
    for i in range(len(cycles)):
        moduli = np.abs(cycles.multipliers[i])
        if cycles.trivial[i] >= 0:
            moduli = np.delete(moduli, cycles.trivial[i])
        described.append(
            {
                "period": cycles.period[i].item(),
                "stable": bool(cycles.is_stable[i]),
                "unstable_dims": int(cycles.unstable_dims[i]),
                "leading_multipliers": [float(m) for m in moduli[np.isfinite(moduli)][:3]],
            }
        )
    return described
