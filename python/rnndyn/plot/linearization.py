"""The spectrum of the linearised dynamics at one fixed point."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..fixedpoints.result import FixedPoints
from ._common import as_fixed_points, axes_for

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def spectrum(fixed_points: FixedPoints, index: int = 0, ax: Axes | None = None) -> Axes:
    """Eigenvalues at point `index` in the complex plane, against the stability boundary,
    the unstable ones highlighted; the title gives the point's label. Returns the axes.

    Continuous time: the eigenvalues λ of J against the line Re λ = 0. Discrete time: the
    map's multipliers μ = λ + 1 (λ as stored in `fixed_points`) against the unit circle.
    """
    fixed_points = as_fixed_points(fixed_points)
    count = len(fixed_points)
    if (
        isinstance(index, bool)
        or not isinstance(index, int | np.integer)
        or not (-count <= index < count)
    ):
        raise ValueError(f"index must be an integer in [{-count}, {count}), got {index!r}")
    values = fixed_points.eigenvalues[index]
    values = values[~np.isnan(values)]  # rows are NaN-padded to the widest spectrum
    # stored least stable first, so the unstable ones lead
    n_unstable = int(fixed_points.unstable_dims[index])
    ax = axes_for(ax, figsize=(5, 5))
    if fixed_points.discrete_time:
        values = values + 1
        angle = np.linspace(0, 2 * np.pi, 361)
        ax.plot(np.cos(angle), np.sin(angle), color="0.4", ls="--", lw=1, label="|μ| = 1")
        ax.set_aspect("equal", adjustable="datalim")
        symbol, xlabel = "μ", "Re μ  (μ = λ + 1: the map's multipliers)"
    else:
        ax.axvline(0, color="0.4", ls="--", lw=1, label="Re λ = 0")
        symbol, xlabel = "λ", "Re λ"
    ax.scatter(
        values[n_unstable:].real,
        values[n_unstable:].imag,
        s=12,
        color="tab:blue",
        label=f"stable ({values.size - n_unstable})",
        zorder=3,
    )
    if n_unstable:
        ax.scatter(
            values[:n_unstable].real,
            values[:n_unstable].imag,
            s=40,
            color="tab:red",
            label=f"unstable ({n_unstable})",
            zorder=4,
        )
    size = fixed_points.points.shape[1]
    shown = "" if values.size == size else f"; the {values.size} least stable of {size}"
    ax.set(
        xlabel=xlabel,
        ylabel=f"Im {symbol}",
        title=f"{fixed_points.label[index]} (point {index}{shown})",
    )
    ax.legend(fontsize="small", loc="best")
    return ax
