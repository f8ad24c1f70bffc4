"""The paper's claims that the study tests, judged over K seeded networks per condition
(README, "Claims over networks"): from each network's measurements (`networks.measure`)
to the `claims` of results.json and the figures' summaries over networks.

Each claim reduces every network to one number, summarises those over networks (a median with
a `Bootstrap` interval, or for a yes/no per network the fraction of networks with a
`Proportion` interval) and judges the interval against a threshold with `verdict`. A network
where the measurement failed (too few memories for a geometry) counts in
`networks_per_condition` but not in `networks_measured`.

Why each rule reads as it does (the paper's words in quotes):

- Figure 7: "the fixed point at the origin is initially stable" cannot be asked of these
  networks: at g = 1.5 the untrained network is chaotic and its origin unstable (2 unstable
  points before training, README). What the paper goes on to claim can: "the network learns
  its memories via a series of bifurcations" in which the origin turns "into a saddle" and
  "saddles form along the edges of the cube". So a network holds the sequence when it starts
  with fewer than 8 stable points, ends with at least 8, passes a snapshot with a stable
  count between those before reaching 8 (not all memories at once) and has a saddle at a
  snapshot of training (not the untrained one) before reaching 8.
- Figure 8: "tesseract projected edge-first into a hexagonal prism" against "face-first into
  a cuboid" is a statement about the 3-D picture, which drops the memories' fourth principal
  axis: `MemoryGeometry.projection_bits` counts the bits that axis mixes (3 edge-first, 2
  face-first). The edge lengths' anisotropy, judged before, does not tell the two apart.
- Figure 9: the text claims one order, "the four-bit flip-flop bootstrapped on top of a
  three-bit flip-flop was more sensitive to noise", and says tanh and logistic "performed
  similarly" (the caption's "sigmoid nonlinearities" are both of them), so logistic < tanh is
  no longer judged. Sensitivity is read from each network's error relative to its own
  noise-free error (the raw curves differ mostly by that error, which depends on the test
  sequence, README): the noise level at which the error first doubles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np

from ..analysis.statistics import Bootstrap, Proportion, Side, verdict

Measures = dict[str, Any]  # one network's measurements, by figure ("6", ...), JSON-ready
# figure 9's networks, in the order of the paper's figure: tanh and logistic alike, then the
# transferred one, the most sensitive
NOISE_ORDER = ("logistic", "tanh", "tanh, transferred from 3 bits")
GEOMETRY_NETWORKS = ("from scratch", "transferred from 3 bits")
# figure 9: a network has broken under noise once its error is this many times its noise-free
# error (far above the scatter of its median at small noise, some 1.5 times at 3 trials)
BREAK_FACTOR = 2.0
Over = Literal["median", "fraction"]  # how a claim summarises its networks


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
            how = Bootstrap("median", seed=seed) if statistic[0] == "median" else Proportion()
            entry = _judged(values, how, threshold, "above")
            head = {"figure": int(figure), "claim": claim, "networks_per_condition": len(values)}
            entries.append(head | {"statistic": statistic[1]} | entry)
    return entries


def _judged(
    values: list[float | None], how: Bootstrap | Proportion, threshold: float, side: Side
) -> Measures:
    """The summary of `values` and its verdict against `threshold`."""
    summary = _summarised(values, how)
    interval = summary["interval"]
    judged = "inconclusive" if interval[0] is None else verdict(interval, threshold, side)
    return summary | {"threshold": threshold, "verdict": judged}


def _summarised(values: list[float | None], how: Bootstrap | Proportion) -> Measures:
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
    return float(memories_form_in_sequence(figure["stable"], figure["saddles"]))


def memories_form_in_sequence(stable: Sequence[int], saddles: Sequence[int]) -> bool:
    """Whether figure 7's counts per snapshot, `stable` points and `saddles` (unstable
    points), follow the paper's sequence (module docstring): fewer than 8 stable at the first
    snapshot and at least 8 at the last; before the first snapshot with 8, one whose stable
    count lies strictly between the first's and 8, and a saddle at one after the first."""
    stable_counts, saddle_counts = np.asarray(stable), np.asarray(saddles)
    formed = np.flatnonzero(stable_counts >= 8)
    if stable_counts[0] >= 8 or stable_counts[-1] < 8:
        return False
    forming = slice(1, formed[0])  # training's snapshots before the memories are all there
    gradual = np.any((stable_counts[forming] > stable_counts[0]) & (stable_counts[forming] < 8))
    return bool(gradual and np.any(saddle_counts[forming] > 0))


