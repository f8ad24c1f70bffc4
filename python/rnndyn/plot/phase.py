"""Phase portraits: trajectories, starting states and fixed points projected onto principal
components (the paper's figures 6-8)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_array, as_float
from ..analysis.pca import PCA
from ..dynamics.branches import skeleton_branches
from ..dynamics.cycles import Cycles
from ..dynamics.graph import Skeleton
from ..fixedpoints.result import FixedPoints
from ..fixedpoints.systems import VelocitySystem
from ..networks.esn import ESN
from ..networks.maps import MapNetwork
from ._common import (
    STABILITY_COLOURS,
    STABILITY_NAMES,
    as_fixed_points,
    axes_for,
    component_label,
    legend_outside,
    mark_fixed_points,
    stability_class,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from mpl_toolkits.mplot3d import Axes3D


def phase_portrait(
    pca: PCA,
    trajectories: ArrayLike | Sequence[ArrayLike] | None = None,
    fixed_points: FixedPoints | None = None,
    starts: ArrayLike | None = None,
    ax: Axes | None = None,
    saddle_segments: bool = True,
    segment_length: float | None = None,
    legend: bool = True,
    title: str | None = None,
    skeleton: Skeleton | None = None,
    system: ESN | MapNetwork | VelocitySystem | None = None,
    inputs: ArrayLike | None = None,
    cycles: Cycles | None = None,
) -> Axes:
    """Draw states in the basis of a fitted `pca`: 3-D axes on its first three components, or
    2-D axes if it has two. Returns the axes.

    - trajectories: states (T, N), a stack (S, T, N) or a list of (T_i, N): one thin line
      each.
    - fixed_points: points coloured by their number of unstable dimensions (legend "stable",
      "1-saddle", ...), stable ones filled, unstable ones open; slow points as diamonds;
      unconverged ones left out.
    - starts: (K, N) starting states, as small grey dots.
    - saddle_segments: through each saddle, a segment x ± s·v along each unstable right
      eigenvector v (its real part, normalised; the imaginary part for the second of a
      complex pair, so that the pair's unstable plane shows), projected like the rest.
    - segment_length: s in state units; None: half the standard deviation along PC1.
    - skeleton, system, inputs: with a skeleton and the system it was found for (at the
      constant `inputs`), each 1-saddle's two branches (`skeleton_branches`: free runs from
      the saddle along its unstable vector until they settle) as thin lines in the 1-saddle
      colour; and the skeleton's cycles, as `cycles` draws them.
    - cycles: each cycle as a closed curve through its states (a map's k states marked),
      coloured like a fixed point of its unstable dimensions: stable ones solid, others
      dashed.
    """
    if not isinstance(pca, PCA):
        raise TypeError(f"pca must be a fitted rnndyn.PCA, got {type(pca).__name__}")
    width = pca.n_features_in_
    if pca.n_components < 2:
        raise ValueError(f"pca must have at least 2 components, got {pca.n_components}")
    dims = min(pca.n_components, 3)
    ax = axes_for(ax, three_d=dims == 3, figsize=(8, 6) if dims == 3 else (7.5, 5.5))

    def project(states: np.ndarray) -> np.ndarray:
        return pca.transform(states)[..., :dims]

    for i, trajectory in enumerate(_trajectory_list(trajectories, width)):
        ax.plot(
            *project(trajectory).T,
            lw=0.7,
            color="tab:blue",
            alpha=0.6,
            label="trajectories" if i == 0 else "_nolegend_",
        )
    if starts is not None:
        _draw_starts(ax, project(as_array("starts", starts, (None, width))))
    if skeleton is not None or system is not None:
        _draw_branches(ax, skeleton, system, inputs, project)
    for found in _cycles_to_draw(cycles, skeleton):
        _draw_cycles(ax, found, width, project)
    if fixed_points is not None:
        length = _segment_length(pca, segment_length) if saddle_segments else None
        _draw_fixed_points(ax, as_fixed_points(fixed_points), width, project, length)
    _finish(ax, pca, dims, legend, title)
    return ax


def _segment_length(pca: PCA, segment_length: float | None) -> float:
    """`segment_length` checked, or half the standard deviation along PC1."""
    if segment_length is None:
        return float(0.5 * np.sqrt(pca.explained_variance_[0]))
    return as_float("segment_length", segment_length, positive=True)


def _draw_branches(
    ax: Axes,
    skeleton: Skeleton | None,
    system: ESN | MapNetwork | VelocitySystem | None,
    inputs: ArrayLike | None,
    project: Callable[[np.ndarray], NDArray[np.float64]],
) -> None:
    """The branches of the skeleton's 1-saddles, thin lines in the 1-saddle colour."""
    if skeleton is None or system is None:
        raise ValueError("skeleton and system go together: give both to draw the branches")
    for i, path in enumerate(skeleton_branches(system, skeleton, inputs)):
        ax.plot(
            *project(path).T,
            lw=0.8,
            color=STABILITY_COLOURS[1],
            label="1-saddle branches" if i == 0 else "_nolegend_",
        )


def _cycles_to_draw(cycles: Cycles | None, skeleton: Skeleton | None) -> list[Cycles]:
    """The cycles given, and the skeleton's stable and saddle cycles."""
    if cycles is not None and not isinstance(cycles, Cycles):
        raise TypeError(f"cycles must be a Cycles (find_cycles), got {type(cycles).__name__}")
    found = [] if cycles is None else [cycles]
    if skeleton is not None:
        found += [c for c in (skeleton.stable_cycles, skeleton.saddle_cycles) if c is not None]
    return found


def _draw_cycles(
    ax: Axes, cycles: Cycles, width: int, project: Callable[[np.ndarray], NDArray[np.float64]]
) -> None:
    """Each cycle a closed line in the colour of its unstable dimensions (dashed if
    unstable); a map's states marked on it."""
    if cycles.states.shape[1] != width:
        raise ValueError(
            f"cycles must have width N = {width} like the PCA, got {cycles.states.shape[1]}"
        )
    labelled = set(ax.get_legend_handles_labels()[1])
    classes = stability_class(cycles.unstable_dims)
    for orbit, kind in zip(cycles.points, classes.tolist(), strict=True):
        label = f"{STABILITY_NAMES[kind]} cycle"
        path = project(np.vstack([orbit, orbit[:1]]))
        ax.plot(
            *path.T,
            lw=1.6 if kind == 0 else 1.0,
            ls="-" if kind == 0 else "--",
            color=STABILITY_COLOURS[kind],
            marker="o" if cycles.discrete_time else None,
            markersize=3,
            label="_nolegend_" if label in labelled else label,
        )
        labelled.add(label)


def _draw_starts(ax: Axes, dots: np.ndarray) -> None:
    """Starting states (K, dims), projected, as small grey dots."""
    # one dict of keywords: see mark_fixed_points
    style: dict[str, Any] = {"s": 4, "color": "0.6", "label": "starting states"}
    if dots.shape[1] == 3:
        style["depthshade"] = False
    ax.scatter(*dots.T, **style)


def _draw_fixed_points(
    ax: Axes,
    fixed_points: FixedPoints,
    width: int,
    project: Callable[[np.ndarray], NDArray[np.float64]],
    segment_length: float | None,
) -> None:
    """The points, and through each saddle its unstable directions (unless segment_length is
    None)."""
    if fixed_points.points.shape[1] != width:
        raise ValueError(
            f"fixed_points must have width N = {width} like the PCA, got "
            f"{fixed_points.points.shape[1]}"
        )
    if segment_length is not None:
        _draw_unstable_directions(ax, fixed_points, segment_length, project)
    mark_fixed_points(ax, fixed_points, project(fixed_points.points))


def _finish(ax: Axes, pca: PCA, dims: int, legend: bool, title: str | None) -> None:
    """Axis labels (PC1, PC2[, PC3] with their variance), the legend and the title."""
    ax.set_xlabel(component_label(pca, 0))
    ax.set_ylabel(component_label(pca, 1))
    if dims == 3:
        cast("Axes3D", ax).set_zlabel(component_label(pca, 2))
    if legend:
        legend_outside(ax, below=dims == 3)
    if title is not None:
        ax.set_title(title)


def _trajectory_list(
    trajectories: ArrayLike | Sequence[ArrayLike] | None, width: int
) -> list[NDArray[np.float64]]:
    if trajectories is None:
        return []
    if not isinstance(trajectories, list | tuple):
        stack = np.asarray(trajectories)
        trajectories = list(stack) if stack.ndim == 3 else [stack]
    return [as_array(f"trajectories[{i}]", t, (None, width)) for i, t in enumerate(trajectories)]


def _draw_unstable_directions(
    ax: Axes,
    fixed_points: FixedPoints,
    length: float,
    project: Callable[[np.ndarray], NDArray[np.float64]],
) -> None:
    """Segments x ± length·v through each converged saddle x, one per stored unstable vector,
    coloured like the saddle."""
    vectors = fixed_points.unstable_right  # (M, N, u), zero-padded beyond unstable_dims
    used = (np.arange(vectors.shape[2]) < fixed_points.unstable_dims[:, None]) & (
        fixed_points.kind != "unconverged"
    )[:, None]
    point, column = np.nonzero(used)
    if point.size == 0:
        return
    values = fixed_points.eigenvalues[point, column]
    previous = fixed_points.eigenvalues[point, np.maximum(column - 1, 0)]
    second_of_pair = (column > 0) & (values.imag != 0) & np.isclose(values, np.conj(previous))
    # the pair's plane is spanned by Re v and Im v of its first vector (the second is conj v)
    first = vectors[point, :, column - second_of_pair]
    directions = np.where(second_of_pair[:, None], first.imag, first.real)
    norms = np.linalg.norm(directions, axis=1)
    keep = norms > 0
    point, directions = point[keep], directions[keep] / norms[keep, None]
    if point.size == 0:  # every stored vector was zero: nothing to draw
        return
    ends = (
        fixed_points.points[point, None, :]
        + length * np.array([-1.0, 1.0])[None, :, None] * directions[:, None, :]
    )
    segments = project(ends)  # (S, 2, dims)
    colours = [STABILITY_COLOURS[c] for c in stability_class(fixed_points.unstable_dims[point])]
    # no legend entry: each segment has the colour of its saddle's marker
    style: dict[str, Any] = {"colors": colours, "linewidths": 1.5}
    if ax.name == "3d":
        from mpl_toolkits.mplot3d.art3d import Line3DCollection

        cast("Axes3D", ax).add_collection3d(Line3DCollection(segments, **style))
    else:
        from matplotlib.collections import LineCollection

        # the stub asks for a sequence of lines, which an (S, 2, 2) array is to matplotlib
        ax.add_collection(LineCollection(segments, **style))  # type: ignore[arg-type]
        ax.autoscale_view()
