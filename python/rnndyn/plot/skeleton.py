"""The skeleton as a graph: the memories placed by their outputs (or their states), each
1-saddle halfway between the two attractors it joins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_array
from ..dynamics.graph import Skeleton
from ..dynamics.hypercube import CORNER_TOLERANCE, at_corner, attractor_names
from ._common import STABILITY_COLOURS, STABILITY_NAMES, axes_for, legend_outside

if TYPE_CHECKING:
    from matplotlib.axes import Axes

FloatArray = NDArray[np.float64]
# the oblique projection of the output cube onto the page: z3 moves a corner up and to the
# right by half its length at 30°, so the 8 corners, 12 edges and their midpoints all differ
OBLIQUE = np.array([[1.0, 0.0], [0.0, 1.0], [0.5 * np.cos(np.pi / 6), 0.5 * np.sin(np.pi / 6)]])
# a saddle with one end at no attractor (or both at one) sits this share of the layout's
# size from its attractor, its dangling branch a stub of the same length beyond it
_STUB = 0.15
# an attractor off the output cube's corners: not one of the memories
OTHER_ATTRACTOR_COLOUR = "0.5"


def skeleton_graph(
    skeleton: Skeleton,
    outputs: ArrayLike | None = None,
    ax: Axes | None = None,
    labels: bool = True,
    tolerance: float = CORNER_TOLERANCE,
) -> Axes:
    """Draw the skeleton as a graph on 2-D axes; returns the axes.

    - outputs: (A, O) the outputs of the attractors (e.g. `net.output_of(sk.attractor_states)`)
      place them: O = 2 as they are, O = 3 by a fixed oblique projection of the cube
      (`OBLIQUE`: all 8 corners and 12 edges show), O = 1 on a line, O > 3 by the first two
      principal components of the outputs. None: by the first two principal components of
      the attractor states.
    - labels: with outputs, a memory (an attractor at a corner of the output cube: every
      output within `tolerance` of ±1, as in `rnndyn.dynamics.hypercube`) by its bit pattern,
      "+-+"; any other attractor by its bits with "?" for each output not near ±1, followed
      by its index in the skeleton, "?-? #8" (its row in `attractor_states`), and so is a
      memory whose corner another memory shares. Without outputs, every attractor by its
      index.

    With outputs, memories are filled black circles and the other attractors open grey ones;
    without, every attractor is a filled black circle. Each 1-saddle is an open red circle
    halfway between the two attractors its branches reach, with a line to each. A saddle
    with one branch that reaches no attractor (or both the same one) sits beside its
    attractor, its other branch a short stub; a saddle whose branches reach none is left
    out. A map's saddle cycles (`cycle_edges`) are drawn the same way as open red diamonds
    with dashed lines."""
    if not isinstance(skeleton, Skeleton):
        raise TypeError(f"skeleton must be a Skeleton, got {type(skeleton).__name__}")
    ax = axes_for(ax, figsize=(6, 5.5))
    if outputs is None:
        places, memory = _principal_plane(skeleton.attractor_states), None
        names, width = [str(a) for a in range(len(skeleton))], None
    else:
        z = as_array("outputs", outputs, (len(skeleton), None))
        places, width = _output_places(z), z.shape[1]
        names, memory = attractor_names(z, tolerance), at_corner(z, tolerance)
    saddles, segments = _edge_layout(skeleton.edges, places)
    _draw(ax, places, saddles, segments, memory)
    if len(skeleton.cycle_edges):
        cycles, lines = _edge_layout(skeleton.cycle_edges, places)
        _draw_saddles(ax, cycles, lines, marker="D", label="saddle cycle", linestyle="dashed")
    if labels:
        for a, ((x, y), name) in enumerate(zip(places, names, strict=True)):
            colour = "black" if memory is None or memory[a] else OTHER_ATTRACTOR_COLOUR
            ax.annotate(
                name, (x, y), xytext=(6, 6), textcoords="offset points", color=colour, zorder=5
            )
    ax.set_aspect("equal", adjustable="datalim")
    xlabel, ylabel = _axis_names(width)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    legend_outside(ax)
    return ax


def _output_places(z: FloatArray) -> FloatArray:
    """(A, 2) places from outputs (A, O)."""
    if z.shape[1] == 0:
        raise ValueError("outputs must have at least one column")
    if z.shape[1] == 1:
        return np.column_stack([z[:, 0], np.zeros(len(z))])
    if z.shape[1] == 2:
        return z
    if z.shape[1] == 3:
        places: FloatArray = z @ OBLIQUE
        return places
    return _principal_plane(z)


def _principal_plane(points: FloatArray) -> FloatArray:
    """(A, 2) the points on their first two principal components (zeros where there are
    fewer than two)."""
    if points.shape[0] == 0:
        return np.zeros((0, 2))
    centred = points - points.mean(axis=0)
    _, _, rows = np.linalg.svd(centred, full_matrices=False)
    plane = np.zeros((2, points.shape[1]))
    plane[: min(2, len(rows))] = rows[:2]
    places: FloatArray = centred @ plane.T
    return places


def _axis_names(width: int | None) -> tuple[str, str]:
    """The axes' labels for outputs of `width` columns (None: placed by the states)."""
    if width is None:
        return "PC1 of the attractor states", "PC2 of the attractor states"
    if width > 3:
        return "PC1 of the outputs", "PC2 of the outputs"
    if width == 3:
        (a, b) = OBLIQUE[2]
        return f"z1 + {a:.2f} z3", f"z2 + {b:.2f} z3"
    return "z1", "z2" if width == 2 else ""