def _prism_against_cuboid(figure: Measures) -> float | None:
    scratch, transferred = (figure["projection_bits"][name] for name in GEOMETRY_NETWORKS)
    return None if scratch is None or transferred is None else scratch - transferred


def _transferred_most_sensitive(figure: Measures) -> float:
    tolerated = {
        name: noise_tolerance(figure["median_mse"][name], figure["baseline_mse"][name])
        for name in NOISE_ORDER
    }
    return min(tolerated["logistic"], tolerated["tanh"]) - tolerated[NOISE_ORDER[-1]]


def noise_tolerance(median_mse: Sequence[float], baseline_mse: float) -> float:
    """How much weight noise a network tolerates, in steps of the study's noise levels: the
    position, counted from the first level (0), where its median test MSE (L,) first reaches
    BREAK_FACTOR times its noise-free MSE, interpolated linearly in log MSE between the two
    levels around it (levels are geometric, so linearly in log η); L when it never does."""
    log_ratio = np.log10(np.asarray(median_mse, dtype=float) / baseline_mse)
    broken = np.flatnonzero(log_ratio >= np.log10(BREAK_FACTOR))
    if broken.size == 0:
        return float(len(log_ratio))
    level = int(broken[0])
    if level == 0 or not np.isfinite(log_ratio[level]):  # a diverged error: no slope
        return float(level)
    before, after = log_ratio[level - 1], log_ratio[level]
    return level - 1 + float((np.log10(BREAK_FACTOR) - before) / (after - before))


# per figure: (claim, (how over networks, how the entry states it), per-network number,
# threshold); every claim is "the statistic lies above the threshold". A fraction's threshold
# 0.5 reads "most networks"; a median difference's 0 reads "in the paper's direction".
Claim = tuple[str, tuple[Over, str], Callable[[Measures], float | None], float]
CLAIMS: dict[str, list[Claim]] = {
    "6": [
        (
            "the 3-bit network's 8 memories sit at the corners of the output cube",
            (
                "fraction",
                "fraction of networks with a stable point at each of the 8 corners (every "
                "output within 0.2 of its corner's ±1, as the skeleton's memories)",
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
            "over training, the memories form through a series of bifurcations, with saddles "
            "before the last memories",
            (
                "fraction",
                "fraction of networks with < 8 stable points at the first snapshot, >= 8 at "
                "the last, and before the first with 8 a snapshot of training with a stable "
                "count in between and one with a saddle",
            ),
            _bifurcation_sequence,
            0.5,
        ),
    ],
    "8": [
        (
            "the transferred 4-bit network's memories project face-first (a cuboid), those "
            "of the one from scratch edge-first (a hexagonal prism)",
            (
                "median",
                "median over networks of the bits mixed by the axis the 3-D PCA picture "
                "drops (participation number: 2 face-first, 3 edge-first) from scratch "
                "minus transferred",
            ),
            _prism_against_cuboid,
            0.0,
        ),
    ],
    "9": [
        (
            "the 4-bit network transferred from 3 bits is more sensitive to weight noise "
            "than the tanh and logistic ones from scratch",
            (
                "median",
                "median over networks of the noise tolerated (noise levels until the median "
                "test MSE first doubles its noise-free MSE) by the less tolerant of tanh and "
                "logistic minus the transferred network's",
            ),
            _transferred_most_sensitive,
            0.0,
        ),
    ],
}


def over_networks(networks: Sequence[Measures], seed: int = 0) -> dict[str, Measures]:
    """Figures 8 and 9 over the K `networks`: each geometry network's projection bits and
    anisotropy, and each noise network's median MSE curve, raw and relative to its noise-free
    MSE, and its median curve of the share of bits held, as the median over networks with its
    90 % interval (the curves as {"median", "lo", "hi"}, lists over the noise levels; the
    geometry's measures as {"networks_measured", "estimate", "interval"})."""
    how = Bootstrap(seed=seed)
    summaries: dict[str, Measures] = {}
    if networks and all("8" in measured for measured in networks):
        summaries["8"] = {
            name: {
                measure: _summarised([m["8"][measure][name] for m in networks], how)
                for measure in ("projection_bits", "anisotropy")
            }
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
