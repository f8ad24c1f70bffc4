"""How FORCE moves the closed loop's eigenvalues: the spectrum of W_r and of W_c = W_r + W_fb W_o
at readout snapshots, in the complex plane."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .._validation import as_array
from ._common import axes_for, pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def readout_spectra(
    recurrent: ArrayLike, closed: ArrayLike, steps: ArrayLike, ax: Axes | None = None
) -> Axes:
    """The eigenvalues of W_r (grey) and of W_c at each snapshot (coloured by training step),
    from `rnndyn.readout_spectra`: recurrent (N,), closed (K, N), steps (K,). The line
    Re λ = 1 marks where the linearisation of τ dx/dt = -x + W_c φ(x) at the origin turns
    unstable (φ'(0) = 1 for tanh). Draws into `ax` or a new figure; returns the Axes."""
    recurrent = np.asarray(recurrent)
    closed = np.atleast_2d(np.asarray(closed))
    if recurrent.ndim != 1 or closed.shape[1] != recurrent.shape[0]:
        raise ValueError(
            f"closed must have shape (K, {recurrent.size}) for recurrent of shape "
            f"({recurrent.size},), got {closed.shape}"
        )
    steps = as_array("steps", steps, (closed.shape[0],))
    ax = axes_for(ax)
    ax.scatter(recurrent.real, recurrent.imag, s=6, color="0.7", label="W_r")
    colours = pyplot().get_cmap("viridis")(np.linspace(0, 1, max(len(steps), 2)))
    for values, step, colour in zip(closed, steps, colours, strict=False):
        ax.scatter(values.real, values.imag, s=8, color=colour, label=f"W_c, step {step:g}")
    ax.axvline(1.0, color="tab:red", lw=0.8, ls="--")
    ax.set(
        xlabel="Re λ",
        ylabel="Im λ",
        aspect="equal",
        title="eigenvalues of W_r and of W_c = W_r + W_fb W_o during training",
    )
    ax.legend(loc="upper left", fontsize="small", markerscale=2)
    return ax
