"""The package as users get it: `python -m build` makes the sdist and, from the sdist alone in
an isolated environment, the wheel; the wheel holds the package, its type information and the
compiled modules and nothing else; installed in a fresh virtual environment, it runs a small
flip-flop job. One build serves every test here (several minutes, most of it compiling the
two modules). Needs the checkout and an index to install the build requirements from."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
X86_64 = platform.machine().lower() in ("x86_64", "amd64")
# what a working copy may hold that a distribution must not
JUNK = {
    "build",
    "dist",
    "__pycache__",
    ".hypothesis",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".benchmarks",
    ".nox",
    ".git",
    "_build",
}

pytestmark = pytest.mark.source_tree  # builds from the checkout; wheel tests must not recurse

# the concepts, each a subpackage of its own (README: Development)
SUBPACKAGES = ("networks", "fixedpoints", "analysis", "plot", "app")


def run(command: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert completed.returncode == 0, (
        f"{' '.join(map(str, command))} failed ({completed.returncode}):\n"
        f"{completed.stdout[-5000:]}\n{completed.stderr[-5000:]}"
    )
    return completed.stdout


@pytest.fixture(scope="module")
def distributions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sdist and the wheel built from it."""
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", out, ROOT], cwd=out)
    (sdist,) = out.glob("rnndyn-*.tar.gz")
    (wheel,) = out.glob("rnndyn-*.whl")
    return sdist, wheel


def test_sdist_holds_the_sources_and_no_junk(distributions: tuple[Path, Path]) -> None:
    sdist, _ = distributions
    with tarfile.open(sdist) as archive:
        # names relative to the sdist's top folder, rnndyn-<version>/
        names = {name.partition("/")[2] for name in archive.getnames()}
    for needed in ("pyproject.toml", "CMakeLists.txt", "README.md", "LICENSE", "PKG-INFO"):
        assert needed in names, needed
    sources = [
        path.relative_to(ROOT).as_posix()
        for folder, patterns in (("cpp", ("*.hpp", "*.cpp")), ("python", ("*.py", "*.pyi")))
        for pattern in patterns
        for path in (ROOT / folder).rglob(pattern)
        if "__pycache__" not in path.parts
    ]
    assert "python/rnndyn/_core.pyi" in sources and "cpp/bindings/module.cpp" in sources
    assert not set(sources) - names
    assert "python/rnndyn/py.typed" in names
    junk = [name for name in names if JUNK & set(name.split("/"))]
    assert not junk
    assert not [name for name in names if name.endswith((".so", ".pyd", ".pyc", ".whl"))]


def test_wheel_holds_the_package_its_types_and_the_compiled_modules(
    distributions: tuple[Path, Path],
) -> None:
    _, wheel = distributions
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {name.split("/")[0] for name in names} == {"rnndyn", "rnndyn-0.1.0.dist-info"}
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    expected = {"rnndyn/__init__.py", "rnndyn/py.typed"}
    expected |= {f"rnndyn/{sub}/__init__.py" for sub in SUBPACKAGES}
    expected.add("rnndyn-0.1.0.dist-info/licenses/LICENSE")
    expected |= {"rnndyn/_core.py", "rnndyn/_core.pyi", f"rnndyn/_core_portable{suffix}"}
    if X86_64:
        expected.add(f"rnndyn/_core_avx2{suffix}")
    assert expected <= names, expected - names
    assert not [name for name in names if name.startswith(("tests/", "benchmarks/"))]
    assert not [name for name in names if JUNK & set(name.split("/"))]


def test_wheel_installs_in_a_fresh_venv_and_runs_the_flipflop(
    distributions: tuple[Path, Path], tmp_path: Path
) -> None:
    _, wheel = distributions
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=tmp_path)
    scripts = venv / ("Scripts" if os.name == "nt" else "bin")
    python = scripts / ("python.exe" if os.name == "nt" else "python")
    run([python, "-m", "pip", "install", "--disable-pip-version-check", wheel], cwd=tmp_path)
    # from tmp_path, without the caller's PYTHONPATH: the import must come from the venv
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["OPENBLAS_NUM_THREADS"] = "1"
    probe = "import rnndyn, rnndyn._core as c; print(rnndyn.__file__, c.instruction_set)"
    location, instruction_set = run([python, "-c", probe], cwd=tmp_path, env=env).split()
    assert Path(location).resolve().is_relative_to(venv.resolve())
    assert instruction_set in ("avx2", "portable")
    # a 2-bit flip-flop of 200 units (about a second on one thread): it must learn the task
    # and find the network's memories, stable fixed points at the corners of the output square
    out = tmp_path / "results"
    command = [scripts / "rnndyn", "flipflop", "--bits", "2", "--n", "200"]
    command += ["--train-steps", "4000", "--test-steps", "1500", "--states", "32"]
    command += ["--n-jobs", "1", "--no-figures", "--no-progress", "--out", out]
    printed = json.loads(run(command, cwd=tmp_path, env=env))
    summary = json.loads((out / "summary.json").read_text())
    assert printed == summary
    assert summary["bits"] == 2 and summary["n"] == 200
    assert 0.9 <= summary["test_accuracy"] <= 1.0 and 0.0 < summary["test_mse"] < 0.5
    found = summary["fixed_points"]
    assert 1 <= found["stable_fixed_points"] <= found["unique_points"]
    assert found["max_q_of_fixed_points"] <= 1e-20
    corners = {
        tuple(value > 0 for value in output)
        for output in found["stable_outputs"]
        if all(0.5 < abs(value) < 1.5 for value in output)
    }
    assert len(corners) >= 2  # memories: stable points whose outputs sit near (±1, ±1)
    assert (out / "network.npz").stat().st_size > 0
