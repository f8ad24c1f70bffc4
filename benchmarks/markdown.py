"""Small helpers that write the Markdown of RESULTS.md."""

from __future__ import annotations

from collections.abc import Sequence


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub Markdown table; cells are converted with str()."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def ratio(slower: float | None, faster: float | None) -> str:
    """'12.3×' (slower / faster), or '—' when either is missing."""
    if slower is None or faster is None or faster <= 0:
        return "—"
    return f"{slower / faster:.1f}×"