def _edge_layout(edges: np.ndarray, places: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Each drawn saddle's place (S, 2) and two segments each (2S, 2, 2): from the saddle to
    each end (a stub away from the layout's centre for a missing end)."""
    size = float(np.ptp(places, axis=0).max()) if len(places) > 1 else 1.0
    size = size if size > 0 else 1.0
    centre = places.mean(axis=0) if len(places) else np.zeros(2)
    saddles, segments = [], []
    for _, a, b in np.asarray(edges, dtype=np.intp).reshape(-1, 3):
        if a < 0 and b < 0:
            continue
        if a >= 0 and b >= 0 and a != b:
            middle = 0.5 * (places[a] + places[b])
            saddles.append(middle)
            segments += [[middle, places[a]], [middle, places[b]]]
            continue
        known = places[max(a, b)]
        away = known - centre
        norm = np.linalg.norm(away)
        away = away / norm if norm > 0 else np.array([0.0, 1.0])
        saddle = known + _STUB * size * away
        other = known if a == b else saddle + _STUB * size * away
        saddles.append(saddle)
        segments += [[saddle, known], [saddle, other]]
    return np.array(saddles).reshape(-1, 2), np.array(segments).reshape(-1, 2, 2)


def _draw(
    ax: Axes,
    places: FloatArray,
    saddles: FloatArray,
    segments: FloatArray,
    memory: NDArray[np.bool_] | None,
) -> None:
    """The lines, the saddles (open, the 1-saddle colour) and the attractors: filled black,
    or, where `memory` is given, the memories filled black and the others open grey."""
    _draw_saddles(ax, saddles, segments, marker="o", label=STABILITY_NAMES[1])
    if memory is None:
        _draw_attractors(ax, places, "attractor", color=STABILITY_COLOURS[0])
    else:
        if np.any(memory):
            _draw_attractors(ax, places[memory], "memory", color=STABILITY_COLOURS[0])
        if not np.all(memory):
            _draw_attractors(
                ax,
                places[~memory],
                "other attractor",
                facecolors="none",
                edgecolors=OTHER_ATTRACTOR_COLOUR,
                linewidths=1.5,
            )
    ax.autoscale_view()


def _draw_attractors(ax: Axes, places: FloatArray, label: str, **style: Any) -> None:
    """Attractors at `places` (A, 2) as large circles in `style`, under `label`."""
    ax.scatter(places[:, 0], places[:, 1], s=80, marker="o", zorder=4, label=label, **style)


def _draw_saddles(
    ax: Axes,
    saddles: FloatArray,
    segments: FloatArray,
    marker: str,
    label: str,
    linestyle: str = "solid",
) -> None:
    """Saddles at `saddles` (S, 2) as open markers in the 1-saddle colour, with their lines
    `segments` (2S, 2, 2)."""
    from matplotlib.collections import LineCollection

    colour = STABILITY_COLOURS[1]
    # the stub asks for a sequence of lines, which an (S, 2, 2) array is to matplotlib
    lines = LineCollection(segments, colors=colour, linewidths=1.2, linestyles=linestyle, zorder=2)  # type: ignore[arg-type]
    ax.add_collection(lines)
    ax.scatter(
        saddles[:, 0],
        saddles[:, 1],
        s=40,
        marker=marker,
        facecolors="none",
        edgecolors=colour,
        linewidths=1.5,
        zorder=3,
        label=label,
    )
    ax.autoscale_view()
