"""Workload 4: a profile of the main job, `rnndyn flipflop --bits 3`: the wall time of each of
its steps as it reports them in summary.json."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markdown import table
from rnndyn.app import cli


@dataclass(frozen=True)
class ProfileResult:
    """The command, its summary.json and the wall time around the call."""

    argv: tuple[str, ...]
    summary: dict[str, Any]
    wall: float

    @property
    def seconds(self) -> dict[str, float]:
        """summary.json's "seconds": train, test, fixed_points, figures, total."""
        return self.summary["seconds"]

    def markdown(self) -> str:
        """The section of RESULTS.md."""
        total = self.seconds["total"]
        rows = [
            [step, f"{value:.2f}", f"{value / total:.0%}" if total else ""]
            for step, value in self.seconds.items()
            if step != "total"
        ]
        rows.append(["**total** (summary.json)", f"{total:.2f}", "100%"])
        rows.append(["wall time around `cli.main`, incl. saving files", f"{self.wall:.2f}", ""])
        largest = max((s for s in self.seconds if s != "total"), key=self.seconds.get)
        points = self.summary.get("fixed_points", {})
        lines = [
            f"`rnndyn.app.cli.main({list(self.argv)!r})` (`--out` a temporary folder), once.",
            "",
            table(["step", "seconds", "share"], rows),
            "",
            f"- The largest step: {largest} ({self.seconds[largest] / total:.0%} of the total).",
            f"- Test accuracy {self.summary.get('test_accuracy', float('nan')):.1%}, test MSE "
            f"{self.summary.get('test_mse', float('nan')):.2e}.",
        ]
        if points:
            kinds = ", ".join(f"{count} {kind}" for kind, count in points["by_kind"].items())
            lines.append(
                f"- Fixed points found by the job: {points['unique_points']} unique "
                f"({kinds}), {points['stable_fixed_points']} stable."
            )
        return "\n".join(lines)


def run(extra_args: Sequence[str] = ()) -> ProfileResult:
    """Run `rnndyn flipflop --bits 3 --no-progress` (plus `extra_args`) into a temporary
    folder, its printed summary swallowed."""
    with tempfile.TemporaryDirectory() as folder:
        argv = ("flipflop", "--bits", "3", "--out", folder, "--no-progress", *extra_args)
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            status = cli.main(list(argv))
        wall = time.perf_counter() - start
        if status != 0:
            raise RuntimeError(f"rnndyn {' '.join(argv)} exited with status {status}")
        summary = json.loads((Path(folder) / "summary.json").read_text())
    shown = tuple("DIR" if arg == folder else arg for arg in argv)
    return ProfileResult(shown, summary, wall)
