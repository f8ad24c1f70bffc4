"""The documentation (docs/, Sphinx) builds without a single warning, and its API reference
covers every public name, so that a docstring with broken reStructuredText or a new export
left undocumented fails here rather than on the published pages. Needs the `docs` extra
(also in `test`); the build takes a few seconds and executes no example code."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import rnndyn
import rnndyn.plot
import rnndyn.reference
import rnndyn.tasks

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

pytestmark = pytest.mark.source_tree  # builds docs/ from the checkout


def public_names() -> list[str]:
    """Fully qualified names that the API reference must document."""
    modules = {"plot", "reference", "tasks"}
    names = [f"rnndyn.{name}" for name in rnndyn.__all__ if name not in modules]
    names += [f"rnndyn.plot.{name}" for name in rnndyn.plot.__all__]
    for module in (rnndyn.tasks, rnndyn.reference):
        names += [
            f"{module.__name__}.{name}"
            for name, value in vars(module).items()
            if not name.startswith("_")
            and (inspect.isclass(value) or inspect.isfunction(value))
            and value.__module__ == module.__name__
        ]
    return names


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "html"
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", "html"]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONWARNINGS": "default"}
    completed = subprocess.run(
        [*command, str(DOCS), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=ROOT,
    )
    assert completed.returncode == 0, (
        f"sphinx failed ({completed.returncode}); its warnings are errors here:\n"
        f"{completed.stderr[-8000:]}\n{completed.stdout[-2000:]}"
    )
    return out


def test_docs_build_without_warnings(html: Path) -> None:
    for page in ("index", "getting-started", "tutorial", "mathematics", "scaling", "comparison"):
        assert (html / f"{page}.html").is_file(), page


def test_api_reference_documents_every_public_name(html: Path) -> None:
    documented: set[str] = set()
    for page in (html / "api").glob("*.html"):
        documented.update(
            re.findall(r'<dt class="sig sig-object py[^"]*" id="([^"]+)"', page.read_text())
        )
    missing = [name for name in public_names() if name not in documented]
    assert not missing, f"not in docs/api/*.rst: {missing}"
