"""Developer sessions (`pip install nox`, then `nox -s lint`, `nox -s tests`, ...; `nox -l`
lists them). Each runs in a fresh virtual environment of its own under .nox/."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["lint", "typing", "tests"]

# The tree is formatted with these; another version may format it differently.
RUFF = "ruff==0.17.6"
CLANG_FORMAT = "clang-format==19.1.7"
MYPY = "mypy==2.4.1"


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format) on the Python, clang-format on the tracked C++."""
    session.install(RUFF, CLANG_FORMAT)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    listed = session.run("git", "ls-files", "*.hpp", "*.cpp", external=True, silent=True)
    cpp = str(listed).split()
    session.run("clang-format", "--dry-run", "--Werror", *cpp)


@nox.session
def tests(session: nox.Session) -> None:
    """The README's test command: pip install ".[test]", then pytest.

    Arguments after `--` go to pytest, e.g. `nox -s tests -- -m "not slow"`."""
    session.install(".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """The HTML documentation, warnings as errors, into docs/_build/html."""
    session.install(".[docs]")
    session.run(
        "python", "-m", "sphinx", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html"
    )


@nox.session
def typing(session: nox.Session) -> None:
    """mypy --strict on the Python layer; stubtest on the compiled core against _core.pyi.

    stubtest checks the installed package: the build this CPU loads, then the portable one.
    The test extra brings torch, whose types mypy follows into RNN.from_torch."""
    session.install(".[test]", MYPY)
    session.run("mypy", "--strict", "python/rnndyn")
    stubtest = ("python", "-m", "mypy.stubtest", "rnndyn._core")
    allowlist = ("--allowlist", "tests/stubtest_allowlist.txt")
    session.run(*stubtest, *allowlist)
    session.run(*stubtest, *allowlist, env={"RNNDYN_SIMD": "portable"})


@nox.session
def wheel(session: nox.Session) -> None:
    """sdist, wheel from it, and the wheel in a fresh venv running a flip-flop job.

    That is tests/test_packaging.py, which needs neither rnndyn nor the test extra installed
    here (hence --noconftest: tests/conftest.py imports rnndyn)."""
    session.install("build>=1", "pytest>=7")
    session.run(
        "python", "-m", "pytest", "--noconftest", "tests/test_packaging.py", *session.posargs
    )
