"""The paper's claims that the study tests, judged over K seeded networks per condition
(README, "Claims over networks"): from each network's measurements (`networks.measure`)
to the `claims` of results.json and the figures' summaries over networks.

Each claim reduces every network to one number, summarises those over networks with
`Bootstrap` (a median, or for a yes/no per network the fraction of networks) and judges the
interval against a threshold with `verdict`. A network where the measurement failed (too few
memories for a geometry) counts in `networks_per_condition` but not in `networks_measured`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..analysis.statistics import Bootstrap, Side, Statistic, verdict

Measures = dict[str, Any]  # one network's measurements, by figure ("6", ...), JSON-ready
# figure 9's networks, in the order of the paper's claim: least to most sensitive to noise
NOISE_ORDER = ("logistic", "tanh", "tanh, transferred from 3 bits")
GEOMETRY_NETWORKS = ("from scratch", "transferred from 3 bits")


def claims(networks: Sequence[Measures], seed: int = 0) -> list[dict[str, Any]]:
    """One entry per claim of the figures measured in every one of `networks` (K measures
    from `networks.measure`), each {"figure", "claim", "networks_per_condition",
    "networks_measured", "statistic", "estimate", "interval": [lo, hi], "threshold",
    "verdict"}. seed: the bootstrap's."""
    entries = []
    for figure, figure_claims in CLAIMS.items():
        if not networks or any(figure not in measured for measured in networks):
            continue
        for claim, statistic, reduce, threshold in figure_claims:
            values = [reduce(measured[figure]) for measured in networks]
            how = Bootstrap(statistic[0], seed=seed)
            entry = _judged(values, how, threshold, "above")
            head = {"figure": int(figure), "claim": claim, "networks_per_condition": len(values)}
            entries.append(head | {"statistic": statistic[1]} | entry)
    return entries


def _judged(values: list[float | None], how: Bootstrap, threshold: float, side: Side) -> Measures:
    """The summary of `values` and its verdict against `threshold`."""
    summary = _summarised(values, how)
    interval = summary["interval"]
    judged = "inconclusive" if interval[0] is None else verdict(interval, threshold, side)
    return summary | {"threshold": threshold, "verdict": judged}


def _summarised(values: list[float | None], how: Bootstrap) -> Measures:
    """{"networks_measured", "estimate", "interval": [lo, hi]} of the `values` that were
    measured (None: not; with none, the estimate and interval are None)."""
    measured = [value for value in values if value is not None]
    if not measured:
        return {"networks_measured": 0, "estimate": None, "interval": [None, None]}
    summary = how.of(measured)
    interval = list(summary.interval)
    return {"networks_measured": len(measured), "estimate": summary.estimate, "interval": interval}


def _all_corners(figure: Measures) -> float:
    return float(figure["corners_held"] == 8)


def _bifurcation_sequence(figure: Measures) -> float:
    return float(figure["sequence_held"])


def _prism_against_cuboid(figure: Measures) -> float | None:
    scratch, transferred = (figure["anisotropy"][name] for name in GEOMETRY_NETWORKS)
    return None if scratch is None or transferred is None else transferred - scratch


def _noise_order(figure: Measures) -> float:
    sensitivity = [noise_sensitivity(figure["median_mse"][name]) for name in NOISE_ORDER]
    return float(all(a < b for a, b in zip(sensitivity, sensitivity[1:], strict=False)))


def noise_sensitivity(median_mse: Sequence[float]) -> float:
    """A network's sensitivity to weight noise: the mean over the noise levels of log10 of its
    median test MSE (L,) (the area under figure 9's curve on its log axes, up to the step)."""
    return float(np.mean(np.log10(np.asarray(median_mse, dtype=float))))


# per figure: (claim, (statistic, how the entry states it), per-network number, threshold);
# every claim is "the statistic lies above the threshold"
Claim = tuple[str, tuple[Statistic, str], Callable[[Measures], float | None], float]
CLAIMS: dict[str, list[Claim]] = {
    "6": [
        (
            "the 3-bit network's 8 memories sit at the corners of the output cube",
            (
                "mean",
                "fraction of networks with a stable point within 0.1 (max-norm readout "
                "distance) of each of the 8 corners",
            ),
            _all_corners,
            0.5,
        ),
        (
            "1-saddles, found by the skeleton, lie between memories one bit apart",
            (
                "median",
                "median over networks of the fraction of the cube's 12 edges whose two "
                "memories a 1-saddle joins",
            ),
            lambda figure: figure["edges_joined"],
            0.5,
        ),
    ],
    "7": [
        (
            "over training, a lone fixed point gives way to saddles before the memories form",
            (
                "mean",
                "fraction of networks with one fixed point at the first snapshot, a "
                "saddle before the stable count reaches 8, and >= 8 stable points at the last",
            ),
            _bifurcation_sequence,
            0.5,
        ),
    ],
    "8": [
        (
            "the transferred 4-bit network keeps a cuboid (one bit apart), the one from scratch "
            "a hexagonal prism (bits alike)",
            (
                "median",
                "median over networks of the anisotropy (longest / shortest mean edge "
                "length per bit) of the transferred network minus that of the scratch one",
            ),
            _prism_against_cuboid,
            0.0,
        ),
    ],
    "9": [
        (
            "noise sensitivity: logistic < tanh < tanh transferred from 3 bits",
            (
                "mean",
                "fraction of networks (seeds) whose three networks rank in this order by "
                "the mean over noise levels of log10 median test MSE",
            ),
            _noise_order,
            0.5,
        ),
    ],
}


def over_networks(networks: Sequence[Measures], seed: int = 0) -> dict[str, Measures]:
    """Figures 8 and 9 over the K `networks`: each geometry network's anisotropy and each
    noise network's median MSE curve, raw and relative to its noise-free MSE, and its
    median curve of the share of bits held, as the median over networks with its 90 %
    interval (the curves as {"median", "lo", "hi"}, lists over the noise levels; the
    anisotropy as {"networks_measured", "estimate", "interval"})."""
    how = Bootstrap(seed=seed)
    summaries: dict[str, Measures] = {}
    if networks and all("8" in measured for measured in networks):
        summaries["8"] = {
            name: _summarised([m["8"]["anisotropy"][name] for m in networks], how)
            for name in GEOMETRY_NETWORKS
        }
    if networks and all("9" in measured for measured in networks):
        summaries["9"] = {name: _curves(networks, name, how) for name in NOISE_ORDER}
    return summaries


def _curves(networks: Sequence[Measures], name: str, how: Bootstrap) -> Measures:
    """Figure 9's network `name` over networks: its MSE curves, raw and relative, and its
    curve of bits held."""
    mse = np.array([measured["9"]["median_mse"][name] for measured in networks])
    baseline = np.array([[measured["9"]["baseline_mse"][name]] for measured in networks])
    held = np.array([measured["9"]["median_bits_held"][name] for measured in networks])
    curves = {}
    for kind, values in (
        ("median_mse", mse),
        ("relative_mse", mse / baseline),
        ("median_bits_held", held),
    ):
        estimate, lo, hi = how.of_curves(values)
        curves[kind] = {"median": estimate.tolist(), "lo": lo.tolist(), "hi": hi.tolist()}
    return curves
