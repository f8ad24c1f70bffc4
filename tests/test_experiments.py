"""The study behind `rnndyn reproduce`, at a tiny scale: every figure is written and its
measurements are what the figure shows."""

from __future__ import annotations

import functools
import json
import logging
import shutil

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import rnndyn as rd  # noqa: E402
from PIL import Image  # noqa: E402
from rnndyn.analysis import evolution, robustness  # noqa: E402
from rnndyn.analysis.statistics import verdict  # noqa: E402
from rnndyn.app.claims import claims  # noqa: E402
from rnndyn.app.cli import main  # noqa: E402
from rnndyn.app.networks import NetworkJob, measure_network  # noqa: E402
from rnndyn.app.reports import json_text  # noqa: E402
from rnndyn.app.study import (  # noqa: E402
    FIGURES,
    QUICK,
    Scale,
    Study,
    robustness_over_networks,
)

TINY = Scale(
    "tiny",
    n=150,
    train_steps=3000,
    test_steps=1500,
    snapshot_every=500,
    states=24,
    fastest=8,
    evolution_steps=(0, 1000, 3000),
    evolution_states=12,
    evolution_max_iter=40,
    noise_levels=3,
    noise_trials=2,
    noise_steps=1500,
)


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Study:
    study = Study(tmp_path_factory.mktemp("study"), TINY, seed=0, log=None, networks=2)
    study.run()
    return study


def test_every_figure_is_written_with_its_timing(study: Study):
    names = {
        2: "fig2_speed_landscape",
        5: "fig5_training",
        6: "fig6_phase_portrait",
        7: "fig7_evolution",
        8: "fig8_transfer_geometry",
        9: "fig9_robustness",
    }
    for number in FIGURES:
        with Image.open(study.out / f"{names[number]}.png") as image:
            assert min(image.size) > 300
    with Image.open(study.out / "fig7_evolution.gif") as gif:
        assert gif.n_frames == len(TINY.evolution_steps)
    saved = json.loads((study.out / "results.json").read_text())
    assert saved == json.loads(json_text(study.results))  # strict JSON: null for ±inf
    assert list(saved["figures"]) == [str(n) for n in FIGURES]
    assert all(saved["figures"][str(n)]["seconds"] >= 0 for n in FIGURES)


def test_measurements(study: Study):
    figures = study.results["figures"]
    # figure 2: the paper's 2-D example has a saddle at 0 between nodes at ±(1, 1/2)
    order = np.argsort(np.array(figures["2"]["fixed_points"])[:, 0])
    np.testing.assert_allclose(
        np.array(figures["2"]["fixed_points"])[order], [[-1, -0.5], [0, 0], [1, 0.5]], atol=1e-9
    )
    assert [figures["2"]["labels"][i] for i in order] == ["stable node", "1-saddle", "stable node"]
    assert 0 <= figures["5"]["test_accuracy"] <= 1
    # figure 6: out-of-bounds runs start with the chosen readouts
    assert list(figures["6"]["out_of_bounds_end_outputs"]) == ["(0.5, 0.5, 0.5)", "(2.0, 2.0, 0.0)"]
    _check_figure6_skeleton(study, figures["6"])
    assert figures["7"]["steps"] == list(TINY.evolution_steps)
    assert len(figures["7"]["fixed"]) == len(TINY.evolution_steps)
    assert np.all(np.array(figures["7"]["stable"]) <= np.array(figures["7"]["fixed"]))
    assert set(figures["8"]) == {
        "seconds",
        "from scratch",
        "transferred from 3 bits",
        "over_networks",
    }
    assert len(figures["9"]["eta"]) == TINY.noise_levels
    for name in ("tanh", "logistic", "tanh, transferred from 3 bits"):
        nine = figures["9"][name]
        assert len(nine["median_mse"]) == len(nine["median_bits_held"]) == TINY.noise_levels
        result = study.robustness()[name]  # what figure 9 drew and recorded
        assert nine["baseline_bits_held"] == result.baseline_bits_held > 0.5
        np.testing.assert_allclose(nine["median_bits_held"], result.median_bits_held, atol=5e-6)
        assert np.all(result.bits_held >= 0) and np.all(result.bits_held <= 1)


