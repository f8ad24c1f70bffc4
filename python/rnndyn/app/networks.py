"""One seeded network's measurements for the claims of figures 6-9, as a job: the study
measures K networks per condition (seeds 0..K-1) through `map_jobs`, so the networks train
and are analysed here, on processes or on a Dask cluster alike, with the same numbers.

Each measurement is what its figure draws, reduced to the numbers `claims` judges; the
searches start from the study's usual starts (figure 6's drawing adds out-of-bounds starts,
which its claims leave out so that every seed is measured the same way).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .._store import NOT_IN_KEY
from ..analysis.geometry import memory_geometry
from ..dynamics.hypercube import at_corner, hypercube
from .claims import GEOMETRY_NETWORKS, NOISE_ORDER

if TYPE_CHECKING:
    from ..analysis.robustness import RobustnessResult
    from .study import Scale, Study

MEASURED = (6, 7, 8, 9)  # the figures whose claims are judged over networks


@dataclass(frozen=True)
class NetworkJob:
    """Measure the network of `seed` at `scale` for `figures` (among MEASURED). `out`: the
    study's folder, whose jobs/ keeps the sweeps' jobs; n_jobs: threads. Neither changes the
    numbers, so neither is in the job's key."""

    scale: Scale
    seed: int
    figures: tuple[int, ...]
    out: str = field(metadata=NOT_IN_KEY)
    n_jobs: int = field(default=1, metadata=NOT_IN_KEY)


def measure_network(job: NetworkJob) -> dict[str, Any]:
    """The measurements of `job`'s network: {"seed", and per figure ("6", ...) its numbers}."""
    from .study import Study

    study = Study(job.out, job.scale, job.seed, n_jobs=job.n_jobs, log=None)
    return measure(study, job.figures)


def measure(study: Study, figures: tuple[int, ...]) -> dict[str, Any]:
    """`measure_network` on a study made for the network's seed (its cache is shared with the
    figures drawn from it)."""
    unknown = sorted(set(figures) - set(MEASURED))
    if unknown:
        raise ValueError(f"figures must be among {MEASURED}, got {unknown}")
    return {"seed": study.seed} | {str(f): _MEASURES[f](study) for f in figures}


def _figure6(study: Study) -> dict[str, Any]:
    """The 3-bit network's corners held by a stable point, and the cube's edges a 1-saddle
    joins (as a fraction of its 12); a stable point holds a corner as the skeleton's memories
    do (`at_corner`), so both claims count the same memories."""
    net = study.trained(3).net
    sk = study.skeleton("claims 3", net)
    stable = sk.fixed_points.stable.points
    outputs = net.output_of(stable) if len(stable) else np.zeros((0, 3))
    corners = {tuple(np.sign(z).astype(int)) for z in outputs[at_corner(outputs)]}
    cube = hypercube(sk, net.output_of(sk.attractor_states))
    edges = len(cube["edges_with_saddle"]) + len(cube["edges_without_saddle"])
    return {"corners_held": len(corners), "edges_joined": len(cube["edges_with_saddle"]) / edges}


def _figure7(study: Study) -> dict[str, Any]:
    """Figure 7's counts over training: stable points and saddles (unstable points) at each
    snapshot; `claims.memories_form_in_sequence` judges them."""
    evolution = study.evolution()
    saddles = [int(np.sum(f.unstable_dims > 0)) for f in evolution.fixed_points]
    return {"stable": evolution.stable_counts.tolist(), "saddles": saddles}


def _figure8(study: Study) -> dict[str, Any]:
    """Each 4-bit network's projection bits and anisotropy (None where its memories make no
    hypercube)."""
    measures: dict[str, dict[str, float | None]] = {"projection_bits": {}, "anisotropy": {}}
    for name, run in zip(GEOMETRY_NETWORKS, (study.trained(4), study.transferred()), strict=True):
        stable = study.fixed_points(name, run.net).stable
        try:
            geometry = memory_geometry(stable.points, run.net.output_of(stable.points))
        except ValueError:  # fewer memories than corners
            measures["projection_bits"][name] = measures["anisotropy"][name] = None
            continue
        measures["projection_bits"][name] = geometry.projection_bits
        measures["anisotropy"][name] = geometry.anisotropy
    return measures


def _figure9(study: Study) -> dict[str, Any]:
    """Each 4-bit network's median over trials per noise level and its noise-free value, of
    the test MSE and of the share of bits held."""
    results = study.robustness()
    return {
        "median_mse": {name: results[name].median_mse.tolist() for name in NOISE_ORDER},
        "baseline_mse": {name: results[name].baseline_mse for name in NOISE_ORDER},
        "median_bits_held": {name: _bits_curve(results[name]) for name in NOISE_ORDER},
        "baseline_bits_held": {name: results[name].baseline_bits_held for name in NOISE_ORDER},
    }


def _bits_curve(result: RobustnessResult) -> list[float]:
    """The median share of bits held over trials per noise level (L,)."""
    held = result.median_bits_held
    assert held is not None  # figure 9's task is a FlipFlop, so the bits are measured
    return held.tolist()  # type: ignore[no-any-return]


_MEASURES: dict[int, Callable[[Study], dict[str, Any]]] = {
    6: _figure6,
    7: _figure7,
    8: _figure8,
    9: _figure9,
}
