"""Figures of the paper as functions. matplotlib is imported when a function is first called,
not with this package. Each function draws into `ax` (or `fig` for multi-panel ones), or a new
figure if None, returns the Axes (or Figure), and never calls `plt.show()`."""

from .landscape import speed_landscape
from .learning import training
from .linearization import spectrum
from .noise import bits_held, robustness
from .phase import phase_portrait
from .skeleton import skeleton_graph
from .snapshots import animation, evolution
from .spectra import readout_spectra

__all__ = [
    "animation",
    "bits_held",
    "evolution",
    "phase_portrait",
    "readout_spectra",
    "robustness",
    "skeleton_graph",
    "spectrum",
    "speed_landscape",
    "training",
]