def _check_figure6_skeleton(study: Study, figure: dict) -> None:
    """Figure 6 records the skeleton it draws (the study's cached one): its summary, its
    edges, each from a 1-saddle, and the memories of the hypercube report."""
    net = study.trained(3).net
    sk = study.skeleton("3", net)  # made by figure 6, from its starts
    described = figure["skeleton"]
    assert described["summary"] == sk.summary() and described["attractors"] == len(sk)
    assert described["edges"] == sk.edges.tolist() and len(sk.edges) >= 1
    assert np.all(sk.fixed_points.unstable_dims[sk.edges[:, 0]] == 1)
    outputs = net.output_of(sk.attractor_states)
    corner = np.all(np.abs(np.abs(outputs) - 1) <= 0.2, axis=1)
    memories = set(rd.dynamics.bit_patterns(outputs[corner]))
    assert described["hypercube"]["memories"] == sorted(memories)
    assert figure["stable"] == len(sk.fixed_points.stable) >= len(memories)


@pytest.mark.slow
def test_figure6_at_the_quick_scale_finds_the_8_memories_and_their_edges(tmp_path):
    figure = Study(tmp_path, QUICK, seed=0, log=None).run([6])["figures"]["6"]
    cube = figure["skeleton"]["hypercube"]
    assert len(cube["memories"]) == 8
    # 1-saddles join 10 of the cube's 12 edges on seed 0 (the other two pairs have none)
    assert len(cube["edges_with_saddle"]) >= 8


def test_a_study_run_again_takes_the_sweeps_jobs_from_its_folder(study, tmp_path, monkeypatch):
    # per seed, figure 7: one search per snapshot; figure 9: one job per level for each of 3
    # networks; and the second seed's measurements as one job
    kept = sorted(path.name for path in (study.out / "jobs").iterdir())
    assert len(kept) == 2 * (len(TINY.evolution_steps) + 3 * TINY.noise_levels) + 1
    assert sum(name.startswith("measure_network-") for name in kept) == 1
    shutil.copytree(study.out / "jobs", tmp_path / "jobs")
    calls: list[object] = []

    def watch(function):  # keeps the function's name, so its jobs' keys
        @functools.wraps(function)
        def watched(job):
            calls.append(job)
            return function(job)

        return watched

    for module, name in ((evolution, "_search_snapshot"), (robustness, "_run_level")):
        monkeypatch.setattr(module, name, watch(getattr(module, name)))
    again = Study(tmp_path, TINY, seed=0, log=None, networks=2).run([7, 9])["figures"]
    assert calls == []  # the networks were trained again, bit for bit, so every key matched
    for number in ("7", "9"):
        first = {k: v for k, v in study.results["figures"][number].items() if k != "seconds"}
        assert {k: v for k, v in again[number].items() if k != "seconds"} == first


def test_networks_are_shared_between_figures(study: Study):
    assert study.trained(3) is study.trained(3)
    # the transferred network grows the 3-bit one: same W_r, its first three readout rows
    # retrained from the 3-bit readout
    np.testing.assert_array_equal(study.transferred().net.recurrent, study.trained(3).net.recurrent)


def test_unknown_figure(tmp_path):
    with pytest.raises(ValueError, match=r"figures must be among \(2, 5, 6, 7, 8, 9\), got \[3\]"):
        Study(tmp_path, TINY, log=None).run([3])
    with pytest.raises(SystemExit):
        main(["reproduce", "--figure", "3", "--out", str(tmp_path)])


CLAIM_KEYS = {
    "figure",
    "claim",
    "networks_per_condition",
    "networks_measured",
    "statistic",
    "estimate",
    "interval",
    "threshold",
    "verdict",
}


def test_results_hold_the_claims_of_figures_6_to_9(study: Study):
    saved = json.loads((study.out / "results.json").read_text())
    assert saved["claims"] == json.loads(json_text(study.results["claims"]))
    assert [entry["figure"] for entry in saved["claims"]] == [6, 6, 7, 8, 9]
    for entry in saved["claims"]:
        assert set(entry) == CLAIM_KEYS and entry["networks_per_condition"] == 2
        lo, hi = entry["interval"]
        if entry["networks_measured"]:
            assert lo <= entry["estimate"] <= hi
            assert entry["verdict"] == verdict((lo, hi), entry["threshold"], "above")
        else:  # figure 8 at this size may find too few memories for a geometry
            assert entry["estimate"] is None and entry["verdict"] == "inconclusive"
    # the numbers come from the networks' measurements: recomputed here for two claims
    measures = saved["networks"]["measures"]
    assert [m["seed"] for m in measures] == [0, 1] and saved["networks"]["count"] == 2
    corners, edges = saved["claims"][:2]
    assert corners["estimate"] == np.mean([m["6"]["corners_held"] == 8 for m in measures])
    assert edges["estimate"] == np.median([m["6"]["edges_joined"] for m in measures])


