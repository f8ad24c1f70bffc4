"""Fixed points over training (the paper's figure 7): one phase portrait per snapshot of an
`Evolution`, all in one PCA basis, with the changes since the previous snapshot marked; as a
grid of panels or as an animated GIF."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_float, as_int
from ..analysis.evolution import Evolution
from ..analysis.pca import PCA
from ._common import STABILITY_NAMES, figure_for, legend_outside, pyplot
from .phase import phase_portrait

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from mpl_toolkits.mplot3d import Axes3D

# the events at snapshot k: "appears" and "stability" ring the point at k, "vanishes" crosses
# out the point's last position (at k - 1)
EVENT_STYLES = {
    "appears": {
        "marker": "o",
        "s": 180,
        "facecolors": "none",
        "edgecolors": "tab:green",
        "linewidths": 1.2,
        "label": "appeared",
    },
    "stability": {
        "marker": "s",
        "s": 180,
        "facecolors": "none",
        "edgecolors": "tab:blue",
        "linewidths": 1.2,
        "label": "stability changed",
    },
    "vanishes": {"marker": "x", "s": 60, "color": "0.4", "linewidths": 1.2, "label": "vanished"},
}
FINAL_STYLE = {"marker": "o", "s": 25, "color": "0.8", "zorder": 1, "label": "final points"}


def evolution(
    evo: Evolution,
    pca: PCA | None = None,
    fig: Figure | None = None,
    columns: int = 4,
    trajectories: Sequence[ArrayLike | None] | None = None,
    overlay_final: bool = True,
    saddle_segments: bool = True,
    legend: bool = True,
) -> Figure:
    """A grid of phase portraits, one per snapshot of `evo`, titled with the training step and
    the numbers of points and of stable ones. Returns the figure.

    - pca: a fitted PCA (3 components: 3-D panels; 2: 2-D) shared by every panel; None fits
      3 components to the points of all snapshots (a PCA fitted on a test run of the trained
      network often shows the memories more clearly).
    - fig: an empty figure to draw into, or None for a new one.
    - columns: panels per row (at most K).
    - trajectories: K arrays (T, N) (or None entries), e.g. a test run under each snapshot's
      readout, one drawn per panel.
    - overlay_final: the last snapshot's points as light grey dots in every panel (figure 7's
      "final fixed points overlaid").
    - saddle_segments: draw each saddle's unstable directions (see `phase_portrait`).

    Points are coloured by unstable dimensions as in `phase_portrait`; the events since the
    previous snapshot are marked (EVENT_STYLES): a green ring on a point that appeared, a blue
    square on one whose stability changed, a grey cross where a point vanished.
    """
    _check_evolution(evo)
    columns = min(as_int("columns", columns, minimum=1), len(evo))
    if trajectories is not None and len(trajectories) != len(evo):
        raise ValueError(
            f"trajectories must hold one entry per snapshot ({len(evo)}), got {len(trajectories)}"
        )
    pca = _basis(evo, pca)
    dims = min(pca.n_components, 3)
    rows = -(-len(evo) // columns)
    fig = figure_for(fig, figsize=(3.2 * columns, 3.4 * rows + 0.8))
    limits = _limits(evo, pca, dims)
    for k in range(len(evo)):
        ax = fig.add_subplot(rows, columns, k + 1, projection="3d" if dims == 3 else None)
        _draw_snapshot(
            ax,
            evo,
            k,
            pca,
            limits,
            None if trajectories is None else trajectories[k],
            overlay_final,
            saddle_segments,
            short_labels=True,
        )
    # the panels are small: short axis names on them, the variances once above
    share = ", ".join(
        f"PC{i + 1} {100 * r:.1f}%" for i, r in enumerate(pca.explained_variance_ratio_[:dims])
    )
    fig.suptitle(f"fixed points over training (variance: {share})", fontsize="medium")
    if legend:
        # one legend for the figure: the union of what the panels drew, in a fixed order
        entries: dict[str, Artist] = {}
        for ax in fig.axes:
            for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
                entries.setdefault(label, handle)
        order = [
            *STABILITY_NAMES,
            *(f"{name} (slow)" for name in STABILITY_NAMES),
            FINAL_STYLE["label"],
            *(style["label"] for style in EVENT_STYLES.values()),
        ]
        labels = sorted(
            entries, key=lambda label: order.index(label) if label in order else len(order)
        )
        if labels:
            fig.legend(
                [entries[label] for label in labels],
                labels,
                loc="outside lower center",
                ncols=min(len(labels), 5),
                fontsize="small",
            )
    return fig


def animation(
    evo: Evolution,
    path: str | os.PathLike[str],
    pca: PCA | None = None,
    fps: float = 2,
    dpi: int = 100,
    overlay_final: bool = True,
    saddle_segments: bool = True,
) -> Path:
    """Write an animated GIF with one frame per snapshot of `evo` (a ".gif" suffix is added if
    `path` has none) and return its path. fps: frames per second; dpi: resolution of the
    6×5-inch frames; the other options as in `evolution`."""
    _check_evolution(evo)
    fps = as_float("fps", fps, positive=True)
    dpi = as_int("dpi", dpi, minimum=1)
    target = Path(path)
    if not target.suffix:
        target = target.with_suffix(".gif")
    from matplotlib.animation import PillowWriter

    pca = _basis(evo, pca)
    dims = min(pca.n_components, 3)
    limits = _limits(evo, pca, dims)
    fig = figure_for(None, figsize=(6, 5))
    # the stub says int, but any rate works (the frame duration is 1000 / fps ms)
    writer = PillowWriter(fps=fps)  # type: ignore[arg-type]
    try:
        with writer.saving(fig, str(target), dpi):
            for k in range(len(evo)):
                # a fresh axes per frame: nothing of the previous frame lingers
                fig.clear()
                ax = fig.add_subplot(projection="3d" if dims == 3 else None)
                _draw_snapshot(
                    ax,
                    evo,
                    k,
                    pca,
                    limits,
                    None,
                    overlay_final,
                    saddle_segments,
                    short_labels=False,
                )
                legend_outside(ax, below=dims == 3)
                writer.grab_frame()
    finally:
        pyplot().close(fig)  # the caller gets a file, not the figure
    return target


# -- the parts -----------------------------------------------------------------------------------


def _check_evolution(evo: object) -> None:
    if not isinstance(evo, Evolution):
        raise TypeError(f"evo must be an Evolution, got {type(evo).__name__}")


def _basis(evo: Evolution, pca: PCA | None) -> PCA:
    """`pca`, or 3 components fitted to every snapshot's points."""
    if pca is not None:
        if not isinstance(pca, PCA):
            raise TypeError(f"pca must be a fitted rnndyn.PCA or None, got {type(pca).__name__}")
        return pca
    points = np.concatenate([f.points for f in evo.fixed_points])
    if len(points) < 3 or points.shape[1] < 3:
        raise ValueError(
            f"pca: the snapshots hold {len(points)} points of width "
            f"{points.shape[1]}, too few to fit 3 components; pass a fitted PCA"
        )
    return PCA(3).fit(points)


