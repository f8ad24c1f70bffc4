"""What the plotting functions share: lazy pyplot, axes creation, and one colour and marker
scheme for fixed points by their number of unstable dimensions."""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..analysis.pca import PCA
from ..fixedpoints.result import FixedPoints

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.collections import PathCollection
    from matplotlib.figure import Figure

# index: unstable dimensions, capped at the last entry
STABILITY_COLOURS = ("black", "tab:red", "tab:orange", "tab:purple")
STABILITY_NAMES = ("stable", "1-saddle", "2-saddle", "≥3-saddle")
KIND_MARKERS = {"fixed": "o", "slow": "D"}


def pyplot() -> ModuleType:
    """matplotlib.pyplot, imported on first use so that `import rnndyn` stays light."""
    import matplotlib.pyplot as plt

    return plt


def figure_for(fig: Figure | None, figsize: tuple[float, float]) -> Figure:
    """`fig`, or a new figure with constrained layout."""
    return pyplot().figure(figsize=figsize, layout="constrained") if fig is None else fig


def axes_for(ax: Axes | None, three_d: bool = False, figsize: tuple[float, float] = (6, 5)) -> Axes:
    """`ax` if it has the right projection, else ValueError; a new figure's axes if None."""
    if ax is None:
        return figure_for(None, figsize).add_subplot(projection="3d" if three_d else None)
    if (ax.name == "3d") != three_d:
        raise ValueError(f"ax must be {'3-D' if three_d else '2-D'} axes, got {ax.name!r} axes")
    return ax


def legend_outside(ax: Axes, below: bool = False) -> None:
    """A legend of the labelled artists beside (or below) the axes, where it hides no data."""
    handles = ax.get_legend_handles_labels()[0]
    if not handles:
        return
    if below:
        # 3-D axes draw their tick and axis labels inside their box
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, 0 if ax.name == "3d" else -0.13),
            fontsize="small",
            ncols=min(len(handles), 4),
        )
    else:
        ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize="small")


def as_fixed_points(value: object) -> FixedPoints:
    if not isinstance(value, FixedPoints):
        raise TypeError(f"fixed_points must be a FixedPoints, got {type(value).__name__}")
    return value


def component_label(pca: PCA, index: int) -> str:
    """ "PC1 (42.0% var)" for axis `index` of a fitted PCA."""
    return f"PC{index + 1} ({100 * pca.explained_variance_ratio_[index]:.1f}% var)"


def stability_class(unstable_dims: np.ndarray) -> NDArray[np.int_]:
    """Indices into STABILITY_COLOURS / STABILITY_NAMES."""
    classes: NDArray[np.int_] = np.minimum(unstable_dims, len(STABILITY_COLOURS) - 1)
    return classes


def mark_fixed_points(
    ax: Axes, fixed_points: FixedPoints, coords: np.ndarray, size: float = 50
) -> list[PathCollection]:
    """Scatter the converged points at `coords` (M, 2) or (M, 3): one collection per kind and
    stability class, stable ones filled, unstable ones open, slow points as diamonds;
    unconverged points are left out. Returns the collections."""
    classes = stability_class(fixed_points.unstable_dims)
    # depth shading would fade the colours that carry the meaning
    extra: dict[str, Any] = {"depthshade": False} if ax.name == "3d" else {}
    collections = []
    for kind, marker in KIND_MARKERS.items():
        for index, (colour, name) in enumerate(
            zip(STABILITY_COLOURS, STABILITY_NAMES, strict=True)
        ):
            mask = (fixed_points.kind == kind) & (classes == index)
            if not np.any(mask):
                continue
            # the keywords go as one dict: with 2 or 3 coordinates in *coords (2-D or 3-D
            # axes), mypy would match them to 2-D scatter's positional parameters
            style: dict[str, Any] = {
                "s": size,
                "marker": marker,
                "edgecolors": colour,
                "linewidths": 1.5,
                "facecolors": colour if index == 0 else "none",
                "zorder": 4,
                "label": name if kind == "fixed" else f"{name} (slow)",
                **extra,
            }
            collections.append(ax.scatter(*coords[mask].T, **style))
    return collections
