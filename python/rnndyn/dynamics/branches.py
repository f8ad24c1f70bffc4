"""The heteroclinic branches of a skeleton's 1-saddles: the free runs from x* ± ε v along each
saddle's unstable vector v to the attractors they settle in (docs/mathematics.md, The
skeleton). `skeleton` runs them to find which attractors each saddle joins; `skeleton_branches`
runs them again, recording the paths, to draw them."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_float, as_int, as_jobs
from ..fixedpoints.result import FixedPoints
from ..fixedpoints.search import resolve_system
from ..fixedpoints.systems import VelocitySystem
from ..networks.esn import ESN
from ..networks.maps import MapNetwork
from .flow import REST_SPEED, FloatArray, Flow, settle, settling_radii
from .graph import Skeleton


def branch_starts(
    fixed_points: FixedPoints, rows: NDArray[np.intp], attractors: FloatArray, share: float
) -> FloatArray:
    """Where the branches of the 1-saddles at `rows` of `fixed_points` start (2S, N): first
    x + s v for every saddle, then x - s v, v its unstable vector (real, normalised) and s
    `share` of its distance to the nearest of `attractors` (A, N)."""
    v = np.real(fixed_points.unstable_right[rows, :, 0])
    return either_side(fixed_points.points[rows], v, attractors, share)


def either_side(x: FloatArray, v: FloatArray, attractors: FloatArray, share: float) -> FloatArray:
    """(2S, N): first x + s v for every saddle state x (S, N), then x - s v, v its unstable
    direction (S, N, normalised here) and s `share` of its distance to the nearest of
    `attractors` (A, N)."""
    v = v / np.linalg.norm(v, axis=1, keepdims=True)
    distance = np.min(np.linalg.norm(x[:, None] - attractors[None], axis=2), axis=1)
    shift = (share * distance)[:, None] * v
    starts: FloatArray = np.vstack([x + shift, x - shift])
    return starts


def skeleton_branches(
    system: ESN | MapNetwork | VelocitySystem,
    skeleton: Skeleton,
    inputs: ArrayLike | None = None,
    n_jobs: int | None = None,
    *,
    max_steps: int = 5_000,
    branch: float = 1e-3,
    radius: float = 0.25,
    step: float | None = None,
) -> list[FloatArray]:
    """The two branches of each edge of `skeleton` (a 1-saddle of `system`, at the constant
    `inputs` it was found at): free runs from x ± branch·d·v (as in `skeleton`), each (T_i, N)
    from its start, every 5 steps, to where it came within `radius` times the distance
    between attractors of one of them (or came to rest, or `max_steps` passed). Returns a
    list of 2E arrays, the branches of edge e at 2e and 2e + 1.

    n_jobs: threads (None: the cores this process may use); step: the step of free runs for
    a continuous-time Python system (default 0.1)."""
    if not isinstance(skeleton, Skeleton):
        raise TypeError(f"skeleton must be a Skeleton, got {type(skeleton).__name__}")
    size, core, _ = resolve_system(system, inputs)
    width = skeleton.attractor_states.shape[1]
    if size is not None and size != width:
        raise ValueError(f"skeleton must have width N = {size} like the system, got {width}")
    share = as_float("radius", radius, positive=True)
    flow = Flow.of(system, core, as_jobs("n_jobs", n_jobs), step, inputs)
    rows = skeleton.edges[:, 0].astype(np.intp)
    if rows.size == 0:
        return []
    attractors = skeleton.attractor_states
    starts = branch_starts(
        skeleton.fixed_points, rows, attractors, as_float("branch", branch, positive=True)
    )
    settled = settle(
        flow,
        starts,
        attractors,
        settling_radii(attractors, share, saddles=skeleton.fixed_points.points[rows]),
        as_int("max_steps", max_steps, minimum=1),
        REST_SPEED * np.sqrt(width),
        record=True,
    )
    assert settled.paths is not None  # recorded
    paths = [_finite_part(path) for path in settled.paths]
    plus, minus = paths[: rows.size], paths[rows.size :]
    return [path for pair in zip(plus, minus, strict=True) for path in pair]


def _finite_part(path: FloatArray) -> FloatArray:
    """The states (T, N) up to the first non-finite one: a run that diverged ends where it
    was last finite."""
    finite = np.all(np.isfinite(path), axis=1)
    return path if finite.all() else path[: int(np.argmin(finite))]
