"""The `rnndyn` command on a small network (the full-size job is the README's main command)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import rnndyn as rd
from rnndyn.app.cli import main
from rnndyn.app.reports import json_text


def test_flipflop_command_writes_results(tmp_path, capsys):
    out = tmp_path / "results"
    code = main(
        [
            "flipflop",
            "--bits",
            "2",
            "--n",
            "200",
            "--train-steps",
            "4000",
            "--test-steps",
            "1500",
            "--states",
            "40",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["bits"] == 2 and summary["n"] == 200
    assert 0 <= summary["test_accuracy"] <= 1 and summary["test_mse"] >= 0
    assert (out / "network.npz").exists() and (out / "history.npz").exists()
    found = summary["fixed_points"]
    assert found["unique_points"] >= 1 and sum(found["by_kind"].values()) == found["unique_points"]
    assert 0 <= summary["pattern_tour_accuracy"] <= 1
    loaded = rd.FixedPoints.load(out / "fixed_points.npz")
    assert len(loaded) == found["unique_points"]
    assert len(found["stable_outputs"]) == found["stable_fixed_points"]
    _check_skeleton(summary["skeleton"], rd.Skeleton.load(out / "skeleton.npz"), bits=2)
    assert json.loads(capsys.readouterr().out) == summary


def _check_skeleton(described: dict, sk: rd.Skeleton, bits: int | None) -> None:
    """summary.json's "skeleton" agrees with skeleton.npz and with itself."""
    assert described["attractors"] == len(sk) == sum(described["attractor_kind"].values())
    assert described["edges"] == sk.edges.tolist()
    assert described["adjacent"] == sk.adjacent.tolist()
    assert described["boundary_saddle"] == sk.boundary_saddle.tolist()
    joined = sk.joined()
    assert described["unjoined"] == [p for p in described["adjacent"] if tuple(p) not in joined]
    by_index = described["saddles_by_index"]
    assert sum(by_index.values()) == len(sk.saddles)
    assert by_index.get("1", 0) == len(sk.edges)  # one edge per 1-saddle
    cycles = [c for c in (sk.stable_cycles, sk.saddle_cycles) if c is not None]
    assert len(described["cycles"]) == sum(len(c) for c in cycles)
    assert described["attractor_kind"].get("cycle", 0) == sum(
        c["stable"] for c in described["cycles"]
    )
    if bits is None:
        assert "hypercube" not in described
        return
    cube = described["hypercube"]
    assert len(cube["memories"]) <= min(2**bits, len(sk))
    assert all(len(p) == bits and set(p) <= {"+", "-"} for p in cube["memories"])
    edges = cube["edges_with_saddle"] + cube["edges_without_saddle"]
    assert len(edges) == bits * 2 ** (bits - 1) and len({tuple(e) for e in edges}) == len(edges)
    for first, second in cube["edges_with_saddle"]:
        assert first in cube["memories"] and second in cube["memories"]
    assert len(cube["edges_with_saddle"]) <= len(sk.joined())