def _limits(evo: Evolution, pca: PCA, dims: int) -> np.ndarray:
    """(dims, 2) axis ranges that hold every snapshot's points, with a 5% margin, so that
    panels and frames share their scale."""
    points = np.concatenate([f.points for f in evo.fixed_points])
    if len(points) == 0:
        return np.tile([-1.0, 1.0], (dims, 1))
    coords = pca.transform(points)[:, :dims]
    low, high = coords.min(axis=0), coords.max(axis=0)
    margin = 0.05 * (high - low) + (high == low)  # a flat axis gets ±1
    return np.column_stack([low - margin, high + margin])


def _draw_snapshot(
    ax: Axes,
    evo: Evolution,
    k: int,
    pca: PCA,
    limits: np.ndarray,
    trajectory: ArrayLike | None,
    overlay_final: bool,
    saddle_segments: bool,
    short_labels: bool,
) -> None:
    """Snapshot k's portrait into `ax`: its points, the final points, its events; axes
    labelled "PC1", ... if `short_labels`, else with their variance."""
    fps = evo.fixed_points[k]
    title = f"step {int(evo.steps[k])}\n{len(fps)} points, {int(evo.stable_counts[k])} stable"
    phase_portrait(
        pca,
        trajectories=trajectory,
        fixed_points=fps,
        ax=ax,
        legend=False,
        saddle_segments=saddle_segments,
        title=title,
    )
    dims = limits.shape[0]
    extra: dict[str, Any] = {"depthshade": False} if dims == 3 else {}

    def scatter(states: np.ndarray, style: dict[str, Any]) -> None:
        if len(states):
            # one dict of keywords: see mark_fixed_points (the styles have no depthshade)
            ax.scatter(*pca.transform(states)[:, :dims].T, **style | extra)

    if overlay_final and k < len(evo) - 1:
        scatter(evo.fixed_points[-1].points, FINAL_STYLE)
    here = evo.events[evo.events["snapshot"] == k]
    for kind, style in EVENT_STYLES.items():
        ids = here["track"][here["kind"] == kind]
        # a vanished point is last seen at k - 1
        at = k - 1 if kind == "vanishes" else k
        scatter(evo.fixed_points[at].points[np.isin(evo.tracks[at], ids)], style)
    setters: list[tuple[Callable[..., object], Callable[..., object]]] = [
        (ax.set_xlim, ax.set_xlabel),
        (ax.set_ylim, ax.set_ylabel),
    ]
    if dims == 3:
        setters.append((cast("Axes3D", ax).set_zlim, cast("Axes3D", ax).set_zlabel))
    for i, ((low, high), (set_limits, set_label)) in enumerate(zip(limits, setters, strict=True)):
        set_limits(low, high)
        if short_labels:
            set_label(f"PC{i + 1}", fontsize="small")
    ax.tick_params(labelsize="x-small")
