"""What the study measures on trained networks: fixed points over training, robustness to
weight noise, transfer to more bits, the memories' geometry, PCA, Lyapunov exponents and the
readout's spectra; statistics over networks."""

from .evolution import Evolution, fixed_point_evolution
from .geometry import MemoryGeometry, memory_geometry
from .lyapunov import lyapunov_exponents
from .pca import PCA
from .robustness import RobustnessResult, noise_robustness
from .spectra import readout_spectra
from .statistics import Bootstrap, OverNetworks, Proportion, verdict
from .transfer import grow, transfer

__all__ = [
    "PCA",
    "Bootstrap",
    "Evolution",
    "MemoryGeometry",
    "OverNetworks",
    "Proportion",
    "RobustnessResult",
    "fixed_point_evolution",
    "grow",
    "lyapunov_exponents",
    "memory_geometry",
    "noise_robustness",
    "readout_spectra",
    "transfer",
    "verdict",
]
