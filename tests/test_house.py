"""The house rules a clean checkout is held to: ruff's lint (with McCabe complexity at most 10)
and format, function bodies a newcomer reads in one screen, citations that stay inside the
repository, and the public names importable from the top level."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest
import rnndyn

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "python" / "rnndyn"
# the longest function body (docstring excluded) the house accepts
MAX_BODY_LINES = 60


def _body_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from the first statement after the docstring to the end of the function."""
    body = function.body
    if (
        len(body) > 1
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    end = function.end_lineno or function.lineno
    return end - body[0].lineno + 1


def _long_functions(source: str, name: str) -> list[str]:
    functions = (
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    )
    return [
        f"{name}:{f.lineno} {f.name} ({_body_lines(f)} lines)"
        for f in functions
        if _body_lines(f) > MAX_BODY_LINES
    ]


def test_the_length_check_counts_a_body_without_its_docstring() -> None:
    lines = ["def f():", '    """Doc."""'] + ["    x = 1"] * MAX_BODY_LINES
    assert _long_functions("\n".join(lines), "f") == []
    assert _long_functions("\n".join([*lines, "    return x"]), "f") == [
        f"f:1 f ({MAX_BODY_LINES + 1} lines)"
    ]


@pytest.mark.source_tree
def test_no_function_body_is_longer_than_a_screen() -> None:
    long = [
        line
        for path in sorted(PACKAGE.rglob("*.py"))
        for line in _long_functions(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert long == []


@pytest.mark.source_tree
@pytest.mark.parametrize("command", [("check",), ("format", "--check")])
def test_ruff(command: tuple[str, ...]) -> None:
    """ruff with the settings of pyproject.toml (C901: complexity at most 10) on the tree."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.source_tree
def test_citations_stay_inside_the_repository() -> None:
    """The code cites docs/mathematics.md (in the repository), never the shared DESIGN.md."""
    sources = [*PACKAGE.rglob("*.py"), *(ROOT / "cpp").rglob("*.[ch]pp")]
    citing = [str(path.relative_to(ROOT)) for path in sources if "DESIGN.md" in path.read_text()]
    assert citing == []
    cited = [path for path in sources if "docs/mathematics.md" in path.read_text()]
    assert cited and (ROOT / "docs" / "mathematics.md").is_file()


def test_public_names_import_from_the_top_level() -> None:
    """Every public name at rnndyn.*, each the object its concept's subpackage defines."""
    for name in rnndyn.__all__:
        assert getattr(rnndyn, name) is not None
    for package in ("networks", "fixedpoints", "analysis"):
        module = importlib.import_module(f"rnndyn.{package}")
        for name in module.__all__:
            assert getattr(rnndyn, name, getattr(module, name)) is getattr(module, name)
