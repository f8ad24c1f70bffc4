"""The `rnndyn` command on a small network (the full-size job is the README's main command)."""

from __future__ import annotations

import json
import subprocess
import sys

import rnndyn as rd
from rnndyn.cli import main


def test_flipflop_command_writes_results(tmp_path, capsys):
    out = tmp_path / "results"
    code = main([
        "flipflop", "--bits", "2", "--n", "200", "--train-steps", "4000", "--test-steps", "1500",
        "--states", "40", "--out", str(out), "--no-progress",
    ])
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
    assert json.loads(capsys.readouterr().out) == summary


def test_bad_arguments_exit_with_message(tmp_path, capsys):
    assert main(["flipflop", "--bits", "0", "--out", str(tmp_path), "--no-progress"]) == 2
    assert "bits must be >= 1" in capsys.readouterr().err


def test_python_dash_m_runs():
    result = subprocess.run(
        [sys.executable, "-m", "rnndyn", "--help"], capture_output=True, text=True, check=True
    )
    assert "flipflop" in result.stdout
