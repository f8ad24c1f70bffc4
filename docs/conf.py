"""Sphinx configuration for rnndyn's documentation.

Build with ``python -m sphinx -W --keep-going -b html docs docs/_build/html`` from the
repository root. Nothing is executed at build time except importing rnndyn for autodoc.
"""

from __future__ import annotations

import rnndyn

project = "rnndyn"
author = "the rnndyn authors"
copyright = "the rnndyn authors"
release = rnndyn.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# The docstrings write `name` for parameters, expressions and code, almost never for an object
# that could be linked: show single backticks as inline code, as Markdown does, rather than
# letting Sphinx guess a cross-reference.
default_role = "code"
# every explicit cross-reference in these pages must resolve (no intersphinx: the build is
# offline, so the standard library and NumPy are named, not linked)
nitpicky = True

# autodoc: the public API is documented page by page in api/*.rst with explicit directives;
# autosummary only draws the overview tables there (no generated stub files in the tree).
autosummary_generate = False
autodoc_default_options = {"members": True, "member-order": "bysource"}
# Signatures show names and defaults; the docstrings say what each argument is and its shape.
# The annotations serve type checkers: rendered, NumPy's aliases (ArrayLike, DTypeLike) expand
# into unions many lines long.
autodoc_typehints = "none"
autodoc_class_signature = "mixed"

# MyST: $…$ and $$…$$ math, amsmath environments, ::: fences, and anchors for ## headings.
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = f"rnndyn {release}"
html_static_path: list[str] = []
