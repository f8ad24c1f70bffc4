"""The claims of results.json from crafted per-network measurements: each claim's number per
network, its summary over networks and its verdict."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from rnndyn.app.claims import claims, noise_sensitivity, over_networks

CURVES = {  # median MSE over 3 noise levels: logistic < tanh < transferred
    "logistic": [0.01, 0.02, 0.1],
    "tanh": [0.02, 0.04, 0.2],
    "tanh, transferred from 3 bits": [0.04, 0.08, 0.4],
}


def _network(seed: int, corners: int, edges: float, held: bool, scratch, transferred) -> dict:
    scale = 1.0 + seed  # each network's errors a multiple of the others'
    return {
        "seed": seed,
        "6": {"corners_held": corners, "edges_joined": edges},
        "7": {"stable": [1, 4, 8], "saddles": [0, 1, 6], "sequence_held": held},
        "8": {"anisotropy": {"from scratch": scratch, "transferred from 3 bits": transferred}},
        "9": {
            "median_mse": {name: [scale * v for v in curve] for name, curve in CURVES.items()},
            "baseline_mse": {name: scale * curve[0] / 2 for name, curve in CURVES.items()},
            "median_bits_held": {name: [1.0, 0.9 - 0.1 * seed, 0.5] for name in CURVES},
            "baseline_bits_held": {name: 1.0 for name in CURVES},
        },
    }


NETWORKS = [
    _network(0, 8, 10 / 12, True, 1.1, 1.6),
    _network(1, 8, 0.75, True, 1.2, None),  # the transferred one made no hypercube
    _network(2, 8, 11 / 12, True, 1.0, 1.4),
]


def test_each_claim_is_summarised_and_judged():
    entries = claims(NETWORKS, seed=0)
    assert [(e["figure"], e["verdict"]) for e in entries] == [
        (6, "supported"),  # every network holds the 8 corners
        (6, "supported"),  # the median fraction of joined edges, 10/12, and its interval > 1/2
        (7, "supported"),
        (8, "supported"),  # transferred minus scratch: 0.5 and 0.4, both > 0
        (9, "supported"),  # every seed ranks logistic < tanh < transferred
    ]
    corners, edges, sequence, geometry, noise = entries
    assert corners["estimate"] == 1.0 and corners["interval"] == [1.0, 1.0]
    assert edges["estimate"] == pytest.approx(10 / 12)
    assert edges["interval"] == pytest.approx([0.75, 11 / 12])
    assert geometry["networks_per_condition"] == 3 and geometry["networks_measured"] == 2
    assert geometry["estimate"] == pytest.approx(0.45)
    assert geometry["interval"] == pytest.approx([0.4, 0.5])
    assert noise["estimate"] == 1.0 and noise["threshold"] == 0.5
    for entry in entries:
        assert set(entry) == {
            "figure", "claim", "networks_per_condition", "networks_measured", "statistic",
            "estimate", "interval", "threshold", "verdict",
        }  # fmt: skip


def test_claims_that_fail_or_cannot_be_measured():
    networks = [
        _network(0, 7, 0.25, False, None, None),
        _network(1, 8, 0.25, False, None, None),
        _network(2, 6, 1 / 6, False, None, None),
    ]
    networks[1]["9"]["median_mse"]["logistic"] = [1.0, 1.0, 1.0]  # the most sensitive here
    entries = {(e["figure"], e["claim"][:8]): e for e in claims(networks, seed=0)}
    verdicts = [e["verdict"] for e in entries.values()]
    assert verdicts == [
        "inconclusive",
        "not supported",
        "not supported",
        "inconclusive",
        "inconclusive",
    ]
    corners = next(iter(entries.values()))
    # all three resampled networks are the one with 8 corners with probability 1/27 < 5 %
    assert corners["estimate"] == pytest.approx(1 / 3)
    assert corners["interval"] == pytest.approx([0.0, 2 / 3])
    geometry = [e for e in entries.values() if e["figure"] == 8][0]
    assert geometry["estimate"] is None and geometry["interval"] == [None, None]
    assert geometry["networks_measured"] == 0


def test_only_the_figures_measured_on_every_network_are_claimed():
    partial = [{"seed": 0, "9": NETWORKS[0]["9"]}, {"seed": 1, "9": NETWORKS[1]["9"]}]
    assert [e["figure"] for e in claims(partial)] == [9]
    assert claims([]) == []
    assert over_networks([]) == {}


def test_figure9_over_networks_raw_relative_and_bits_held():
    summary = over_networks(NETWORKS, seed=0)["9"]
    scales = np.array([[1.0], [2.0], [3.0]])
    for name, curve in CURVES.items():
        mse = summary[name]["median_mse"]
        np.testing.assert_allclose(mse["median"], 2.0 * np.array(curve))
        np.testing.assert_allclose(mse["lo"], curve)
        np.testing.assert_allclose(mse["hi"], 3.0 * np.array(curve))
        relative = summary[name]["relative_mse"]  # every network's curve over its baseline
        expected = (scales * curve) / (scales * curve[0] / 2)
        np.testing.assert_allclose(relative["median"], expected[0])
        np.testing.assert_allclose(relative["lo"], expected[0])
        held = summary[name]["median_bits_held"]  # seeds 0, 1, 2 hold 0.9, 0.8, 0.7 at level 1
        np.testing.assert_allclose(held["median"], [1.0, 0.8, 0.5])
        np.testing.assert_allclose(held["lo"], [1.0, 0.7, 0.5])
        np.testing.assert_allclose(held["hi"], [1.0, 0.9, 0.5])
    geometry = over_networks(NETWORKS, seed=0)["8"]
    assert geometry["from scratch"]["estimate"] == pytest.approx(1.1)
    assert geometry["transferred from 3 bits"]["networks_measured"] == 2


def test_noise_sensitivity_is_the_mean_log_error():
    assert noise_sensitivity([0.01, 1.0, 100.0]) == pytest.approx(0.0)
    assert noise_sensitivity([10.0]) == pytest.approx(1.0)


def test_a_diverged_noisy_network_is_the_most_sensitive():
    networks = copy.deepcopy(NETWORKS)
    for measured in networks[:2]:  # most trials of the strongest noise diverged
        measured["9"]["median_mse"]["tanh, transferred from 3 bits"][-1] = np.inf
    transferred = over_networks(networks, seed=0)["9"]["tanh, transferred from 3 bits"]
    assert transferred["median_mse"]["median"][-1] == np.inf
    assert transferred["relative_mse"]["lo"][-1] == pytest.approx(0.4 * 3 / (0.04 * 3 / 2))
    assert transferred["relative_mse"]["hi"][-1] == np.inf
    noise = claims(networks, seed=0)[-1]
    assert noise["estimate"] == 1.0 and noise["verdict"] == "supported"