def test_flipflop_command_draws_its_figures_and_times_its_steps(tmp_path, capsys):
    out = tmp_path / "results"
    main(
        [
            "flipflop",
            "--bits",
            "2",
            "--n",
            "150",
            "--train-steps",
            "2000",
            "--test-steps",
            "1500",
            "--states",
            "20",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    summary = json.loads(capsys.readouterr().out)
    for name in ("training.png", "phase_portrait.png", "skeleton.png"):
        assert (out / name).stat().st_size > 10_000
    seconds = summary["seconds"]
    assert list(seconds) == ["train", "test", "fixed_points", "skeleton", "figures", "total"]
    assert sum(seconds.values()) - seconds["total"] <= seconds["total"] + 0.1


def test_no_skeleton_leaves_it_out(tmp_path, capsys):
    out = tmp_path / "results"
    arguments = ["--states", "20", "--out", str(out), "--no-progress", "--no-skeleton"]
    small = ["--bits", "1", "--n", "100", "--train-steps", "1000", "--test-steps", "500"]
    assert main(["flipflop", *small, *arguments]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert "skeleton" not in summary and "skeleton" not in summary["seconds"]
    assert not (out / "skeleton.npz").exists() and not (out / "skeleton.png").exists()


def test_fixed_points_command_on_saved_networks(tmp_path, capsys):
    # a flip-flop network (inputs = outputs) starts from its pattern tour ...
    flip = rd.ESN(120, 2, 2, seed=4)
    flip.readout = np.random.default_rng(0).normal(0, 0.2, (2, 120))
    # ... any other from zero-input runs
    other = rd.ESN(80, 1, 3, seed=5)
    other.readout = np.random.default_rng(1).normal(0, 0.2, (3, 80))
    for net, name in ((flip, "flip"), (other, "other")):
        path = net.save(tmp_path / f"{name}.npz")
        out = tmp_path / name
        assert (
            main(["fixed-points", str(path), "--states", "16", "--out", str(out), "--no-progress"])
            == 0
        )
        summary = json.loads(capsys.readouterr().out)
        assert (summary["n"], summary["inputs"], summary["outputs"]) == (
            net.size,
            net.n_inputs,
            net.n_outputs,
        )
        loaded = rd.FixedPoints.load(out / "fixed_points.npz")
        assert summary["fixed_points"]["unique_points"] == len(loaded)
        assert np.all(
            np.linalg.norm(net.velocity(loaded.points[loaded.kind == "fixed"]), axis=1) < 1e-9
        )
        assert (out / "phase_portrait.png").exists() and (out / "skeleton.png").exists()
        sk = rd.Skeleton.load(out / "skeleton.npz")
        _check_skeleton(summary["skeleton"], sk, bits=2 if name == "flip" else None)
        assert list(summary["seconds"]) == ["fixed_points", "skeleton", "figures", "total"]
    assert main(["fixed-points", str(tmp_path / "missing.npz"), "--out", str(tmp_path)]) == 2
    assert "missing.npz" in capsys.readouterr().err


def test_bad_arguments_exit_with_message(tmp_path, capsys):
    assert main(["flipflop", "--bits", "0", "--out", str(tmp_path), "--no-progress"]) == 2
    assert "bits must be >= 1" in capsys.readouterr().err


def test_python_dash_m_runs():
    result = subprocess.run(
        [sys.executable, "-m", "rnndyn", "--help"], capture_output=True, text=True, check=True
    )
    assert "flipflop" in result.stdout


def test_flipflop_command_trains_the_default_length_for_its_bits(tmp_path, capsys):
    # no --train-steps: 30,000 steps for 3 bits, 60,000 for 4 (flipflop_train_steps); a
    # 20-unit network keeps this quick, its accuracy is not the point here
    for bits, steps in ((3, 30_000), (4, 60_000)):
        out = tmp_path / str(bits)
        small = ["--bits", str(bits), "--n", "20", "--test-steps", "2000", "--states", "0"]
        options = ["--no-figures", "--no-progress", "--n-jobs", "1", "--out", str(out)]
        assert main(["flipflop", *small, *options]) == 0
        summary = json.loads(capsys.readouterr().out)
        assert summary["train_steps"] == steps
        assert rd.TrainingHistory.load(out / "history.npz").errors.shape == (steps, bits)


@pytest.mark.parametrize(
    ("options", "networks"),
    [(["--quick"], 3), ([], 10), (["--quick", "--networks", "5"], 5), (["--networks", "1"], 1)],
)
def test_reproduce_takes_k_networks_per_condition(tmp_path, capsys, monkeypatch, options, networks):
    from rnndyn.app.study import Study

    # the study's own run is tested in test_experiments; here, the K it is given
    monkeypatch.setattr(Study, "run", lambda self, figures: {"networks": self.networks})
    assert main(["reproduce", *options, "--out", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out) == {"networks": networks}


def test_reports_are_strict_json_with_null_for_non_finite_numbers():
    """Python's json writes Infinity and NaN, which JSON has not; a diverged run's error
    (+inf) is written as null, and the text parses where constants are refused."""
    value = {"mse": [0.5, np.inf, float("nan")], "pair": (2, -np.inf), "name": "x", "n": 3}
    text = json_text(value)

    def refuse(constant: str):
        raise ValueError(f"non-standard JSON constant {constant}")

    assert text.endswith("\n")
    assert json.loads(text, parse_constant=refuse) == {
        "mse": [0.5, None, None],
        "pair": [2, None],
        "name": "x",
        "n": 3,
    }
