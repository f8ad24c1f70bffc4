"""The claims of results.json from crafted per-network measurements: each claim's number per
network, its summary over networks and its verdict."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from rnndyn.app.claims import claims, memories_form_in_sequence, noise_tolerance, over_networks

CURVES = {  # median MSE over 4 noise levels, relative to the first: 1, 1, 1, 4 for logistic
    "logistic": [0.01, 0.01, 0.01, 0.04],  # doubles halfway (in log) to level 3: tolerates 2.5
    "tanh": [0.02, 0.02, 0.02, 0.32],  # a quarter of the way: 2.25
    "tanh, transferred from 3 bits": [0.04, 0.04, 0.16, 0.64],  # 1.5
}
HELD = ([0, 2, 4, 8], [2, 0, 3, 4])  # stable points and saddles over 4 snapshots
AT_ONCE = ([0, 0, 0, 8], [2, 3, 4, 4])  # all 8 memories between two snapshots


def _network(seed: int, corners: int, edges: float, counts, scratch, transferred) -> dict:
    scale = 1.0 + seed  # each network's errors a multiple of the others'
    bits = {"from scratch": scratch, "transferred from 3 bits": transferred}
    return {
        "seed": seed,
        "6": {"corners_held": corners, "edges_joined": edges},
        "7": {"stable": counts[0], "saddles": counts[1]},
        "8": {"projection_bits": bits, "anisotropy": {k: v and v / 2 for k, v in bits.items()}},
        "9": {
            "median_mse": {name: [scale * v for v in curve] for name, curve in CURVES.items()},
            "baseline_mse": {name: scale * curve[0] for name, curve in CURVES.items()},
            "median_bits_held": {name: [1.0, 0.9 - 0.1 * seed, 0.5] for name in CURVES},
            "baseline_bits_held": {name: 1.0 for name in CURVES},
        },
    }


NETWORKS = [
    _network(0, 8, 10 / 12, HELD, 2.9, 1.9),
    _network(1, 8, 0.75, HELD, 3.0, None),  # the transferred one made no hypercube
    _network(2, 8, 11 / 12, HELD, 2.8, 2.0),
]


def test_each_claim_is_summarised_and_judged():
    entries = claims(NETWORKS, seed=0)
    assert [(e["figure"], e["verdict"]) for e in entries] == [
        (6, "inconclusive"),  # 3 of 3 networks: [0.37, 1] holds 1/2
        (6, "supported"),  # the median fraction of joined edges, 10/12, and its interval > 1/2
        (7, "inconclusive"),  # 3 of 3 again
        (8, "supported"),  # scratch minus transferred: 1.0 and 0.8, both > 0
        (9, "supported"),  # every seed: min(2.5, 2.25) - 1.5 = 0.75 noise levels
    ]
    corners, edges, sequence, geometry, noise = entries
    assert corners["estimate"] == 1.0
    assert corners["interval"] == pytest.approx([0.05 ** (1 / 3), 1.0])
    assert sequence["estimate"] == 1.0 and sequence["interval"] == corners["interval"]
    assert edges["estimate"] == pytest.approx(10 / 12)
    assert edges["interval"] == pytest.approx([0.75, 11 / 12])
    assert geometry["networks_per_condition"] == 3 and geometry["networks_measured"] == 2
    assert geometry["estimate"] == pytest.approx(0.9)
    assert geometry["interval"] == pytest.approx([0.8, 1.0])
    assert noise["estimate"] == pytest.approx(0.75) and noise["threshold"] == 0.0
    assert noise["interval"] == pytest.approx([0.75, 0.75])
    for entry in entries:
        assert set(entry) == {
            "figure", "claim", "networks_per_condition", "networks_measured", "statistic",
            "estimate", "interval", "threshold", "verdict",
        }  # fmt: skip


def test_ten_networks_decide_the_fractions():
    networks = [_network(seed, 8, 0.5, HELD, 3.0, 2.0) for seed in range(10)]
    networks[3]["6"]["corners_held"] = 7  # 9 of 10 hold every corner
    entries = claims(networks, seed=0)
    corners, sequence = entries[0], entries[2]
    assert corners["estimate"] == 0.9 and corners["verdict"] == "supported"
    assert corners["interval"] == pytest.approx([0.6058367, 0.9948838])
    assert sequence["verdict"] == "supported"
    for measured in networks[1:]:  # 1 of 10 follows the sequence
        measured["7"] = {"stable": AT_ONCE[0], "saddles": AT_ONCE[1]}
    sequence = claims(networks, seed=0)[2]
    assert sequence["estimate"] == 0.1 and sequence["verdict"] == "not supported"
    assert entries[1]["verdict"] == "not supported"  # 6 of 12 edges: not above one half


def test_claims_that_fail_or_cannot_be_measured():
    networks = [
        _network(0, 7, 0.25, AT_ONCE, None, None),
        _network(1, 8, 0.25, AT_ONCE, None, None),
        _network(2, 6, 1 / 6, AT_ONCE, None, None),
    ]
    # seed 1's transferred network never doubles its error: it tolerates all 4 levels
    networks[1]["9"]["median_mse"]["tanh, transferred from 3 bits"] = [0.08] * 4
    entries = {(e["figure"], e["claim"][:8]): e for e in claims(networks, seed=0)}
    verdicts = [e["verdict"] for e in entries.values()]
    assert verdicts == [
        "inconclusive",  # 1 of 3: [0.017, 0.86]
        "not supported",
        "inconclusive",  # 0 of 3: [0, 0.63] still holds 1/2
        "inconclusive",
        "inconclusive",  # 0.75, 2.25 - 4 = -1.75, 0.75
    ]
    corners, _, sequence, geometry, noise = entries.values()
    assert corners["estimate"] == pytest.approx(1 / 3)
    # lo: 1 - (1 - lo)^3 = 0.05; hi: (1 - hi)^3 + 3 hi (1 - hi)^2 = 0.05
    assert corners["interval"] == pytest.approx([1 - 0.95 ** (1 / 3), 0.8646496], abs=1e-7)
    assert sequence["estimate"] == 0.0
    assert sequence["interval"] == pytest.approx([0.0, 1 - 0.05 ** (1 / 3)])
    assert geometry["estimate"] is None and geometry["interval"] == [None, None]
    assert geometry["networks_measured"] == 0
    assert noise["estimate"] == pytest.approx(0.75)
    assert noise["interval"] == pytest.approx([-1.75, 0.75])


@pytest.mark.parametrize(
    ("stable", "saddles", "held"),
    [
        ([0, 2, 2, 4, 6, 8], [2, 0, 3, 3, 4, 4], True),  # seed 0's quick run (README)
        ([0, 0, 0, 8], [2, 3, 4, 4], False),  # every memory at once
        ([0, 2, 4, 8], [2, 0, 0, 4], False),  # saddles only before training
        ([0, 2, 4, 6], [2, 1, 3, 4], False),  # never 8 memories
        ([8, 2, 4, 8], [2, 1, 3, 4], False),  # 8 memories before training
        ([0, 2, 8, 4, 8], [0, 1, 4, 3, 4], True),  # 8 reached at snapshot 2, lost, regained
        ([1, 3, 9, 10], [0, 2, 6, 8], True),
    ],
)
def test_the_bifurcation_sequence(stable, saddles, held):
    assert memories_form_in_sequence(stable, saddles) is held


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
        expected = (scales * curve) / (scales * curve[0])
        np.testing.assert_allclose(relative["median"], expected[0])
        np.testing.assert_allclose(relative["lo"], expected[0])
        held = summary[name]["median_bits_held"]  # seeds 0, 1, 2 hold 0.9, 0.8, 0.7 at level 1
        np.testing.assert_allclose(held["median"], [1.0, 0.8, 0.5])
        np.testing.assert_allclose(held["lo"], [1.0, 0.7, 0.5])
        np.testing.assert_allclose(held["hi"], [1.0, 0.9, 0.5])
    geometry = over_networks(NETWORKS, seed=0)["8"]
    assert geometry["from scratch"]["projection_bits"]["estimate"] == pytest.approx(2.9)
    assert geometry["from scratch"]["anisotropy"]["estimate"] == pytest.approx(1.45)
    assert geometry["transferred from 3 bits"]["projection_bits"]["networks_measured"] == 2


def test_noise_tolerance_is_where_the_error_first_doubles():
    assert noise_tolerance(CURVES["logistic"], 0.01) == pytest.approx(2.5)
    assert noise_tolerance([1.0, 1.5, 6.0, 1.0], 1.0) == pytest.approx(
        1 + np.log10(4 / 3) / np.log10(4)
    )
    assert noise_tolerance([2.0, 8.0], 1.0) == 0.0  # doubled at the first level
    assert noise_tolerance([1.0, 1.9, 1.0], 1.0) == 3.0  # never: past the last level
    assert noise_tolerance([1.0, 1.0, np.inf], 1.0) == 2.0  # diverged: at that level


def test_a_diverged_noisy_network_is_the_most_sensitive():
    networks = copy.deepcopy(NETWORKS)
    for measured in networks[:2]:  # most trials of the strongest noise diverged
        measured["9"]["median_mse"]["tanh, transferred from 3 bits"][-1] = np.inf
    transferred = over_networks(networks, seed=0)["9"]["tanh, transferred from 3 bits"]
    assert transferred["median_mse"]["median"][-1] == np.inf
    assert transferred["relative_mse"]["lo"][-1] == pytest.approx(16.0)
    assert transferred["relative_mse"]["hi"][-1] == np.inf
    noise = claims(networks, seed=0)[-1]  # doubled at level 2 before diverging at 3
    assert noise["estimate"] == pytest.approx(0.75) and noise["verdict"] == "supported"
