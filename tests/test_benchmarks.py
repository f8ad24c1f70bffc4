"""The benchmark harness as a smoke test: `run_all.py --quick` writes a complete results file,
and the NumPy baselines compute what they claim. No timing is asserted."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rnndyn as rd
from rnndyn import reference

pytestmark = pytest.mark.source_tree  # runs the scripts of the checkout's benchmarks/

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
NUMBER = r"[0-9][0-9.,]*"
DURATION = rf"{NUMBER} (s|ms|µs)"


@pytest.fixture
def benchmark_module(monkeypatch: pytest.MonkeyPatch):
    """Import a module from benchmarks/ (they import each other as top-level modules)."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """Run `benchmarks/run_all.py --quick` once into a temporary folder."""
    folder = tmp_path_factory.mktemp("benchmarks")
    out = folder / "RESULTS.md"
    completed = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run_all.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    return out.read_text(), folder


def section(text: str, heading: str) -> str:
    """The text under the `## heading...` line up to the next `## `."""
    match = re.search(rf"^## {re.escape(heading)}.*?$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"no section {heading!r}"
    return match.group(1)


def row(text: str, first_cell: str, second_cell: str | None = None) -> list[str]:
    """The cells of the first table row whose first cell is `first_cell` (and second
    `second_cell`, if given)."""
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        second = second_cell is None or (len(cells) > 1 and cells[1] == second_cell)
        if line.startswith("|") and cells[0] == first_cell and second:
            return cells
    raise AssertionError(f"no table row {first_cell!r}")


def test_quick_run_writes_every_section(quick_results: tuple[str, Path]) -> None:
    text, folder = quick_results
    assert text.startswith("# rnndyn benchmarks")
    assert "run_all.py --quick --out" in text  # the command that produced it
    assert "OPENBLAS_NUM_THREADS=1" in text and "MKL_NUM_THREADS=1" in text
    machine = section(text, "Machine")
    assert re.search(r"CPU: .+, \d+ cores", machine)
    assert re.search(r"RAM: [0-9.]+ GiB", machine)
    assert re.search(r"numpy \S+, scipy \S+, rnndyn \S+", machine)
    assert "git commit:" in machine
    headings = ("Targets (issues 5, 19, 20, 21)", "1. FORCE", "2. Fixed points", "3. Scaling")
    for heading in (*headings, "4. Profile", "5. The limit cycle", "6. The suite"):
        section(text, heading)
    assert (folder / "scaling.png").stat().st_size > 0


def test_quick_run_reports_numbers(quick_results: tuple[str, Path]) -> None:
    text, _ = quick_results
    force = section(text, "1. FORCE")
    core = row(force, "rnndyn C++ core, float64")
    assert re.fullmatch(DURATION, core[2]) and re.fullmatch(DURATION, core[4])
    assert re.fullmatch(
        rf"{DURATION} \(extrapolated\)", row(force, "NumPy reference, plain (rnndyn.reference)")[2]
    )
    assert re.fullmatch(rf"{NUMBER}×", row(force, "NumPy reference, plain (rnndyn.reference)")[5])

    points = section(text, "2. Fixed points")
    leading = row(points, "rnndyn, default method, eigenvalues=10")
    assert re.fullmatch(DURATION, leading[2])
    fixed, slow, unconverged = (int(cell) for cell in leading[6:9])
    assert fixed + slow + unconverged == 8
    assert "extrapolated" in row(points, "SciPy trust-ncg, NumPy derivatives")[2]

    scaling = section(text, "3. Scaling")
    for n, mib in (("100", 0.16), ("200", 0.61)):
        cells = row(scaling, n)
        assert float(cells[1]) == pytest.approx(mib, abs=0.06)
        assert re.fullmatch(DURATION, cells[4])
    # the fitted exponents (tiny sizes on a busy machine can make them anything, even negative),
    # over all sizes and within the one level of memory both fit in
    assert re.search(r"FORCE step over all sizes: 1 thread\(s\): N\^-?[0-9.]+", scaling)
    assert re.search(r"within the L3 \(N = 100–200\): 1 thread\(s\) N\^-?[0-9.]+", scaling)

    profile = section(text, "4. Profile")
    for step in ("train", "test", "fixed_points", "figures", "**total** (summary.json)"):
        assert re.fullmatch(r"[0-9]+\.[0-9]{2}", row(profile, step)[1])

    cycles = section(text, "5. The limit cycle")
    # the generator's cycle (N = 1000 in --quick too: smaller ones do not learn it)
    assert re.search(r"\| 12[0-9]\.[0-9]{6} \| stable \| ", cycles)
    assert re.search(r"independent solve_ivp run .*: 12[0-9]\.[0-9]{6} time units", cycles)

    family = section(text, "6. The suite")
    # the quick suite: a small flip-flop from three start sets, a briefly trained ESN, and
    # (with torch) a small PyTorch RNN; every start ends fixed or slow
    # (how many starts in brackets: fewer for the briefly trained ESNs)
    assert re.search(r"\| 3 bits, seed 0 \| 100 \| test run \(8\) \| " + DURATION, family)
    assert re.search(r"\| 3 bits, seed 0 \| 100 \| tour \(8\) \| " + DURATION, family)
    brief = r"\| 3 bits, seed 0 \(brief training\) \| 200 \| test run \+ noise \(4\) \| "
    assert re.search(brief + DURATION, family)
    assert re.search(r"\| PyTorch tanh RNN, 16 units \| 16 \| hidden states \(8\) \| ", family)
    assert not re.search(r"\| [0-9]+ / [0-9]+ / [1-9][0-9]* \|", family)

    targets = section(text, "Targets (issues 5, 19, 20, 21)")
    assert re.search(r"\| FORCE float64, 2 threads ≤ 4 s \| " + DURATION, targets)
    # FORCE with train_force's and run's default arguments (n_jobs=None), against the reference
    assert re.search(r"\| FORCE float64, default arguments ≥ 15× .*\| " + NUMBER + "×", targets)
    assert re.fullmatch(DURATION, row(force, "rnndyn C++ core, float64", "default")[2])
    goal = r"\| Sussillo-Abbott cycle, N = 1000, 2 threads ≤ 30 s \(issue 20\) \| "
    assert re.search(goal + DURATION, targets)
    # the briefly trained ESNs' time per start: N = 200's against the N = 100 one trained alike
    growth = r"\| Suite, N = 200 \(brief training\), from tour: every start converged .* a start; "
    assert re.search(growth + NUMBER + r"× N = 100's \(N\^-?[0-9.]+\) \|", targets)


def test_numpy_force_follows_the_reference(benchmark_module) -> None:
    numpy_force = benchmark_module("numpy_force")
    net = rd.ESN(60, 3, 3, seed=1)
    inputs, targets = rd.tasks.FlipFlop(3, seed=1).sample(400)
    weights = (net.recurrent, net.feedback, net.input, net.readout, net.state)
    expected = reference.run_network(*weights, inputs, targets, train_every=2)
    got = numpy_force.run_network(*weights, inputs, targets, train_every=2, record_states=True)
    for name in ("states", "outputs", "errors", "readout", "P"):
        np.testing.assert_allclose(
            got[name],
            expected[name],
            rtol=0,
            atol=1e-10 * np.max(np.abs(expected[name])),
            err_msg=name,
        )
    np.testing.assert_array_equal(got["state"], got["states"][-1])


def test_numpy_newton_converges_to_the_origin(benchmark_module) -> None:
    # an untrained network without input has F(0) = 0; Newton from nearby must find it (at a
    # low gain, where GMRES converges: around g = 1.5 it stalls, as a plain baseline may)
    numpy_newton = benchmark_module("numpy_newton")
    net = rd.ESN(80, 2, 2, g=0.5, seed=2)
    starts = 1e-3 * np.random.default_rng(0).standard_normal((5, 80))
    result = numpy_newton.newton_gmres(net.closed_loop_matrix(), net.offset(), starts)
    assert np.all(result.q <= 1e-20)
    np.testing.assert_allclose(result.points, 0.0, atol=1e-9)
    assert np.all(result.iterations >= 1)


def test_missed_targets_give_each_reason_once(benchmark_module) -> None:
    targets = benchmark_module("targets")
    median, worst = (
        targets.Target(f"Suite, N = 1000, 2 threads: {what} (issue 21)", "9 s", "missed by 7 s")
        for what in ("median ≤ 2 s", "worst ≤ 4 s")
    )
    text = targets.markdown([median, worst], quick=False)
    why = targets.WHY_MISSED["Suite, N = 1000, 2 threads"]
    assert text.count(why) == 1
    assert f"- **{worst.goal}**: as for **{median.goal}**." in text