def test_the_drawn_network_is_the_first_measured(study: Study):
    figures, first = study.results["figures"], study.results["networks"]["measures"][0]
    assert first["7"]["stable"] == figures["7"]["stable"]
    for name in ("tanh", "logistic", "tanh, transferred from 3 bits"):
        np.testing.assert_allclose(
            first["9"]["median_mse"][name], figures["9"][name]["median_mse"], atol=5e-6
        )
        assert first["9"]["baseline_mse"][name] == figures["9"][name]["baseline_mse"]
        np.testing.assert_allclose(
            first["9"]["median_bits_held"][name], figures["9"][name]["median_bits_held"], atol=5e-6
        )
        assert first["9"]["baseline_bits_held"][name] == figures["9"][name]["baseline_bits_held"]


def test_figure9_over_networks_raw_relative_and_bits_held(study: Study):
    summary = study.results["figures"]["9"]["over_networks"]
    measures = study.results["networks"]["measures"]
    for name in ("tanh", "logistic", "tanh, transferred from 3 bits"):
        mse = np.array([m["9"]["median_mse"][name] for m in measures])  # (K, levels)
        baseline = np.array([[m["9"]["baseline_mse"][name]] for m in measures])
        np.testing.assert_allclose(summary[name]["median_mse"]["median"], np.median(mse, axis=0))
        relative = summary[name]["relative_mse"]
        np.testing.assert_allclose(relative["median"], np.median(mse / baseline, axis=0))
        assert len(relative["lo"]) == TINY.noise_levels
        assert np.all(np.array(relative["lo"]) <= np.array(relative["hi"]))
        held = np.array([m["9"]["median_bits_held"][name] for m in measures])  # (K, levels)
        bits = summary[name]["median_bits_held"]
        np.testing.assert_allclose(bits["median"], np.median(held, axis=0))
        assert np.all(np.array(bits["lo"]) <= np.array(bits["median"]))
        assert np.all(np.array(bits["median"]) <= np.array(bits["hi"]))
    with Image.open(study.out / "fig9_robustness_over_networks.png") as image:
        assert min(image.size) > 300
    assert set(study.results["figures"]["8"]["over_networks"]) == {
        "from scratch",
        "transferred from 3 bits",
    }


def test_a_dask_cluster_measures_the_networks_as_here(study: Study, tmp_path):
    """Seeds 1 and 2 as jobs on two worker processes: each network's numbers are those
    measured here (seed 1 by the fixture's study, seed 2 by its job run in this process), and
    so are the claims."""
    import distributed  # the `dask` and `test` extras install it

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        there = Study(
            tmp_path / "dask", TINY, seed=0, log=None, networks=3, executor=client.get_executor()
        ).run([7, 9])
    seed2 = measure_network(NetworkJob(TINY, 2, (7, 9), str(tmp_path / "here")))
    serial = [{k: m[k] for k in ("seed", "7", "9")} for m in study.results["networks"]["measures"]]
    assert there["networks"]["measures"] == [*serial, seed2]
    assert there["claims"] == claims([*serial, seed2], seed=0)
    assert [entry["figure"] for entry in there["claims"]] == [7, 9]
    assert there["claims"][0]["networks_per_condition"] == 3


def test_bad_network_counts(tmp_path):
    with pytest.raises(ValueError, match="networks must be >= 1, got 0"):
        Study(tmp_path, TINY, log=None, networks=0)
    with pytest.raises(TypeError, match="executor must be None, 'processes'"):
        Study(tmp_path, TINY, log=None, executor="dask")
    assert main(["reproduce", "--figure", "9", "--networks", "0", "--out", str(tmp_path)]) == 2


def test_figure9_over_networks_draws_medians_and_bands():
    curve = {"median": [1.0, 2.0, 8.0], "lo": [0.5, 1.0, 4.0], "hi": [2.0, 4.0, np.inf]}
    relative = {key: [v / 2 for v in values] for key, values in curve.items()}
    held = {"median": [1.0, 0.9, 0.5], "lo": [1.0, 0.8, 0.4], "hi": [1.0, 1.0, 0.6]}
    curves = {"median_mse": curve, "relative_mse": relative, "median_bits_held": held}
    fig = robustness_over_networks([1e-3, 1e-2, 1e-1], {"tanh": curves}, 3)
    raw, scaled, bits = fig.axes
    np.testing.assert_array_equal(raw.lines[0].get_ydata(), curve["median"])
    np.testing.assert_array_equal(scaled.lines[0].get_ydata(), relative["median"])
    np.testing.assert_array_equal(bits.lines[0].get_ydata(), held["median"])
    assert len(raw.collections) == len(scaled.collections) == len(bits.collections) == 1
    assert raw.get_yscale() == "log" and scaled.get_ylabel() == "test MSE / noise-free MSE"
    assert bits.get_yscale() == "linear" and bits.get_ylabel() == "share of bits held"
    assert "median over 3 networks" in fig.get_suptitle()
