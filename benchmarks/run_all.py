"""Run every benchmark workload in one process and write RESULTS.md and scaling.png.

    python benchmarks/run_all.py [--quick] [--out benchmarks/RESULTS.md]

Workloads (sizes in settings.py): 1. FORCE on the paper's Table 1 run by rnndyn's core and the
NumPy, NumPy+BLAS and reservoirpy baselines; 2. fixed points of the trained network by rnndyn
and by SciPy's trust-ncg and a batched NumPy Newton-GMRES; 3. scaling with N, plotted into
scaling.png next to the results file; 4. a profile of `rnndyn flipflop`; 5. the limit cycle
of Sussillo & Abbott's generator (`find_cycles`); 6. the suite of networks and starts
(suite.py). Then the targets (issues 5, 19, 20, 21), met or missed. --quick runs tiny sizes
(seconds) as a smoke test. NumPy's and SciPy's BLAS run on one thread (see blas_threads.py).
"""

from __future__ import annotations

import blas_threads

blas_threads.hold_to_one_thread()

import argparse  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import fixedpointfinder  # noqa: E402
import suite  # noqa: E402
import targets  # noqa: E402
import workload_cycles  # noqa: E402
import workload_fixed_points  # noqa: E402
import workload_force  # noqa: E402
import workload_profile  # noqa: E402
import workload_scaling  # noqa: E402
from machine import describe_machine, load_average  # noqa: E402
from settings import FULL, QUICK  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "RESULTS.md"


class Log:
    """Progress lines on stderr, with the seconds since the start."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.start:6.1f} s] {message}", file=sys.stderr, flush=True)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start


class Sections:
    """The workload sections of the results file, each run with the load average around it
    and printed as soon as it is done (so that an interrupted run keeps its numbers)."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.texts: list[str] = []

    def run(self, title: str, work: Callable[[], Any], render: Callable[[Any], str]) -> Any:
        """`work()`, then its section `## title` with the text `render(result)`."""
        self.log(title)
        before = load_average()
        result = work()
        text = (
            f"## {title}\n\n_Load average (1, 5, 15 min) at the start and the end of this "
            f"workload: {before}; {load_average()}._\n\n{render(result)}"
        )
        print(text + "\n", flush=True)
        self.texts.append(text)
        return result


def main(argv: list[str] | None = None) -> int:
    """Run the workloads and write the results file and the plot."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="results file (scaling.png goes next to it)"
    )
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    out = args.out.resolve()
    plot = out.parent / "scaling.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    command = shlex.join(["python", *(sys.argv if argv is None else [sys.argv[0], *argv])])
    started = datetime.now(timezone.utc)
    log = Log()
    if not fixedpointfinder.available():  # its rows would read "not installed" after the run
        log(f"FixedPointFinder not found, its rows are skipped: {fixedpointfinder.INSTALL_HINT}")
    machine = describe_machine()

    def scaling_with_plot() -> workload_scaling.ScalingResult:
        result = workload_scaling.run(settings, machine.l2_bytes, machine.l3_bytes, log)
        result.plot(plot)
        return result

    sections = Sections(log)
    force = sections.run(
        "1. FORCE, Table 1 workload",
        lambda: workload_force.run(settings, log),
        lambda result: result.markdown(settings),
    )
    points = sections.run(
        "2. Fixed points of the trained network",
        lambda: workload_fixed_points.run(settings, force.trained, log),
        lambda result: result.markdown(),
    )
    scaling = sections.run(
        "3. Scaling with N", scaling_with_plot, lambda result: result.markdown(plot)
    )
    sections.run(
        "4. Profile of the main job (`rnndyn flipflop`)",
        lambda: workload_profile.run(settings.profile_args),
        lambda result: result.markdown(),
    )
    cycles = sections.run(
        "5. The limit cycle of Sussillo & Abbott's generator",
        lambda: workload_cycles.run(settings, log),
        lambda result: result.markdown(),
    )
    suite_result = sections.run(
        "6. The suite: fixed points on a family of networks (issue 21)",
        lambda: suite.run(settings, log),
        lambda result: result.markdown(),
    )
    goals = (
        targets.force_targets(force)
        + targets.fixed_point_targets(points)
        + targets.scaling_targets(scaling)
        + targets.cycle_targets(cycles)
        + targets.suite_targets(suite_result)
    )

    header = [
        "# rnndyn benchmarks",
        f"Written by `{command}` (started {started:%Y-%m-%d %H:%M} UTC, "
        f"{log.elapsed / 60:.1f} min){' — a --quick smoke run' if args.quick else ''}. "
        "All workloads ran in this one process; every ratio compares numbers from this run.",
        "## Machine\n\n" + machine.markdown() + f"\n- load average at the end: {load_average()}"
        "\n- BLAS: NumPy's and SciPy's BLAS held to one thread, set before NumPy was "
        f"imported: {blas_threads.describe()}. rnndyn's C++ core uses no BLAS; its threads "
        "are the `n_jobs` shown.\n- The machine is shared (2 cores; others may compile or "
        "time on it): timings may have been taken under load; each workload's section gives "
        "the load average around it (which counts this run's own busy threads too).",
        "## Targets (issues 5, 19, 20, 21)\n\n" + targets.markdown(goals, args.quick),
    ]
    out.write_text("\n\n".join(header + sections.texts) + "\n")
    log(f"wrote {out} and {plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
