"""The C++ core's unit tests (tests/cpp): configured, built (only `rnndyn_tests`, no
sanitizers) and run by CMake and CTest in a temporary folder, so that `python -m pytest` runs
them too. Needs cmake, a C++17 compiler, and pybind11 and cmeel-eigen importable (the `test`
extra installs both); the build takes most of the half minute or so this test lasts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.source_tree  # builds from the checkout with cmake


def run(command: list[str], cwd: Path) -> str:
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, (
        f"{' '.join(command)} failed ({completed.returncode}):\n"
        f"{completed.stdout[-5000:]}\n{completed.stderr[-5000:]}"
    )
    return completed.stdout


def test_cpp_unit_tests_pass(tmp_path: Path) -> None:
    import pybind11  # here, so that the wheel tests (no pybind11) can deselect this module

    cmake, ctest = shutil.which("cmake"), shutil.which("ctest")
    assert cmake and ctest, "cmake and ctest must be on PATH (e.g. pip install cmake)"
    build = tmp_path / "build"
    run(
        [
            cmake,
            "-S",
            str(ROOT),
            "-B",
            str(build),
            "-DRNNDYN_TESTS=ON",
            "-DCMAKE_BUILD_TYPE=Release",
            f"-DPython_EXECUTABLE={sys.executable}",
            f"-Dpybind11_DIR={pybind11.get_cmake_dir()}",
        ],
        cwd=tmp_path,
    )
    run(
        [
            cmake,
            "--build",
            str(build),
            "--target",
            "rnndyn_tests",
            "--config",
            "Release",
            "--parallel",
            "2",
        ],
        cwd=tmp_path,
    )
    output = run([ctest, "--output-on-failure", "--build-config", "Release"], cwd=build)
    assert "100% tests passed" in output
