"""The speed landscape q(x) = ½|F(x)|² over a plane, with the flow and the fixed points (the
paper's figure 2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_array, as_int
from ..analysis.pca import PCA
from ..fixedpoints.result import FixedPoints
from ._common import (
    as_fixed_points,
    axes_for,
    component_label,
    legend_outside,
    mark_fixed_points,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..fixedpoints.systems import VelocitySystem
    from ..networks.esn import ESN
    from ..networks.maps import MapNetwork


def speed_landscape(
    system: ESN | MapNetwork | VelocitySystem,
    xlim: ArrayLike,
    ylim: ArrayLike,
    fixed_points: FixedPoints | None = None,
    plane: PCA | tuple[ArrayLike, ArrayLike] | None = None,
    resolution: int = 200,
    ax: Axes | None = None,
    streamlines: bool = True,
    inputs: ArrayLike | None = None,
) -> Axes:
    """Filled contours of q = ½|F|² (log colour scale, colorbar "q") on a grid of
    `resolution` × `resolution` points, the flow as streamlines, and the fixed points.
    Returns the axes.

    - system: an ESN or a map network (F evaluated in batches by the core, at the constant
      `inputs`), or any object with `velocity(x)` (N,) → (N,), e.g. a FunctionSystem (point
      by point).
    - xlim, ylim: (low, high) ranges of the plane's coordinates (a, b).
    - plane: None for a 2-D system, where (a, b) = x; for an N-D system (origin (N,),
      basis (2, N)) or a fitted PCA (its mean and first two axes) defines the slice
      x = origin + a·basis[0] + b·basis[1]. The flow shown is F projected onto the plane
      (least squares in the basis); q is that of the whole F.
    - fixed_points: drawn at their projection onto the plane, coloured as in
      `phase_portrait`.
    """
    resolution = as_int("resolution", resolution, minimum=2)
    limits = [_as_limits(name, value) for name, value in (("xlim", xlim), ("ylim", ylim))]
    origin, basis, labels = _plane(system, plane)
    velocity = _batched_velocity(system, inputs)
    to_plane = np.linalg.pinv(basis)  # (N, 2): least-squares coordinates in the basis

    a, b = (np.linspace(low, high, resolution) for low, high in limits)
    grid_a, grid_b = np.meshgrid(a, b)  # (resolution, resolution), rows along b
    states = origin + grid_a.reshape(-1, 1) * basis[0] + grid_b.reshape(-1, 1) * basis[1]
    flow = velocity(states)
    speed = 0.5 * np.sum(flow**2, axis=1).reshape(grid_a.shape)

    ax = axes_for(ax)
    _log_contours(ax, grid_a, grid_b, speed)
    if streamlines:
        along_a, along_b = (flow @ to_plane).T.reshape(2, *grid_a.shape)
        ax.streamplot(
            a, b, along_a, along_b, color="0.15", linewidth=0.6, arrowsize=0.8, density=1.2
        )
    if fixed_points is not None:
        fixed_points = as_fixed_points(fixed_points)
        if fixed_points.points.shape[1] != origin.size:
            raise ValueError(
                f"fixed_points must have width N = {origin.size}, got "
                f"{fixed_points.points.shape[1]}"
            )
        mark_fixed_points(ax, fixed_points, (fixed_points.points - origin) @ to_plane, size=70)
        legend_outside(ax, below=True)
    ax.set(xlim=limits[0], ylim=limits[1], xlabel=labels[0], ylabel=labels[1])
    return ax


def _as_limits(name: str, value: ArrayLike) -> NDArray[np.float64]:
    limits = as_array(name, value, (2,))
    if not limits[0] < limits[1]:
        raise ValueError(f"{name} must be (low, high) with low < high, got {tuple(limits)}")
    return limits


def _plane(
    system: ESN | MapNetwork | VelocitySystem, plane: PCA | tuple[ArrayLike, ArrayLike] | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[str]]:
    """(origin (N,), basis (2, N), axis labels) of the slice to draw."""
    size = getattr(system, "size", None)
    if isinstance(plane, PCA):
        if plane.n_components < 2:
            raise ValueError("plane: a PCA needs at least 2 components")
        origin = plane.inverse_transform(np.zeros(plane.n_components))  # the mean; fitted?
        basis = plane.components_[:2]
        labels = [component_label(plane, i) for i in range(2)]
    elif plane is None:
        if size not in (None, 2):
            raise ValueError(f"plane=(origin, basis) is needed for a system of size {size} != 2")
        origin, basis, labels = np.zeros(2), np.eye(2), ["x1", "x2"]
    else:
        if not (isinstance(plane, tuple | list) and len(plane) == 2):
            raise ValueError("plane must be (origin (N,), basis (2, N)), a PCA or None")
        origin = as_array("plane origin", plane[0], (None,))
        basis = as_array("plane basis", plane[1], (2, origin.size))
        if np.linalg.matrix_rank(basis) < 2:
            raise ValueError("plane basis must have two linearly independent rows")
        labels = ["a (along basis[0])", "b (along basis[1])"]
    if size is not None and origin.size != size:
        raise ValueError(
            f"plane must lie in the system's space of size {size}, got width {origin.size}"
        )
    return origin, basis, labels


def _batched_velocity(
    system: ESN | MapNetwork | VelocitySystem, inputs: ArrayLike | None
) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    """states (K, N) → F (K, N) for the system."""
    if hasattr(system, "core_system"):  # ESN, RNN: one batched call into the core
        core = system.core_system(inputs)
        return lambda states: core.velocity(states)
    if not callable(getattr(system, "velocity", None)):
        raise TypeError(f"system must have a velocity(x) method, got {type(system).__name__}")
    if inputs is not None:
        raise ValueError("inputs apply to an ESN or RNN; a generic system has none")
    return lambda states: np.array([system.velocity(x) for x in states], dtype=float)


def _log_contours(ax: Axes, grid_a: np.ndarray, grid_b: np.ndarray, speed: np.ndarray) -> None:
    """Filled contours of `speed` on a log scale, with a colorbar "q"; zeros (exact fixed
    points on the grid) and anything 12 decades below the top are shown at the floor."""
    from matplotlib.colors import LogNorm

    top = max(float(np.max(speed)), np.finfo(float).tiny)
    positive = speed[speed > 0]
    floor = max(float(positive.min()) if positive.size else top, top * 1e-12)
    if floor >= top:  # a flat landscape: give the scale one decade
        floor = top / 10
    contours = ax.contourf(
        grid_a,
        grid_b,
        np.clip(speed, floor, top),
        levels=np.geomspace(floor, top, 31),
        norm=LogNorm(floor, top),
        cmap="GnBu",
    )
    # ticks at whole decades; the contour levels matplotlib would tick are unreadable numbers
    decades = 10.0 ** np.arange(np.ceil(np.log10(floor)), np.floor(np.log10(top)) + 1)
    decades = decades[:: int(np.ceil(decades.size / 8)) or 1]  # at most 8 ticks
    if decades.size >= 2:
        ax.figure.colorbar(contours, ax=ax, label="q", ticks=decades)
    else:
        ax.figure.colorbar(
            contours, ax=ax, label="q", ticks=np.geomspace(floor, top, 4), format="%.3g"
        )
